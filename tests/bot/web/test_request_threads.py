"""`serve` sizes the pool that runs the API's sync endpoints: few threads for CPU-bound extractive
answers, many when an LLM is configured, or what RAPPORTBOT_REQUEST_THREADS says."""
from __future__ import annotations

import threading
import time

import httpx
import uvicorn
from fastapi import FastAPI

from bot.commands.serve import request_threads, sized_server
from ingest.settings import ServerSettings, Settings
from tests.bot.web.conftest import free_port


def test_default_pool_depends_on_the_mode_and_the_setting_wins() -> None:
    settings = Settings()
    assert request_threads(settings, llm=False) == 16
    assert request_threads(settings, llm=True) == 64
    chosen = settings.model_copy(update={"server": ServerSettings(request_threads=3)})
    assert request_threads(chosen, llm=False) == 3 and request_threads(chosen, llm=True) == 3


def test_env_var_sets_the_pool(monkeypatch) -> None:
    monkeypatch.setenv("RAPPORTBOT_REQUEST_THREADS", "12")
    assert Settings().server.request_threads == 12


def test_sized_server_runs_sync_endpoints_with_that_many_threads_at_once() -> None:
    app = FastAPI()
    running = 0
    most = 0
    lock = threading.Lock()
    release = threading.Event()

    @app.get("/work")
    def work() -> dict:  # a sync endpoint: runs in the pool
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(30)
        with lock:
            running -= 1
        return {"ok": True}

    port = free_port()
    server = sized_server(uvicorn.Server, 3)(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
            time.sleep(0.02)
        statuses: list[int] = []

        def call() -> None:
            with httpx.Client(trust_env=False, timeout=60) as client:
                statuses.append(client.get(f"http://127.0.0.1:{port}/work").status_code)

        callers = [threading.Thread(target=call) for _ in range(6)]
        for caller in callers:
            caller.start()
        deadline = time.monotonic() + 30
        while running < 3:
            assert time.monotonic() < deadline, "the pool never filled"
            time.sleep(0.02)
        time.sleep(0.3)  # give a fourth request the chance to start, were the pool larger
        assert running == 3
        release.set()
        for caller in callers:
            caller.join(30)
        assert statuses == [200] * 6 and most == 3
    finally:
        release.set()
        server.should_exit = True
        thread.join(10)
