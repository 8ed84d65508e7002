"""A small OpenAI-compatible chat server on 127.0.0.1 for tests: real HTTP, real SSE, scripted replies.

It knows nothing about the report or our answers: a test scripts each reply from real report text, then
points the code under test at `server.base_url`. Replies are consumed in order, one per request
(`server.script(...)`); when the script runs out, `server.default` answers. Every request body is kept in
`server.requests` so a test can check what the client sent.

    server.script(Reply.text('Svar [1]\nQUOTES:\n[1] "..."'))    # 200, streamed or not as the client asks
    server.script(Reply.error(500))                               # HTTP error with an OpenAI error body
    server.script(Reply.hang(5))                                  # no response for 5 s
    server.script(Reply.hang_midstream('Svar begynder ...', 5))   # some SSE chunks, then silence
    server.script(Reply.garbage())                                # 200 with a body that is not JSON
    server.script(Reply.huge('Svar ', 1_000_000))                 # a runaway model: 1 MB of text
"""
from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    kind: str  # "text" | "error" | "hang" | "hang_midstream" | "garbage"
    content: str = ""
    status: int = 200
    seconds: float = 0.0
    chunk_chars: int = 12

    @classmethod
    def text(cls, content: str, chunk_chars: int = 12) -> "Reply":
        """A normal completion whose message is `content` (streamed in pieces of `chunk_chars`)."""
        return cls("text", content=content, chunk_chars=chunk_chars)

    @classmethod
    def huge(cls, start: str, total_chars: int, tail: str = "", chunk_chars: int = 64) -> "Reply":
        """A runaway reply: `start`, filler words up to `total_chars`, then `tail` (e.g. a QUOTES block)."""
        filler = ("og så videre " * (total_chars // 13 + 1))[:max(0, total_chars - len(start) - len(tail))]
        return cls("text", content=start + filler + tail, chunk_chars=chunk_chars)

    @classmethod
    def error(cls, status: int = 500) -> "Reply":
        return cls("error", status=status)

    @classmethod
    def hang(cls, seconds: float) -> "Reply":
        """Accept the request, then send nothing for `seconds`."""
        return cls("hang", seconds=seconds)

    @classmethod
    def hang_midstream(cls, content: str, seconds: float) -> "Reply":
        """Stream `content`, then stay silent for `seconds` without finishing (non-streamed: like hang)."""
        return cls("hang_midstream", content=content, seconds=seconds)

    @classmethod
    def garbage(cls) -> "Reply":
        """HTTP 200 whose body is not an OpenAI response at all (a proxy's error page)."""
        return cls("garbage", content="<html><body>502 Bad Gateway</body></html>")


def send_json(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
    """One JSON response with its length (shared by the test servers)."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class FakeOpenAI:
    """The server; start() binds a free loopback port, stop() ends it and wakes every hanging reply."""

    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.default = Reply.error(500)
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
        self.default = Reply.error(500)

    def next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            return self._script.popleft() if self._script else self.default

    def sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def start(self) -> "FakeOpenAI":
        handler = type("Handler", (_Handler,), {"server_obj": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True, name="fake-openai")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def closed_port_url() -> str:
    """Base URL of a loopback port that nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


class _Handler(BaseHTTPRequestHandler):
    server_obj: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        send_json(self, status, payload)

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._send_json(200, {"object": "list", "data": [
                {"id": self.server_obj.model, "object": "model", "created": 0, "owned_by": "fake"}]})
        else:
            self._send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send_json(400, {"error": {"message": "bad json", "type": "invalid_request_error"}})
            return
        reply = self.server_obj.next_reply(body)
        stream = bool(body.get("stream"))
        if reply.kind == "error":
            self._send_json(reply.status, {"error": {"message": f"fake error {reply.status}",
                                                     "type": "server_error", "code": None}})
        elif reply.kind == "garbage":
            data = reply.content.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif reply.kind == "hang" or (reply.kind == "hang_midstream" and not stream):
            self.server_obj.sleep(reply.seconds)
            self.close_connection = True
        elif stream:
            self._stream(reply)
        else:
            self._send_json(200, {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                "model": self.server_obj.model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": reply.content}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

    def _event(self, payload: dict[str, Any] | str) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        chunk = f"data: {data}\n\n".encode()
        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.flush()

    def _stream(self, reply: Reply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def delta(content: dict[str, str], finish: str | None = None) -> dict[str, Any]:
            return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": self.server_obj.model,
                    "choices": [{"index": 0, "delta": content, "finish_reason": finish}]}

        try:
            self._event(delta({"role": "assistant", "content": ""}))
            text, size = reply.content, max(1, reply.chunk_chars)
            for i in range(0, len(text), size):
                self._event(delta({"content": text[i:i + size]}))
            if reply.kind == "hang_midstream":
                self.server_obj.sleep(reply.seconds)
                self.close_connection = True
                return
            self._event(delta({}, "stop"))
            self._event("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
