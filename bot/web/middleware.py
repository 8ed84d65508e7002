"""Small ASGI middlewares of the web app: the public sub-path, request body caps, origins and cookies,
security headers, the last-resort guard."""
from __future__ import annotations

import json
import logging
import re

from starlette.exceptions import HTTPException

log = logging.getLogger("rapportbot.web")


class RootPath:
    """Accept paths with or without the public prefix; Starlette then routes below it."""

    def __init__(self, app, root_path: str) -> None:
        self.app, self.root = app, root_path.rstrip("/")

    async def __call__(self, scope, receive, send) -> None:
        if self.root and scope["type"] in ("http", "websocket"):
            path = scope.get("path", "")
            if not (path == self.root or path.startswith(self.root + "/")):
                scope["path"] = self.root + path
                if "raw_path" in scope and scope["raw_path"] is not None:
                    scope["raw_path"] = self.root.encode() + scope["raw_path"]
            scope["root_path"] = self.root
        await self.app(scope, receive, send)


class BodyTooLarge(HTTPException):
    """Raised while reading a body past the cap; FastAPI passes HTTPExceptions on, the app answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes (RAPPORTBOT_MAX_BODY_BYTES)")


class BodyLimit:
    """413 for a body over `max_bytes`: at once when Content-Length says so, else as soon as the read passes
    the cap (chunked uploads), so no request can make the server hold an unbounded body in memory."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers") or []:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    return await _json(send, 413, str(BodyTooLarge(self.max_bytes).detail))
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counted, send)


async def _json(send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


_SAMESITE = re.compile(rb";\s*samesite=[a-z]+", re.I)


class OriginsAndCookies:
    """Credentialed CORS only for the same origin and RAPPORTBOT_ALLOWED_ORIGINS, on every route.

    Gradio's own CORS layer echoes any Origin with `Allow-Credentials: true` when the host is not localhost;
    here every Access-Control-* header is dropped from answers to a foreign origin, so a browser refuses
    to hand the response to that site. Gradio's login cookie says `SameSite=None`; it is rewritten to
    RAPPORTBOT_COOKIE_SAMESITE (default Lax), so other sites cannot send requests with it either."""

    def __init__(self, app, allowed_origins: list[str], samesite: str) -> None:
        self.app = app
        self.any_origin = "*" in allowed_origins
        self.allowed = {o.rstrip("/").lower().encode() for o in allowed_origins}
        self.samesite = b"; SameSite=" + samesite.capitalize().encode()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        origin = headers.get(b"origin", b"").rstrip(b"/").lower()
        foreign = bool(origin) and not self.any_origin and origin not in self.allowed \
            and origin.partition(b"://")[2] != headers.get(b"host", b"").lower()

        async def filtered(message) -> None:
            if message["type"] == "http.response.start":
                out = []
                for name, value in message.get("headers", []):
                    lower = name.lower()
                    if foreign and lower.startswith(b"access-control-"):
                        continue
                    if lower == b"set-cookie":
                        value = _SAMESITE.sub(b"", value) + self.samesite
                    out.append((name, value))
                message["headers"] = out
            await send(message)

        await self.app(scope, receive, filtered)


class QueueDataGuard:
    """GET .../gradio_api/queue/data for a session that never joined the queue: a plain 404 here.

    Gradio finds out only after its event stream has started and then raises, which leaves a traceback in
    the log and a broken response; `known(path, session_hash)` asks Gradio's queue the same question first."""

    def __init__(self, app, known) -> None:
        self.app, self.known = app, known

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.rstrip("/").endswith("/gradio_api/queue/data"):
            from urllib.parse import parse_qs

            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            session = (query.get("session_hash") or [""])[0]
            if not session:
                return await _json(send, 422, "session_hash is missing: join the queue first")
            if not self.known(path, session):
                return await _json(send, 404, "no such session: join the queue first")
        await self.app(scope, receive, send)


class SecurityHeaders:
    """frame-ancestors: the page may be framed by itself and by the allowed origins only."""

    def __init__(self, app, allowed_origins: list[str]) -> None:
        ancestors = " ".join(["'self'", *[o for o in allowed_origins if o != "*"]])
        if "*" in allowed_origins:
            ancestors = "*"
        self.app = app
        self.headers = [(b"content-security-policy", f"frame-ancestors {ancestors}".encode()),
                        (b"x-content-type-options", b"nosniff"),
                        (b"referrer-policy", b"same-origin")]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in self.headers if h[0] not in names]
            await send(message)

        await self.app(scope, receive, with_headers)


class CatchAll:
    """Innermost guard: an unexpected error becomes a short JSON 500 and a log entry, never a traceback
    on the wire or a dropped connection (Starlette's own last-resort handler re-raises into the server)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking_send(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except BodyTooLarge as err:
            if not started:
                await _json(send, 413, str(err.detail))
        except Exception:  # noqa: BLE001 - the log has the traceback; the client gets one line
            log.exception("unexpected error on %s", scope.get("path"))
            if started:
                return
            body = b'{"error": "internal error; the details are in the server log"}'
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
