"""`rapportbot serve --workers N`: N server processes on one port, the page pinned to the first.

Answering is CPU work under one GIL per process, so one process uses about one core. The supervisor (the
`serve` process itself) binds the port once and starts N workers that inherit the listening socket; the
kernel hands each new connection to whichever worker accepts it, so /api and /v1 spread over all of them.

Gradio keeps a page session (its queue, its event stream) in the memory of one process, so the page must
not spread: worker 0 is the page worker and also listens on a private Unix socket; every other worker
passes any request that is not /api, /v1, /metrics or /docs through to it (`ToPageWorker`), streaming the
answer back (the page's event stream included). A session therefore always lives in worker 0, whichever
worker the browser's connection reached. Each worker gets an equal share of the cores for the embedding
engine's OpenMP threads, so N workers do not fight over the same cores. A worker that dies is restarted.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Paths every worker answers itself (after the root path); everything else belongs to the page.
LOCAL_PREFIXES = ("/api/", "/v1/")
LOCAL_PATHS = frozenset({"/api", "/v1", "/metrics", "/docs", "/openapi.json", "/gradio.js"})
_HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"te", b"trailer", b"upgrade",
                         b"proxy-connection"})


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def stays_local(path: str, root_path: str = "") -> bool:
    """Is `path` answered by any worker (API, metrics, docs) rather than by the page worker?"""
    root = root_path.rstrip("/")
    if root and (path == root or path.startswith(root + "/")):
        path = path[len(root):] or "/"
    return path in LOCAL_PATHS or path.startswith(LOCAL_PREFIXES)


class WorkerTag:
    """ASGI middleware: every response says which worker made it (`x-rapportbot-worker`), so an operator (and
    the tests) can see the API spread and the page stay on worker 0; a relayed page response keeps worker 0's."""

    def __init__(self, app: Any, index: int) -> None:
        self.app, self.tag = app, str(index).encode()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def tagged(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-rapportbot-worker" for k, _ in headers):
                    headers.append((b"x-rapportbot-worker", self.tag))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, tagged)


class ToPageWorker:
    """ASGI middleware of workers 1..N-1: page requests go to worker 0 over its Unix socket, streamed both
    ways; when the browser goes away, the upstream request is closed too (no event stream left behind)."""

    def __init__(self, app: Any, page_socket: str, root_path: str = "") -> None:
        self.app, self.page_socket, self.root_path = app, page_socket, root_path
        self._client: Any = None

    def client(self) -> Any:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=self.page_socket),
                                             timeout=httpx.Timeout(None, connect=5.0))
        return self._client

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or stays_local(scope["path"], self.root_path):
            await self.app(scope, receive, send)
            return
        import httpx

        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP_BY_HOP]
        if scope.get("client"):
            headers.append((b"x-forwarded-for", scope["client"][0].encode()))
        target = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        client = self.client()
        request = client.build_request(scope["method"], "http://page-worker" + target, headers=headers,
                                       content=bytes(body))
        try:
            response = await client.send(request, stream=True)
        except httpx.TransportError:
            await _json(send, 503, b'{"error": "the page is starting; try again in a moment"}')
            return
        relay = asyncio.ensure_future(self._relay(response, send))
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            await asyncio.wait({relay, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (relay, gone):
                task.cancel()
            await asyncio.gather(relay, gone, return_exceptions=True)
            await response.aclose()

    @staticmethod
    async def _relay(response: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": [(k, v) for k, v in response.headers.raw if k.lower() not in _HOP_BY_HOP]})
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnected(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _json(send: Any, status: int, payload: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def listen(host: str, port: int) -> socket.socket:
    """The one listening socket all workers share (IPv6 when the host is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def supervise(argv: list[str], host: str, port: int, workers: int) -> int:
    """Bind, start `workers` children of `rapportbot serve` (argv: its options) on the shared socket, restart
    any that dies, stop them all on SIGTERM/SIGINT."""
    sock = listen(host, port)
    run_dir = Path(tempfile.mkdtemp(prefix="rapportbot-workers-"))
    page_socket = str(run_dir / "page.sock")
    threads = max(1, default_workers() // workers)
    stopping = False

    def start(index: int) -> subprocess.Popen:
        env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(threads))}
        return subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", *argv,
                                 "--worker", f"{index}:{sock.fileno()}:{page_socket}"],
                                env=env, pass_fds=(sock.fileno(),), stdin=subprocess.DEVNULL)

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    children = [start(i) for i in range(workers)]
    try:
        while not stopping:
            time.sleep(0.2)
            for i, child in enumerate(children):
                if child.poll() is not None and not stopping:
                    print(f"rapportbot: worker {i} exited with {child.returncode}; restarting it", file=sys.stderr)
                    time.sleep(1.0)
                    children[i] = start(i)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        sock.close()
        try:
            os.unlink(page_socket)
        except OSError:
            pass
        try:
            run_dir.rmdir()
        except OSError:
            pass
    return 0
