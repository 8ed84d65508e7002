"""`rapportbot serve`: the chat page, the HTTP API and the OpenAI-compatible endpoint on one port.

A missing store does not stop the server: it starts, prints what to do (`rapportbot ingest`), the page and
/api/health say so (health: 503), and it answers as soon as the store is there - no restart needed.
With `--workers N` (N > 1) this process binds the port and supervises N worker processes (bot/web/workers.py).
"""
from __future__ import annotations

import argparse
import errno
import ipaddress
import socket
import sys

from ingest.errors import InputError
from ingest.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="address to bind (default RAPPORTBOT_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default RAPPORTBOT_PORT or 7860)")
    parser.add_argument("--root-path", default=None,
                        help="public sub-path behind a reverse proxy, e.g. /rapportbot (default RAPPORTBOT_ROOT_PATH)")
    parser.add_argument("--workers", type=int, default=None,
                        help="server processes sharing the port (default RAPPORTBOT_WORKERS, see the README)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)  # INDEX:FD:PAGE_SOCKET, set by --workers
    parser.add_argument("--hash-password", metavar="USER", default=None,
                        help="print a `USER:bcrypt-hash` line for RAPPORTBOT_AUTH_FILE (password from the terminal "
                             "or stdin) and exit")


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def quiet_cancelled_streams() -> None:
    """At shutdown uvicorn cancels streams that stay open (the page's event stream); that is expected,
    not an error worth a traceback in the log."""
    import asyncio
    import logging

    def not_cancelled(record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))

    logging.getLogger("uvicorn.error").addFilter(not_cancelled)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.hash_password:
        from bot.web.auth import hash_password, read_password

        if ":" in args.hash_password:
            raise InputError("a user name cannot contain ':'")
        print(f"{args.hash_password}:{hash_password(read_password())}")
        return 0
    server = settings.server
    updates = {k: v for k, v in (("host", args.host), ("port", args.port), ("root_path", args.root_path))
               if v is not None}
    if updates:
        settings = settings.model_copy(update={"server": server.model_copy(update=updates)})
        server = settings.server
    if not (0 <= server.port <= 65535):
        raise InputError(f"port {server.port} is not a port number")
    if server.root_path and not server.root_path.startswith("/"):
        raise InputError(f"the root path must start with '/', not {server.root_path!r}")
    workers = args.workers if args.workers is not None else server.workers
    if workers < 0 or workers > 64:
        raise InputError(f"--workers must be between 0 (one per core) and 64, not {workers}")
    if workers == 0:
        from bot.web.workers import default_workers

        workers = default_workers()
    if not args.worker and not _is_loopback(server.host) and not (server.auth_file or server.trusted_user_header or server.api_tokens):
        print(f"rapportbot: warning: binding {server.host} without any access control - anyone who can reach "
              "this address can use the page and the API. Set RAPPORTBOT_AUTH_FILE, "
              "RAPPORTBOT_TRUSTED_USER_HEADER or RAPPORTBOT_API_TOKENS.", file=sys.stderr)

    if args.worker:
        return _run_worker(args.worker, settings)
    if workers > 1:
        from bot.web.workers import supervise

        public = f"http://{server.host}:{server.port}{server.root_path.rstrip('/')}/"
        print(f"rapportbot: the page is at {public} (API docs: {public}docs); {workers} worker processes",
              file=sys.stderr)
        passed = ["--root-path", server.root_path] if server.root_path else []
        try:
            return supervise(passed, server.host, server.port, workers)
        except OSError as err:
            raise InputError(f"cannot listen on {server.host}:{server.port}: {err.strerror or err}") from err
    _serve(settings)
    return 0


def _run_worker(spec: str, settings: Settings) -> int:
    """One of `--workers N`: serve on the inherited socket; worker 0 also serves the page's Unix socket."""
    import os
    import socket

    index, fd, page_socket = spec.split(":", 2)
    sockets = [socket.socket(fileno=int(fd))]
    if int(index) == 0:
        if os.path.exists(page_socket):
            os.unlink(page_socket)
        page = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        page.bind(page_socket)
        page.listen(512)
        sockets.append(page)
    _serve(settings, sockets=sockets, page_socket=None if int(index) == 0 else page_socket, announce=False,
           index=int(index))
    return 0


