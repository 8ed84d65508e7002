"""A stand-in OpenAI-compatible chat server for timing LLM mode without a model: it answers at once by
quoting the first sentence of passage [1] from the prompt, so the timing is our own overhead (prompt,
HTTP, parsing, quote verification), not a model's. Loopback only; stopped by the bench."""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_FIRST_PASSAGE = re.compile(r"^\[1\][^\n]*\n(.+?)(?:\n\s*\n\[2\]|\n</passages>|\Z)", re.DOTALL | re.MULTILINE)


def reply_for(prompt: str) -> str:
    match = _FIRST_PASSAGE.search(prompt)
    if not match:
        return "Rapporten svarer ikke på det."
    passage = " ".join(match.group(1).split())
    sentence = re.split(r"(?<=[.!?])\s", passage, maxsplit=1)[0][:300]
    return f"Rapporten beskriver det her [1].\nQUOTES:\n[1] \"{sentence}\""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        payload = json.dumps({
            "id": "chatcmpl-bench", "object": "chat.completion", "created": int(time.time()), "model": "bench",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": reply_for(prompt)}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class BenchLLM:
    """`with BenchLLM() as llm: ... llm.base_url`"""

    def __enter__(self) -> "BenchLLM":
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
