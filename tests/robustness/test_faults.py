"""Faults on real parts: a misbehaving LLM server, a Chroma server that goes away and comes back, a
missing or corrupt store, an ingest killed while the server answers."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from eval.bench_proc import ServeProcess, bench_env, run_measured
from ingest.settings import LLMSettings, Settings
from tests.bot.fake_openai import FakeOpenAI, Reply, closed_port_url
from tests.robustness.support import assert_no_traceback, copy_store

LLM_TIMEOUT_S = 2.0
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
def fake_llm() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


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

@pytest.fixture(scope="module")
def served_llm(built_store: Path, fake_llm: FakeOpenAI, tmp_path_factory) -> Iterator[ServeProcess]:
    work = tmp_path_factory.mktemp("serve-llm")
    env = bench_env(built_store, RAPPORTBOT_LLM="openai", OPENAI_BASE_URL=fake_llm.base_url, OPENAI_API_KEY="test",
                    RAPPORTBOT_LLM_TIMEOUT=str(LLM_TIMEOUT_S), RAPPORTBOT_FEEDBACK_DB=str(work / "fb.sqlite"))
    with ServeProcess(env, log_dir=work) as server:
        yield server


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


# -- the store missing or corrupt ---------------------------------------------------------------------------

def _corrupt_every_file(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            path.write_bytes(b"\x00garbage\xff" * 8)


@pytest.mark.parametrize("damage", ["missing", "empty_dir", "every_file_garbage"])
def test_cli_ask_without_a_usable_store_names_rapportbot_ingest(damage: str, built_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    if damage == "empty_dir":
        store.mkdir()
    elif damage == "every_file_garbage":
        _corrupt_every_file(copy_store(built_store, store))
    run = run_measured(["ask", QUESTION], bench_env(store), timeout_s=120)
    assert run.returncode == 2, (run.returncode, run.stdout[-500:], run.stderr[-1500:])
    assert "rapportbot ingest" in run.stderr, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert_no_traceback(run.stderr + run.stdout, f"ask over a {damage} store")


@pytest.mark.parametrize("damage", ["missing", "every_file_garbage"])
def test_api_without_a_usable_store_answers_503_naming_rapportbot_ingest_then_recovers(
        damage: str, built_store: Path, tmp_path: Path) -> None:
    import shutil

    store = tmp_path / "store"
    if damage == "every_file_garbage":
        _corrupt_every_file(copy_store(built_store, store))
    env = bench_env(store, RAPPORTBOT_FEEDBACK_DB=str(tmp_path / "fb.sqlite"))
    with ServeProcess(env, log_dir=tmp_path).start(require_healthy=False) as server:
        health = httpx.get(server.url + "/api/health", timeout=10, trust_env=False)
        assert health.status_code == 503, health.text
        response = httpx.post(server.url + "/api/ask", json={"question": QUESTION}, timeout=30, trust_env=False)
        assert response.status_code == 503, response.text
        assert "rapportbot ingest" in response.json()["error"]
        assert_no_traceback(response.text + health.text, "503 bodies")
        # Once a good store is there (as `rapportbot ingest` leaves it), the server answers without a restart.
        shutil.rmtree(store, ignore_errors=True)
        copy_store(built_store, store)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and response.status_code != 200:
            time.sleep(0.5)
            response = httpx.post(server.url + "/api/ask", json={"question": QUESTION}, timeout=30, trust_env=False)
        assert response.status_code == 200, response.text[:500]
    assert_no_traceback(server.log_text(), f"serve log over a {damage} store")


# -- the Chroma server goes away and comes back --------------------------------------------------------------

@pytest.mark.chroma_server
def test_chroma_server_away_running_service_answers_new_processes_get_a_clear_error(chroma_store, store_settings,
                                                                                  tmp_path: Path) -> None:
    """Queries are ranked on the vectors the server loaded at start, so a running service keeps answering;
    a process that has to open the store while Chroma is away says so in one line, and works once it is back."""
    from bot.service import AnswerService
    from ingest.settings import StoreSettings

    store, chroma = chroma_store
    settings = store_settings.model_copy(update={"store": StoreSettings(path=store, chroma_url=chroma.url)})
    service = AnswerService(settings)
    env = bench_env(store, RAPPORTBOT_CHROMA_URL=chroma.url)
    chroma.stop()
    try:
        assert service.ask("Hvad siger rapporten om klimadagsordenen?").citations
        away = run_measured(["ask", QUESTION], env, timeout_s=120)
        assert away.returncode == 2, (away.returncode, away.stderr[-1500:])
        assert "Chroma server" in away.stderr and chroma.url in away.stderr, away.stderr
        assert len(away.stderr.strip().splitlines()) == 1, away.stderr
        assert_no_traceback(away.stderr + away.stdout, "ask while Chroma is away")
    finally:
        chroma.start()
    back = run_measured(["ask", "--json", QUESTION], env, timeout_s=120)
    assert back.returncode == 0 and json.loads(back.stdout)["citations"], back.stderr[-1500:]


@pytest.mark.chroma_server
def test_serve_started_while_chroma_is_away_answers_503_then_recovers_without_restart(chroma_store,
                                                                                     tmp_path: Path) -> None:
    store, chroma = chroma_store
    env = bench_env(store, RAPPORTBOT_CHROMA_URL=chroma.url, RAPPORTBOT_FEEDBACK_DB=str(tmp_path / "fb.sqlite"))
    chroma.stop()
    try:
        with ServeProcess(env, log_dir=tmp_path).start(require_healthy=False) as server:
            ask = lambda: httpx.post(server.url + "/api/ask", json={"question": QUESTION}, timeout=30,
                                     trust_env=False)
            away = ask()
            assert away.status_code == 503, away.text[:500]
            assert "Chroma" in away.json().get("error", away.text), away.text
            assert_no_traceback(away.text, "503 while Chroma is away")
            chroma.start()
            deadline, back = time.monotonic() + 20, away
            while time.monotonic() < deadline and back.status_code != 200:
                time.sleep(0.5)
                back = ask()
            assert back.status_code == 200 and back.json()["citations"], back.text[:500]
        assert_no_traceback(server.log_text(), "serve log across a Chroma outage")
    finally:
        if chroma.proc is None or chroma.proc.poll() is not None:
            chroma.start()


# -- an ingest killed midway while the server answers ---------------------------------------------------------

def test_ingest_killed_midway_leaves_the_served_store_answering(built_store: Path, tmp_path: Path) -> None:
    import signal
    import subprocess
    import threading

    from eval.bench_proc import CLI
    from ingest.settings import PROJECT_ROOT
    from tests.robustness.support import NEW_QUESTION, changed_report

    store = copy_store(built_store, tmp_path / "store")
    builds_before = {p.name for p in (store / "builds").iterdir()}
    env = bench_env(store, RAPPORTBOT_FEEDBACK_DB=str(tmp_path / "fb.sqlite"))
    failures: list[str] = []
    asked = 0
    stop = threading.Event()

    with ServeProcess(env, log_dir=tmp_path) as server:
        version = httpx.get(server.url + "/api/health", trust_env=False).json().get("version")

        def keep_asking() -> None:
            nonlocal asked
            with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as client:
                while not stop.is_set():
                    response = client.post("/api/ask", json={"question": QUESTION})
                    asked += 1
                    if response.status_code != 200:
                        failures.append(f"{response.status_code}: {response.text[:200]}")

        asker = threading.Thread(target=keep_asking)
        asker.start()
        try:
            ingest = subprocess.Popen(CLI + ["ingest", str(changed_report(tmp_path / "changed"))], env=env,
                                      cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # Kill it as soon as its new build appears on disk: the build is being written, not yet swapped in.
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and ingest.poll() is None:
                if {p.name for p in (store / "builds").iterdir()} - builds_before:
                    break
                time.sleep(0.005)
            assert ingest.poll() is None, "ingest finished before it could be killed; the test proves nothing"
            ingest.send_signal(signal.SIGKILL)
            ingest.wait(timeout=10)
            time.sleep(1.0)  # the server keeps answering after the kill too
        finally:
            stop.set()
            asker.join(timeout=60)
        assert asked > 0 and not failures, failures[:3]
        health = httpx.get(server.url + "/api/health", trust_env=False).json()
        assert health.get("version") == version, "a killed ingest must not swap its build in"
        answer = httpx.post(server.url + "/api/ask", json={"question": NEW_QUESTION}, timeout=30,
                            trust_env=False).json()
        assert not any("Zylofon" in c["quote"] for c in answer["citations"])
    # A fresh process opens the previous store as well.
    run = run_measured(["ask", "--json", QUESTION], env, timeout_s=120)
    assert run.returncode == 0, run.stderr[-1000:]
    assert json.loads(run.stdout)["citations"]
