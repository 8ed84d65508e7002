"""LLM answers through the server: /v1 streams the model's text, then the verified citations and the
contract; a model failure gives the extractive answer with a notice and counts as a fallback."""
from __future__ import annotations

import json

import pytest
from tests.bot.fake_openai import Reply

from ingest.settings import LLMSettings

QUESTION = "Hvor mange topledere blev interviewet?"


@pytest.fixture(scope="module")
def llm_server(start_server, store_settings, _fake_openai_server):
    from bot.service import AnswerService

    settings = store_settings.model_copy(update={"llm": LLMSettings(
        provider="openai", base_url=_fake_openai_server.base_url, model="fake-model", timeout_s=2.0)})
    return start_server(service=AnswerService(settings)), settings


@pytest.fixture(scope="module")
def report_quote(server) -> str:
    """A real quote from a passage retrieved for QUESTION, as the extractive answer cites it."""
    with server.client() as client:
        answer = client.post("/api/ask", json={"question": QUESTION}).json()
    return answer["citations"][0]["quote"]


def _events(text: str) -> list:
    return [json.loads(block[6:]) for block in text.split("\n\n") if block.startswith("data: {")]


def test_v1_streams_llm_text_then_verified_citations(llm_server, fake_openai, report_quote):
    running, _ = llm_server
    reply = f'Rapporten siger det sådan [1].\nQUOTES:\n[1] "{" ".join(report_quote.split())}"'
    fake_openai.script(Reply.text(reply, chunk_chars=8))
    with running.client() as client:
        response = client.post("/v1/chat/completions", json={
            "stream": True, "messages": [{"role": "user", "content": QUESTION}]})
    events = _events(response.text)
    deltas = [e["choices"][0]["delta"].get("content", "") for e in events]
    assert sum(1 for d in deltas if d) >= 3, deltas  # the model's text arrived in pieces
    final = events[-1]["rapportbot"]
    assert final["mode"] == "llm" and not final["refused"]
    assert [" ".join(c["quote"].split()) for c in final["citations"]] == [" ".join(report_quote.split())]
    content = "".join(deltas)
    assert content.startswith("Rapporten siger det sådan [1].")
    assert f"[1] “{' '.join(final['citations'][0]['quote'].split())}” — " in content


def test_llm_failure_falls_back_with_a_notice_and_is_counted(llm_server, fake_openai):
    running, _ = llm_server
    fake_openai.script(Reply.error(500))
    with running.client() as client:
        answer = client.post("/api/ask", json={"question": QUESTION}).json()
        metrics = client.get("/metrics").text
    assert answer["mode"] == "extractive" and answer["notice"] and answer["citations"]
    assert 'rapportbot_llm_fallbacks_total{channel="api"} 1.0' in metrics


def test_v1_passes_on_no_html_or_script_links_from_the_model(llm_server, fake_openai, report_quote):
    """Issue 12: a misbehaving model's markup never reaches a /v1 client, streamed or not."""
    running, _ = llm_server
    prose = ('Sådan <script>alert(1)</script> siger den [1] <img src=x onerror="alert(2)"> '
             'og [klik](javascript:alert(3)) ![](https://evil.example/leak.png)')
    reply = f'{prose}\nQUOTES:\n[1] "{" ".join(report_quote.split())}"'
    fake_openai.script(Reply.text(reply, chunk_chars=5), Reply.text(reply))
    with running.client() as client:
        streamed = client.post("/v1/chat/completions", json={
            "stream": True, "messages": [{"role": "user", "content": QUESTION}]}).text
        plain = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}]})
    content = plain.json()["choices"][0]["message"]["content"]
    assert plain.json()["rapportbot"]["mode"] == "llm"
    for text in (streamed, content):
        lowered = text.lower()
        for bad in ("<script", "<img", "onerror", "javascript:", "evil.example"):
            assert bad not in lowered, (bad, text[:500])
    assert "Sådan" in content and "[1]" in content


def test_a_one_megabyte_reply_is_cut_not_returned(llm_server, fake_openai, report_quote):
    running, settings = llm_server
    cap = settings.llm.max_reply_chars
    fake_openai.script(Reply.huge(f'Sådan er det [1].\nQUOTES:\n[1] "{" ".join(report_quote.split())}"\n', 1_000_000))
    fake_openai.script(Reply.huge("Sådan er det ", 1_000_000, chunk_chars=200))
    with running.client() as client:
        answer = client.post("/api/ask", json={"question": QUESTION})
        streamed = client.post("/v1/chat/completions", json={
            "stream": True, "messages": [{"role": "user", "content": QUESTION}]})
    assert answer.status_code == 200 and len(answer.text) < cap + 50_000
    assert len(answer.json()["answer"]) <= cap
    assert streamed.status_code == 200 and len(streamed.text) < 3 * cap + 50_000
    assert streamed.text.rstrip().endswith("data: [DONE]")
