"""`serve --workers 2` as a real process tree: the API spreads over both workers, the page (Gradio's queue
and event stream, through gradio_client's real protocol and in headless Chromium) answers from worker 0
whichever worker the connection reached, and stopping the supervisor stops every worker."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from bot.web.workers import stays_local
from eval.bench.load import run_load_sync
from eval.bench.processes import ServeProcess, bench_env

CHROMIUM = os.environ.get("RAPPORTBOT_CHROMIUM", "/usr/bin/chromium")


def test_only_the_page_is_pinned():
    assert stays_local("/api/ask") and stays_local("/v1/chat/completions") and stays_local("/metrics")
    assert stays_local("/rapportbot/api/ask", "/rapportbot") and stays_local("/rapportbot/v1/models", "/rapportbot/")
    assert not stays_local("/") and not stays_local("/gradio_api/queue/join") and not stays_local("/embed/")
    assert not stays_local("/rapportbot/gradio_api/queue/data", "/rapportbot") and not stays_local("/apix")


@pytest.fixture(scope="module")
def two_workers(built_store: Path, tmp_path_factory):
    work = tmp_path_factory.mktemp("workers")
    env = bench_env(built_store, RAPPORTBOT_FEEDBACK_DB=str(work / "feedback.sqlite"))
    server = ServeProcess(env, log_dir=work, workers=2)
    server.start(timeout_s=180)
    yield server
    pids = server.pids()
    server.stop()
    assert len(pids) == 3 and not any(Path(f"/proc/{pid}").exists() and
                                      "zombie" not in Path(f"/proc/{pid}/status").read_text() for pid in pids)
    assert "Traceback" not in server.log_text()


def test_the_api_spreads_over_both_workers(two_workers):
    load = run_load_sync(two_workers.url, [f"Hvad siger rapporten om ledelse? ({i})" for i in range(20)],
                         users=10, per_user=2, keep_responses=True)
    assert load.errors == 0, load.summary()
    seen = set()
    with httpx.Client(trust_env=False, timeout=30, headers={"Connection": "close"}) as client:
        for i in range(40):  # new connections (the kernel picks the worker), until both have answered
            response = client.post(two_workers.url + "/v1/chat/completions", json={
                "model": "rapportbot", "messages": [{"role": "user", "content": f"Hvem har lavet analysen? {i}"}]})
            assert response.status_code == 200, response.text
            seen.add(response.headers["x-rapportbot-worker"])
            if seen == {"0", "1"}:
                break
    assert seen == {"0", "1"}


def test_page_sessions_live_on_worker_zero(two_workers):
    from gradio_client import Client

    tags = set()
    with httpx.Client(trust_env=False, timeout=30, headers={"Connection": "close"}) as client:
        for _ in range(12):  # new connections: the kernel hands them to either worker
            response = client.get(two_workers.url + "/gradio_api/info")
            assert response.status_code == 200
            tags.add(response.headers["x-rapportbot-worker"])
    assert tags == {"0"}  # worker 1 relays, so every page answer comes from worker 0
    for _ in range(3):  # each a new session: join the queue, then read its event stream (two requests)
        result = Client(two_workers.url, verbose=False, httpx_kwargs={"trust_env": False}).predict(
            "Hvor mange topledere blev interviewet?", api_name="/ask")
        assert "24" in str(result)


def test_the_page_answers_in_chromium(two_workers):
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `bash tests/install_chromium.sh`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            for _ in range(2):  # two sessions, each opening several connections
                page = browser.new_context(locale="da-DK").new_page()
                page.goto(two_workers.url + "/")
                page.wait_for_selector("#rb-question textarea", timeout=60_000)
                page.fill("#rb-question textarea", "Hvor mange topledere blev interviewet?")
                page.click("#rb-send")
                page.wait_for_selector("#rb-chat .rb-answer details.rb-cite", timeout=60_000)
                quotes = page.locator("#rb-chat .rb-answer").last.locator(".rb-quote").all_inner_texts()
                assert any("24" in quote for quote in quotes), quotes
                page.context.close()
        finally:
            browser.close()
