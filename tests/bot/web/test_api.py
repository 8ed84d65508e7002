"""/api and /v1 on a real server over the real store: contracts, the same answer both ways, bad requests."""
from __future__ import annotations

import json

import pytest

from bot.types import Answer
from bot.web.render import answer_markdown, lead_text

QUESTION = "Hvor mange topledere blev interviewet?"


def _comparable(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k not in ("timings_ms", "id")}


def _sse_events(text: str) -> list[dict | str]:
    events: list[dict | str] = []
    for block in text.split("\n\n"):
        if block.startswith("data: "):
            data = block[len("data: "):]
            events.append(data if data == "[DONE]" else json.loads(data))
    return events


def test_health_reports_the_loaded_store(server):
    with server.client() as client:
        body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["store_loaded"] is True
    assert body["chunks"] > 10 and body["documents"] == 1
    assert body["mode"] == "extractive" and body["version"]


def test_ask_returns_the_answer_contract_with_a_quote_holding_24(server):
    with server.client() as client:
        response = client.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 200
    answer = Answer.model_validate(response.json())
    assert answer.mode == "extractive" and not answer.refused and answer.language == "da"
    assert any("24" in c.quote for c in answer.citations)
    assert all(c.section for c in answer.citations)
    assert set(response.json()) >= {"id", "question", "language", "mode", "refused", "answer", "citations",
                                    "retrieved", "notice", "timings_ms"}


def test_api_and_openai_endpoint_give_the_same_answer_streamed_or_not(server):
    with server.client() as client:
        api = client.post("/api/ask", json={"question": QUESTION}).json()
        plain = client.post("/v1/chat/completions",
                            json={"model": "rapportbot", "messages": [{"role": "user", "content": QUESTION}]})
        streamed = client.post("/v1/chat/completions", json={
            "model": "rapportbot", "stream": True, "messages": [{"role": "user", "content": QUESTION}]})
    assert plain.status_code == 200 and streamed.status_code == 200
    assert streamed.headers["content-type"].startswith("text/event-stream")
    body = plain.json()
    assert body["object"] == "chat.completion" and body["choices"][0]["finish_reason"] == "stop"
    assert _comparable(body["rapportbot"]) == _comparable(api)
    content = body["choices"][0]["message"]["content"]
    assert content.startswith(lead_text(Answer.model_validate(api)))
    for citation in api["citations"]:
        assert f"[{citation['n']}] “{' '.join(citation['quote'].split())}” — " in content

    events = _sse_events(streamed.text)
    assert events[-1] == "[DONE]"
    chunks = [e for e in events if isinstance(e, dict)]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == content
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert _comparable(chunks[-1]["rapportbot"]) == _comparable(api)


def test_openai_history_makes_a_follow_up(server):
    messages = [{"role": "system", "content": "ignored"}, {"role": "user", "content": QUESTION},
                {"role": "assistant", "content": "24."},
                {"role": "user", "content": [{"type": "text", "text": "Hvornår blev de interviewet?"}]}]
    with server.client() as client:
        response = client.post("/v1/chat/completions", json={"messages": messages, "temperature": 0.2})
    assert response.status_code == 200
    assert response.json()["rapportbot"]["question"] == "Hvornår blev de interviewet?"


def test_models_lists_rapportbot(server):
    with server.client() as client:
        body = client.get("/v1/models").json()
    assert [m["id"] for m in body["data"]] == ["rapportbot"]


