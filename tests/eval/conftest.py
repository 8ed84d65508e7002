"""Fixtures for the eval tests: one real AnswerService over the shared store, a loopback HTTP server that
serves its answers on POST /api/ask."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest
from tests.bot.fake_openai import send_json


@pytest.fixture(scope="session")
def eval_service(store_settings) -> Any:
    """The real AnswerService, extractive, over the shared store (models loaded once per session)."""
    from bot.service import AnswerService

    return AnswerService(store_settings)


class AskServer:
    """POST /api/ask {"question": ...} -> the Answer JSON from a real AnswerService; bearer token checked."""

    def __init__(self, service: Any, token: str | None):
        self.service, self.token, self.requests = service, token, 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, payload: dict) -> None:
                send_json(self, status, payload)

            def do_POST(self) -> None:
                outer.requests += 1
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))  # always drain the request
                if self.path != "/api/ask":
                    return self._reply(404, {"detail": "not found"})
                if outer.token and self.headers.get("Authorization") != f"Bearer {outer.token}":
                    return self._reply(401, {"detail": "unauthorized"})
                data = json.loads(body)
                answer = outer.service.ask(data["question"])
                self._reply(200, answer.model_dump(mode="json"))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "AskServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def ask_server(eval_service) -> Iterator[AskServer]:
    with AskServer(eval_service, token="s3cret") as server:
        yield server
