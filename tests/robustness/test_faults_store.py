"""Store faults on real parts: the store missing or corrupt (CLI and API), a `chroma run` server that goes
away and comes back. (An ingest killed midway while the server answers: test_concurrency.py, beside the
ingest that completes, on the same server.)"""
from __future__ import annotations

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


@pytest.fixture(scope="module", autouse=True)
def _server_over_no_store(tmp_path_factory: pytest.TempPathFactory):
    """(store directory, ServeProcess) for the API test below: launched over a store directory that does not
    exist yet when the module starts, so its start-up runs while the CLI tests above do."""
    work = tmp_path_factory.mktemp("no-store")
    server = ServeProcess(bench_env(work / "store", RAPPORTBOT_FEEDBACK_DB=str(work / "fb.sqlite")), log_dir=work)
    yield work / "store", server.launch()
    server.stop()


def test_api_without_a_usable_store_answers_503_naming_rapportbot_ingest_then_recovers(
        _server_over_no_store, built_store: Path, tmp_path: Path) -> None:
    """`serve` without a usable store starts anyway, its page works and says so, and the API answers 503 naming
    `rapportbot ingest`. One server through both kinds of damage: started over a missing store, then the store
    directory appears with every file garbage (the server tries it again on the next request after its retry
    pause), and once a good store is there (as `rapportbot ingest` leaves it) it answers without a restart."""
    import shutil

    store, server = _server_over_no_store
    server.wait_healthy(timeout_s=180, require_healthy=False)
    ask = lambda: httpx.post(server.url + "/api/ask", json={"question": QUESTION}, timeout=30, trust_env=False)

    def answer_once(done, limit_s: float = 20) -> httpx.Response:
        deadline = time.monotonic() + limit_s
        response = ask()
        while time.monotonic() < deadline and not done(response):
            time.sleep(0.25)
            response = ask()
        return response

    with server:
        for damage in ("missing", "every_file_garbage"):
            if damage == "every_file_garbage":
                garbage = copy_store(built_store, tmp_path / "garbage")
                _corrupt_every_file(garbage)
                garbage.rename(store)  # in place at once: the server never sees a good copy on the way
                # The store changed under the server: wait until its answer says why this store is unusable.
                response = answer_once(lambda r: "no store at" not in r.text)
            else:
                response = ask()
            health = httpx.get(server.url + "/api/health", timeout=10, trust_env=False)
            assert health.status_code == 503, (damage, health.text)
            assert response.status_code == 503, (damage, response.text)
            assert "rapportbot ingest" in response.json()["error"], (damage, response.text)
            assert ("no store at" in response.text) == (damage == "missing"), (damage, response.text)
            assert_no_traceback(response.text + health.text, f"503 bodies over a {damage} store")
            page = httpx.get(server.url + "/", timeout=30, trust_env=False)
            assert page.status_code == 200, (damage, page.status_code)  # the page itself works, and says so
        good = copy_store(built_store, tmp_path / "good")
        shutil.rmtree(store)
        good.rename(store)
        response = answer_once(lambda r: r.status_code == 200)
        assert response.status_code == 200, response.text[:500]
    log = server.log_text()
    started = [line for line in log.splitlines() if "serving anyway" in line]  # told at start, for the operator
    assert started and "rapportbot ingest" in started[0], log[-2000:]
    assert_no_traceback(log, "serve log over a missing, then garbage store")


# -- the Chroma server goes away and comes back --------------------------------------------------------------

@pytest.mark.chroma_server
def test_chroma_server_away_running_service_answers_new_processes_get_a_clear_error(chroma_store, store_settings,
                                                                                  tmp_path: Path) -> None:
    """Queries are ranked on the vectors the server loaded at start, so a running service keeps answering;
    a process that has to open the store while Chroma is away (`rapportbot ask`) says so in one line, and the
    store opens again once the server is back."""
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
    # Opening the store afresh once the server is back works (a new process doing so: the serve test below).
    assert AnswerService(settings).ask(QUESTION).citations


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
