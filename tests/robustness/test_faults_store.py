"""Store faults on real parts: the store missing or corrupt (CLI and API), a `chroma run` server that goes
away and comes back, an ingest killed midway while the server answers."""
from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from eval.bench.processes import ServeProcess, bench_env, run_measured
from tests.robustness.support import assert_no_traceback, copy_store

QUESTION = "Hvad siger toplederne om styringslogikken?"


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

    from eval.bench.processes import CLI
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
