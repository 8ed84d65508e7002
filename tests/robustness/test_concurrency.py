"""No data lost and no request failed under concurrency: 10 users writing feedback at once, 10 users asking
at once, and an ingest swapping a new store build in while clients keep asking. (How many users a server
carries, and how fast, is a measurement: `rapportbot bench`, eval/bench/.)"""
from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

import httpx

from eval.bench.load import run_load_sync
from eval.bench.processes import CLI, ServeProcess
from ingest.settings import PROJECT_ROOT
from tests.robustness.support import NEW_QUESTION, changed_report

USERS = 10  # at once, each with its own connection: enough for writes and answers to interleave


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
