"""No data lost and no request failed under concurrency: 10 users writing feedback at once, 10 users asking
at once, an ingest swapping a new store build in while clients keep asking, and an ingest killed midway
while they do. (How many users a server carries, and how fast, is a measurement: `rapportbot bench`,
eval/bench/.)"""
from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from eval.bench.load import run_load_sync
from eval.bench.processes import CLI, ServeProcess, bench_env
from ingest.settings import PROJECT_ROOT
from tests.robustness.support import NEW_QUESTION, assert_no_traceback, changed_report, copy_store

USERS = 10  # at once, each with its own connection: enough for writes and answers to interleave
QUESTION = "Hvad siger toplederne om styringslogikken?"


def test_feedback_from_10_users_at_once_is_all_stored(served: ServeProcess) -> None:
    per_user = 4
    run = uuid.uuid4().hex[:8]  # the server is shared: count this test's rows only

    def feedback(question: str, user: int, i: int) -> tuple[str, dict]:
        return "/api/feedback", {"question": question, "answer": f"svar {user}-{i}", "mode": "extractive",
                                 "rating": "up" if (user + i) % 2 else "down",
                                 "comment": f"{run} bruger {user} nr. {i} 🙂 <b>x</b> '; DROP TABLE feedback; --"}

    result = run_load_sync(served.url, ["Hvor mange topledere blev interviewet?"], USERS, per_user,
                           make_request=feedback, total_timeout_s=120)
    assert result.errors == 0, result.summary()
    database = Path(served.env["RAPPORTBOT_FEEDBACK_DB"])
    with sqlite3.connect(database) as conn:
        comments = [row[0] for row in conn.execute("SELECT comment FROM feedback WHERE comment LIKE ?",
                                                   (run + " %",))]
    expected = {f"{run} bruger {u} nr. {i} 🙂 <b>x</b> '; DROP TABLE feedback; --"
                for u in range(USERS) for i in range(per_user)}
    assert len(comments) == USERS * per_user, f"{len(comments)} rows stored for {USERS * per_user} sent"
    assert set(comments) == expected


def test_10_users_asking_at_once_each_get_their_own_answer(served: ServeProcess) -> None:
    questions = ["Hvor mange topledere blev interviewet?", "What is the new synthesis?",
                 "Hvad siger toplederne om klimadagsordenen?", "How does the governance logic hinder innovation?",
                 "Hvad er radikal innovation?", "Hvem vandt fodbold-VM i 2018?"]
    result = run_load_sync(served.url, questions, USERS, 2, keep_responses=True, total_timeout_s=240)
    assert result.errors == 0, result.summary()
    assert len(result.responses) == USERS * 2
    for question, body in result.responses:
        assert body["question"] == question, "an answer went to the wrong request"


# -- ingests into the store a server answers from ---------------------------------------------------------------

@pytest.fixture(scope="module")
def served_copy(built_store: Path, tmp_path_factory: pytest.TempPathFactory):
    """(store directory, running ServeProcess): a real `rapportbot serve` over a private copy of the shared
    store, for the two tests below that run `rapportbot ingest` into that copy while it serves. Each reads the
    version it starts from, and leaves the store answering."""
    work = tmp_path_factory.mktemp("serve-copy")
    store = copy_store(built_store, work / "store")
    server = ServeProcess(bench_env(store, RAPPORTBOT_FEEDBACK_DB=str(work / "fb.sqlite")), log_dir=work)
    try:
        yield store, server.start(timeout_s=180)
    finally:
        server.stop()
    assert_no_traceback(server.log_text(), "the serve log of the ingested copy")


def test_ingest_killed_midway_leaves_the_served_store_answering(served_copy, store_settings, tmp_path: Path) -> None:
    import signal

    from bot.service import AnswerService
    from ingest.settings import StoreSettings

    store, server = served_copy
    builds_before = {p.name for p in (store / "builds").iterdir()}
    env = server.env
    failures: list[str] = []
    asked = 0
    stop = threading.Event()

    version = httpx.get(server.url + "/api/health", trust_env=False).json().get("version")
    quotes = lambda answer: [c["quote"] for c in answer["citations"]]
    before = httpx.post(server.url + "/api/ask", json={"question": NEW_QUESTION}, timeout=30, trust_env=False).json()

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
    after = httpx.post(server.url + "/api/ask", json={"question": NEW_QUESTION}, timeout=30, trust_env=False).json()
    assert quotes(after) == quotes(before), "a killed ingest must not change what is answered"
    # Opening the store afresh (as a new process does) finds the previous build, and it answers.
    fresh = AnswerService(store_settings.model_copy(update={"store": StoreSettings(path=store, chroma_url=None)}))
    assert fresh.store.version == version
    assert fresh.ask(QUESTION).citations


def test_ingest_while_serving_swaps_atomically_without_a_failed_request(served_copy, tmp_path: Path) -> None:
    _, server = served_copy
    env = server.env
    questions = ["Hvad siger toplederne om styringslogikken?", "What are the six points of attention?",
                 NEW_QUESTION, "Hvor mange topledere blev interviewet?"]
    failures: list[str] = []
    answered = 0
    stop = threading.Event()
    lock = threading.Lock()

    old_version = httpx.get(server.url + "/api/health", trust_env=False).json().get("version")
    before = httpx.post(server.url + "/api/ask", json={"question": NEW_QUESTION}, timeout=30,
                        trust_env=False).json()
    assert not any("Zylofon" in c["quote"] for c in before["citations"])

    def client_loop(offset: int) -> None:
        nonlocal answered
        with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as client:
            i = offset
            while not stop.is_set():
                try:
                    response = client.post("/api/ask", json={"question": questions[i % len(questions)]})
                    ok = response.status_code == 200 and "answer" in response.json()
                    detail = f"{response.status_code}: {response.text[:200]}"
                except (httpx.HTTPError, ValueError) as err:
                    ok, detail = False, f"{type(err).__name__}: {err}"
                with lock:
                    answered += 1
                    if not ok:
                        failures.append(detail)
                i += 1

    clients = [threading.Thread(target=client_loop, args=(n,)) for n in range(4)]
    for thread in clients:
        thread.start()
    try:
        ingest = subprocess.run(CLI + ["ingest", str(changed_report(tmp_path / "changed"))], env=env,
                                cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
        assert ingest.returncode == 0, ingest.stderr[-1500:]
        # The server notices the new build on its own; give it a moment, still under load.
        deadline = time.monotonic() + 20
        new_version = old_version
        while time.monotonic() < deadline and new_version == old_version:
            time.sleep(0.2)
            new_version = httpx.get(server.url + "/api/health", trust_env=False).json().get("version")
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=60)
    assert answered > 20 and not failures, (answered, failures[:3])
    assert new_version != old_version, "the server never picked up the new build"
    after = httpx.post(server.url + "/api/ask", json={"question": NEW_QUESTION}, timeout=30,
                       trust_env=False).json()
    assert any("Zylofon" in c["quote"] for c in after["citations"]), after