@pytest.mark.parametrize("path, body, expected", [
    ("/api/ask", {"question": ""}, "empty"),
    ("/api/ask", {"question": "   \n\t "}, "empty"),
    ("/api/ask", {"question": "x" * 2001}, "2000"),
    ("/api/ask", {"question": 42}, "question"),
    ("/api/ask", {"question": QUESTION, "colour": "red"}, "colour"),
    ("/api/ask", {"question": QUESTION, "history": [{"role": "wizard", "content": "hi"}]}, "history.0.role"),
    ("/api/ask", {}, "question"),
    ("/api/ask", [], "body"),
    ("/v1/chat/completions", {"messages": []}, "messages"),
    ("/v1/chat/completions", {"messages": [{"role": "assistant", "content": "hi"}]}, "user message"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": " "}]}, "empty"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "y" * 5000}], "stream": True}, "2000"),
    ("/api/feedback", {"question": QUESTION}, "rating"),
    ("/api/feedback", {"question": QUESTION, "rating": "meh"}, "rating"),
])
def test_bad_requests_get_a_4xx_json_error_saying_what_is_wrong(server, path, body, expected):
    with server.client() as client:
        response = client.post(path, json=body)
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert expected.lower() in error.lower(), error
    assert "Traceback" not in response.text


@pytest.mark.parametrize("raw", [b'{"question": ', b"not json", b'{"question": "\xff\xfe"}', b""])
def test_malformed_json_is_a_4xx_not_a_traceback(server, raw):
    with server.client() as client:
        response = client.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json()["error"] and "Traceback" not in response.text


@pytest.mark.parametrize("method, path", [("GET", "/api/nope"), ("POST", "/v1/embeddings"), ("GET", "/api/ask")])
def test_unknown_api_routes_get_a_json_4xx(server, method, path):
    with server.client() as client:
        response = client.request(method, path)
    assert response.status_code in (404, 405) and response.json()["error"]


def test_html_in_a_question_comes_back_as_data_not_markup(server):
    question = 'Hvad med <script>alert("x")</script> og <img src=x onerror=alert(1)> innovation?'
    with server.client() as client:
        response = client.post("/api/ask", json={"question": question})
        completion = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": question}]})
    assert response.status_code == 200 and completion.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "<script>" in response.json()["question"]  # JSON carries the text as it was asked


def test_docs_and_openapi_are_served(server):
    with server.client() as client:
        assert client.get("/docs").status_code == 200
        schema = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/health", "/api/feedback", "/v1/chat/completions", "/v1/models"} <= set(schema["paths"])


def test_metrics_count_requests_answers_and_latency(server):
    with server.client() as client:
        client.post("/api/ask", json={"question": QUESTION})
        client.post("/api/ask", json={"question": "Hvad er prisen på en pizza i Rom?"})
        text = client.get("/metrics").text
    assert 'rapportbot_http_requests_total{route="/api/ask",status="2xx"}' in text
    assert 'rapportbot_answers_total{channel="api",mode="extractive"}' in text
    assert "rapportbot_http_request_seconds_bucket" in text
    assert "rapportbot_refusals_total" in text and "rapportbot_llm_fallbacks_total" in text


def test_request_log_is_json_without_the_question_by_default(server, caplog):
    secret = "Hvor mange topledere fra regionerne deltog?"
    with caplog.at_level("INFO", logger="rapportbot.requests"), server.client() as client:
        client.post("/api/ask", json={"question": secret})
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "rapportbot.requests"]
    ask = [r for r in records if r["route"] == "/api/ask"]
    assert ask, records
    assert {"time", "route", "status", "latency_ms", "mode", "refused", "quotes"} <= set(ask[-1])
    assert secret not in caplog.text


def test_request_log_has_the_question_when_asked_to(start_server, caplog):
    logged = start_server(log_questions=True)
    with caplog.at_level("INFO", logger="rapportbot.requests"), logged.client() as client:
        client.post("/api/ask", json={"question": QUESTION})
    assert any(json.loads(r.getMessage()).get("question") == QUESTION
               for r in caplog.records if r.name == "rapportbot.requests")


class _BrokenEngine:
    """An answer engine with a bug: the server must still answer with one JSON line, no traceback."""

    store = None

    def ask(self, question, history=None, id=None):
        raise AttributeError("a bug deep in the engine")

    def stream(self, question, history=None, id=None):
        raise AttributeError("a bug deep in the engine")
        yield  # pragma: no cover


def test_an_engine_bug_is_a_json_500_without_traceback(start_server, caplog):
    broken = start_server(service=_BrokenEngine())
    with broken.client() as client:
        for path, body in (("/api/ask", {"question": QUESTION}),
                           ("/v1/chat/completions", {"messages": [{"role": "user", "content": QUESTION}]})):
            response = client.post(path, json=body)
            assert response.status_code == 500 and response.json() == {
                "error": "internal error; the details are in the server log"}
        streamed = client.post("/v1/chat/completions", json={
            "stream": True, "messages": [{"role": "user", "content": QUESTION}]})
    assert '"server_error"' in streamed.text and streamed.text.rstrip().endswith("data: [DONE]")
    assert "AttributeError" not in response.text + streamed.text
    assert "a bug deep in the engine" in caplog.text  # ...but the operator sees it in the log


def test_history_items_may_carry_the_earlier_answers_citations(server):
    """One history shape: /api/ask takes the citations an earlier /api/ask answer returned, and a follow-up
    pointing at one of its items is answered from that item; /v1 reads them from its own Markdown."""
    with server.client() as client:
        first = client.post("/api/ask", json={"question": "Hvad er de seks opmærksomhedspunkter i rapporten?"}).json()
        history = [{"role": "user", "content": first["question"]},
                   {"role": "assistant", "content": first["answer"], "citations": first["citations"]}]
        followup = client.post("/api/ask", json={"question": "uddyb nummer to", "history": history})
        bad = client.post("/api/ask", json={"question": "uddyb nummer to", "history": [
            {"role": "assistant", "content": "x", "citations": [{"n": 1}]}]})
        v1 = client.post("/v1/chat/completions", json={"messages": [
            {"role": "user", "content": first["question"]},
            {"role": "assistant", "content": answer_markdown(Answer.model_validate(first))},
            {"role": "user", "content": "uddyb nummer to"}]})
    assert followup.status_code == 200, followup.text
    assert all("Styringslogikken" in c["section"] for c in followup.json()["citations"])
    assert bad.status_code == 422 and "citations.0.quote" in bad.json()["error"]
    assert v1.status_code == 200
    assert [c["quote"] for c in v1.json()["rapportbot"]["citations"]] == [c["quote"] for c in followup.json()["citations"]]
