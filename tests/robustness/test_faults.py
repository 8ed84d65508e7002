"""LLM faults on real parts (a local OpenAI-compatible server that errs, hangs, or talks nonsense; a port
nothing listens on): the user gets the extractive answer with a notice, within the configured timeout -
in-process, through /api/ask and through the streamed /v1/chat/completions. Store faults: test_faults_store.py."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from eval.bench.processes import ServeProcess, bench_env
from ingest.settings import LLMSettings, Settings
from tests.bot.fake_openai import FakeOpenAI, Reply, closed_port_url
from tests.robustness.support import assert_no_traceback

LLM_TIMEOUT_S = 1.0  # the product's knob (RAPPORTBOT_LLM_TIMEOUT); the hanging fakes make each such test wait it out
SLACK_S = 1.5  # retrieval + extractive answer + process noise on a busy 2-core machine
QUESTION = "Hvad siger toplederne om styringslogikken?"

FAULTS = {
    "http_500": lambda: Reply.error(500),
    "http_429": lambda: Reply.error(429),
    "timeout": lambda: Reply.hang(30),
    "hang_midstream": lambda: Reply.hang_midstream("Toplederne siger [1], at styringslogikken", 30),
    "not_json_body": lambda: Reply.garbage(),
    "empty_reply": lambda: Reply.text(""),
    "broken_json_reply": lambda: Reply.text('```json\n{"answer": "Styringslogikken [1", "quotes": [{"n": 1,\n```'),
    "invented_quotes": lambda: Reply.text(
        "Toplederne vil afskaffe styring [1].\nQUOTES:\n[1] \"Alle topledere ønsker at afskaffe al styring i 2030.\""),
}


def llm_settings(base: Settings, base_url: str) -> Settings:
    return base.model_copy(update={"llm": LLMSettings(provider="openai", base_url=base_url, api_key="test",
                                                      timeout_s=LLM_TIMEOUT_S)})


@pytest.fixture(scope="module")
def fake_llm(_fake_openai_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """The session's fake server; its scripted faults are cleared for whoever uses it next."""
    yield _fake_openai_server
    _fake_openai_server.reset()


@pytest.fixture(scope="module")
def extractive_answer(store_settings):
    from bot.service import AnswerService

    return AnswerService(store_settings).ask(QUESTION)


@pytest.fixture(scope="module")
def llm_service(store_settings, fake_llm: FakeOpenAI):
    from bot.service import AnswerService

    return AnswerService(llm_settings(store_settings, fake_llm.base_url))


def assert_extractive_fallback(answer, extractive, elapsed: float) -> None:
    assert answer.mode == "extractive", answer
    assert answer.notice and answer.notice.strip(), "the user must be told the LLM answer failed"
    assert_no_traceback(answer.notice, "the notice")
    assert elapsed <= LLM_TIMEOUT_S + SLACK_S, f"took {elapsed:.1f} s with a {LLM_TIMEOUT_S} s timeout"
    # The fallback is the extractive answer itself, quotes and all.
    assert answer.answer == extractive.answer
    assert [c.quote for c in answer.citations] == [c.quote for c in extractive.citations]


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_llm_fault_gives_the_extractive_answer_with_a_notice(fault: str, fake_llm: FakeOpenAI, llm_service,
                                                             extractive_answer) -> None:
    fake_llm.reset()
    fake_llm.default = FAULTS[fault]()
    started = time.perf_counter()
    answer = llm_service.ask(QUESTION)
    elapsed = time.perf_counter() - started
    assert fake_llm.requests, "the LLM was not asked"
    assert_extractive_fallback(answer, extractive_answer, elapsed)


def test_unreachable_llm_gives_the_extractive_answer_with_a_notice(store_settings, extractive_answer) -> None:
    from bot.service import AnswerService

    service = AnswerService(llm_settings(store_settings, closed_port_url()))
    started = time.perf_counter()
    answer = service.ask(QUESTION)
    assert_extractive_fallback(answer, extractive_answer, time.perf_counter() - started)


def test_hanging_llm_on_a_follow_up_still_answers_within_the_timeout(fake_llm: FakeOpenAI, llm_service) -> None:
    """A follow-up may need two LLM calls (condense, then answer): the user still waits one timeout at most."""
    fake_llm.reset()
    fake_llm.default = Reply.hang(30)
    history = [{"role": "user", "content": "Hvad siger toplederne om styringslogikken?"},
               {"role": "assistant", "content": "Toplederne oplever et stærkt træk mod performance og compliance."}]
    started = time.perf_counter()
    answer = llm_service.ask("og hvad med regionerne?", history=history)
    elapsed = time.perf_counter() - started
    assert answer.mode == "extractive" and answer.notice
    assert elapsed <= LLM_TIMEOUT_S + SLACK_S, f"took {elapsed:.1f} s with a {LLM_TIMEOUT_S} s timeout"


# -- the same faults through the HTTP API of a real server -------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def _served_llm_process(built_store: Path, fake_llm: FakeOpenAI, tmp_path_factory) -> Iterator[ServeProcess]:
    """Launched with the module's first test: the server starts while the in-process tests above run."""
    work = tmp_path_factory.mktemp("serve-llm")
    env = bench_env(built_store, RAPPORTBOT_LLM="openai", OPENAI_BASE_URL=fake_llm.base_url, OPENAI_API_KEY="test",
                    RAPPORTBOT_LLM_TIMEOUT=str(LLM_TIMEOUT_S), RAPPORTBOT_FEEDBACK_DB=str(work / "fb.sqlite"))
    server = ServeProcess(env, log_dir=work).launch()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def served_llm(_served_llm_process: ServeProcess) -> ServeProcess:
    _served_llm_process.wait_healthy(timeout_s=180)
    return _served_llm_process


@pytest.mark.parametrize("fault", ["http_500", "timeout", "not_json_body", "invented_quotes"])
def test_llm_fault_through_the_api_gives_the_extractive_answer(fault: str, fake_llm: FakeOpenAI,
                                                               served_llm: ServeProcess, extractive_answer) -> None:
    fake_llm.reset()
    fake_llm.default = FAULTS[fault]()
    started = time.perf_counter()
    response = httpx.post(served_llm.url + "/api/ask", json={"question": QUESTION}, timeout=30, trust_env=False)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text[:500]
    from bot.types import Answer

    assert_extractive_fallback(Answer.model_validate(response.json()), extractive_answer, elapsed)


def test_llm_hanging_mid_stream_through_the_openai_endpoint_ends_with_the_extractive_answer(
        fake_llm: FakeOpenAI, served_llm: ServeProcess, extractive_answer) -> None:
    fake_llm.reset()
    fake_llm.default = FAULTS["hang_midstream"]()
    body = {"model": "rapportbot", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    started = time.perf_counter()
    raw, content = "", ""
    with httpx.stream("POST", served_llm.url + "/v1/chat/completions", json=body, timeout=30,
                      trust_env=False) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            raw += line + "\n"
            if line.startswith("data: {"):
                for choice in json.loads(line[6:]).get("choices", []):
                    content += (choice.get("delta") or {}).get("content") or ""
    elapsed = time.perf_counter() - started
    assert "data: [DONE]" in raw, "the stream must be finished properly"
    assert elapsed <= LLM_TIMEOUT_S + SLACK_S + 1.0, f"took {elapsed:.1f} s"
    assert_no_traceback(raw, "the stream")
    # What the client ends up with carries the extractive answer's quotes and the notice.
    assert extractive_answer.citations
    flat = " ".join(content.split())  # the written-out citations put each quote on one line
    assert " ".join(extractive_answer.citations[0].quote.split()) in flat, content[-800:]
