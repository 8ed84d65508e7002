"""The HTML shell Gradio serves for the page and /embed, put right before it leaves: `<html lang>` in the
page's language (Gradio's template says "en" whatever the page is) and a favicon link.

Only small text/html responses are touched (the page shell is a few kB); everything else streams through.
"""
from __future__ import annotations

_MAX_SHELL = 2_000_000


class PageHtml:
    def __init__(self, app, language: str) -> None:
        self.app = app
        self.lang = f'lang="{language}"'.encode("ascii")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET":
            return await self.app(scope, receive, send)
        start: dict | None = None
        chunks: list[bytes] = []

        async def rewrite(message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                if headers.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in headers:
                    start = message
                    return
                return await send(message)
            if start is None or message["type"] != "http.response.body":
                return await send(message)
            chunks.append(message.get("body", b""))
            more = bool(message.get("more_body"))
            if more and sum(map(len, chunks)) < _MAX_SHELL:
                return
            if more:  # too big to be the page's shell: passed on untouched
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})
            else:
                body = self._fix(b"".join(chunks), scope.get("root_path", "").encode("latin-1"))
                headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
            start = None

        await self.app(scope, receive, rewrite)

    def _fix(self, body: bytes, root: bytes) -> bytes:
        head = body[:400]
        if b'lang="en"' in head and self.lang != b'lang="en"':
            body = body.replace(b'lang="en"', self.lang, 1)
        if b"<head>" in body[:2000] and b'rel="icon"' not in body[:4000]:
            # The app's one favicon (also for /embed, whose own Gradio app has none).
            body = body.replace(b"<head>", b'<head>\n\t\t<link rel="icon" href="' + root + b'/favicon.ico" />', 1)
        return body
