"""Small ASGI middlewares of the web app: the public sub-path, security headers, the last-resort guard."""
from __future__ import annotations

import logging

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
        except Exception:  # noqa: BLE001 - the log has the traceback; the client gets one line
            log.exception("unexpected error on %s", scope.get("path"))
            if started:
                return
            body = b'{"error": "internal error; the details are in the server log"}'
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