def _serve(settings: Settings, sockets: list | None = None, page_socket: str | None = None,
           announce: bool = True, index: int | None = None) -> None:
    server = settings.server
    if sockets is None:
        # Bind first: a taken port is one clear line before minutes of loading; uvicorn then serves this socket.
        sockets = [bind(server.host, server.port)]
    import uvicorn

    from bot.web.app import create_app
    from bot.web.observe import configure_logging, llm_configured

    configure_logging()
    quiet_cancelled_streams()
    app = create_app(settings)  # loads the store and models now, so the first question is fast
    err = app.state.holder.error
    if err is not None:
        print(f"rapportbot: {err}\nrapportbot: serving anyway; the page says so until `rapportbot ingest` "
              "has built the store.", file=sys.stderr)
    problem = getattr(app.state.feedback, "problem", None)
    if problem and announce:
        print(f"rapportbot: warning: {problem}; answers work, feedback gets 503 until the "
              "location can be written (RAPPORTBOT_FEEDBACK_DB)", file=sys.stderr)
    if announce:
        public = f"http://{server.host}:{server.port}{server.root_path.rstrip('/')}/"
        print(f"rapportbot: the page is at {public} (API docs: {public}docs)", file=sys.stderr)
        print(f"rapportbot: access: {access_summary(server)}", file=sys.stderr)
    served = app
    if index is not None:
        from bot.web.workers import ToPageWorker, WorkerTag

        served = WorkerTag(ToPageWorker(app, page_socket, server.root_path) if page_socket else app, index)
    config = uvicorn.Config(served, host=server.host, port=server.port, log_level="warning", access_log=False,
                            proxy_headers=True, timeout_graceful_shutdown=3)
    threads = request_threads(settings, llm_configured(app.state.holder.peek(), settings))
    sized_server(uvicorn.Server, threads)(config).run(sockets=sockets)


def access_summary(server) -> str:
    """One line on what is protected and how (bot/web/auth.py has the rule)."""
    if not server.any_auth:
        return "open: no credentials configured (page, /api and /v1 answer anyone who can reach the address)"
    api = [name for name, on in (("a bearer token", server.api_tokens), ("HTTP Basic", server.auth_file),
                                 (f"the {server.trusted_user_header} header", server.trusted_user_header)) if on]
    if server.trusted_user_header:
        page = f"needs the {server.trusted_user_header} header"
    elif server.auth_file:
        page = "needs a login"
    elif server.public_page:
        page = "PUBLIC without credentials (RAPPORTBOT_PUBLIC_PAGE=true): anyone can ask through it"
    else:
        page = "off - an API-only deployment (every route needs a token; RAPPORTBOT_PUBLIC_PAGE=true opens the page)"
    metrics = "open" if server.metrics_public else "needs credentials"
    return (f"/api and /v1 need {' or '.join(api)}; the page and its Gradio API {page}; /api/health open; "
            f"/metrics {metrics}; uploads off")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port; a taken port or a bad address is an InputError naming the way out."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a just-stopped server's port is free again
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise InputError(f"port {port} on {host} is already in use (another rapportbot, or another program): "
                             f"choose another with --port or RAPPORTBOT_PORT, e.g. `rapportbot serve --port "
                             f"{port + 1}`") from None
        raise InputError(f"cannot listen on {host}:{port}: {err.strerror or err} (set --host / RAPPORTBOT_HOST, "
                         "--port / RAPPORTBOT_PORT)") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def request_threads(settings: Settings, llm: bool) -> int:
    """How many API requests run at once. Extractive answers are CPU work under one GIL: with the default
    pool (40) they only share the cores more thinly; 16 keep the question-embedding batches full while the
    rest wait in line (measured on 2 shared cores, 50 users, several runs each: 4 threads ~53 req/s,
    8 ~64, 16 ~69, 40 ~59). An LLM request mostly waits on the model, so then many run at once."""
    return settings.server.request_threads or (64 if llm else 16)


def sized_server(base: type, threads: int) -> type:
    """uvicorn's Server (its own event loop choice kept), with the pool that runs FastAPI's sync endpoints
    sized to `threads`; the pool belongs to the event loop, so it is set once the loop runs."""
    import anyio.to_thread

    class SizedServer(base):
        async def serve(self, sockets=None) -> None:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
            await super().serve(sockets)

    return SizedServer
