"""Real servers for the web tests: the whole app under uvicorn on a free 127.0.0.1 port, in a thread,
over the shared store (extractive mode). One AnswerService is shared by all servers of the session so
each new server (auth on, sub-path...) starts in about a second."""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.settings import ServerSettings, Settings

CHROMIUM = os.environ.get("RAPPORTBOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningServer:
    def __init__(self, settings: Settings, service: Any, feedback_db: Path) -> None:
        import uvicorn

        from bot.web.app import create_app

        self.settings = settings
        self.feedback_db = feedback_db
        self.app = create_app(settings, service_factory=lambda: service, feedback_path=feedback_db)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> "RunningServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, trust_env=False, **kwargs)


@pytest.fixture(scope="session")
def answer_service(store_settings: Settings) -> Any:
    from bot.service import AnswerService

    return AnswerService(store_settings)


@pytest.fixture(scope="session")
def start_server(store_settings: Settings, answer_service: Any,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RunningServer]]:
    """`start_server(**server_settings)`: a running server with those ServerSettings fields changed."""
    started: list[RunningServer] = []

    def start(service: Any = None, **server_fields: Any) -> RunningServer:
        feedback_db = server_fields.pop("feedback_db", None) or tmp_path_factory.mktemp("feedback") / "feedback.sqlite"
        server = ServerSettings(**{"feedback_db": feedback_db, **server_fields})
        settings = store_settings.model_copy(update={"server": server})
        running = RunningServer(settings, service or answer_service, feedback_db).start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture(scope="session")
def server(start_server: Callable[..., RunningServer]) -> RunningServer:
    """The default server: no auth, no sub-path, Danish page."""
    return start_server()


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium (tests/install_chromium.sh), one per test module: Playwright's sync API keeps an
    event loop running in the main thread while it lives, and a later module's asyncio.run() must not meet it."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        reason = (f"Chromium is not installed at {CHROMIUM}: run `bash tests/install_chromium.sh` as root "
                  "(apt-get install chromium), or set RAPPORTBOT_CHROMIUM")
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " - in CI the browser test must run")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser: Any, **context_options: Any) -> Any:
    """A page in a fresh context with the network off: any request beyond loopback is aborted and listed in
    `page.off_network` (the page must work without a CDN); JS errors are listed in `page.errors`."""
    options = {"viewport": {"width": 1440, "height": 1000}, "locale": "da-DK", **context_options}
    context = browser.new_context(**options)
    page = context.new_page()
    page.errors, page.off_network = [], []
    page.on("pageerror", lambda err: page.errors.append(str(err)))

    def only_loopback(route: Any) -> None:
        host = route.request.url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
        if route.request.url.startswith(("http://", "https://", "ws://", "wss://")) and host not in LOOPBACK:
            page.off_network.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", only_loopback)
    return page


@pytest.fixture
def page(browser):
    page = open_page(browser)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    yield page
    page.context.close()
