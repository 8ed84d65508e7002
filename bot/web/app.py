"""The web app: FastAPI with /api, /v1, /metrics and /docs, the Gradio page at "/" and the chat-only view
at "/embed", behind middleware for the sub-path, logs and metrics, CORS, access control and framing.

Sub-path (RAPPORTBOT_ROOT_PATH=/rapportbot): the reverse proxy may forward `/rapportbot/...` as is or strip
the prefix; both work. Links the page generates carry the prefix.
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException

from bot.web.middleware import BodyLimit, CatchAll, OriginsAndCookies, QueueDataGuard, RootPath, \
    SecurityHeaders
from ingest.errors import InputError, StoreError
from ingest.settings import BUNDLED_METADATA, Settings

log = logging.getLogger("rapportbot.web")
FAVICON = Path(__file__).with_name("favicon.png")


def create_app(settings: Settings, service_factory: Callable[[], Any] | None = None,
               feedback_path: Any = None):
    """The whole server as one ASGI app. `service_factory` defaults to `bot.service.AnswerService(settings)`."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    from bot.feedback import FeedbackUnavailable, open_feedback
    from bot.web import api, openai_compat
    from bot.web.auth import AccessControl, PasswordCheck, load_users
    from bot.web.logins import LoginLimiter
    from bot.web.chat import ChatLogic, load_metadata
    from bot.web.holder import ServiceHolder
    from bot.web.login import LoginRedirect, Sessions, add_login_routes
    from bot.web.observe import Metrics, RequestObserver
    from bot.web.page import build_page
    from bot.web.page_html import PageHtml
    from bot.web.style import CSS, EMBED_CSS, page_js

    server = settings.server
    if service_factory is None:
        def service_factory() -> Any:
            from bot.service import AnswerService
            return AnswerService(settings)

    holder = ServiceHolder(service_factory)
    metrics = Metrics(lambda: getattr(getattr(getattr(holder.peek(), "store", None), "embeddings", None),
                                      "query_batcher", None))
    feedback = open_feedback(server.feedback_url, feedback_path or server.feedback_db)
    password_check = PasswordCheck(load_users(server.auth_file)) if server.auth_file else None
    logins = LoginLimiter(server.login_attempts, server.login_window_s)

    # Swagger UI from the assets fastapi-offline ships (no CDN): /docs renders with the network off,
    # under the sub-path too (its asset links carry the request's root path).
    app = FastAPIOffline(title="rapportbot", version="0.1.0", docs_url="/docs", redoc_url=None,
                         static_url="/docs-assets", swagger_ui_parameters={"validatorUrl": None},
                         description="Ask the report: short answers backed by verbatim, checked quotes. "
                                     "`/api/ask` returns the `rapportbot ask --json` contract; `/v1` speaks "
                                     "OpenAI. For Python programs, the page's one client endpoint is `/ask` "
                                     "(`gradio_client`).")
    app.state.settings, app.state.holder, app.state.metrics, app.state.feedback = settings, holder, metrics, feedback

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, err: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": describe_validation(err.errors()),
                             "errors": [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
                                        for e in err.errors()[:20]]}, status_code=422)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, err: InputError) -> JSONResponse:
        return JSONResponse({"error": str(err)}, status_code=422)

    @app.exception_handler(StoreError)
    async def no_store(request: Request, err: StoreError) -> JSONResponse:
        return JSONResponse({"error": str(err), "store_loaded": False}, status_code=503)

    @app.exception_handler(FeedbackUnavailable)
    async def no_feedback(request: Request, err: FeedbackUnavailable) -> JSONResponse:
        return JSONResponse({"error": str(err)}, status_code=503)  # FeedbackStore logged it, in one line

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> JSONResponse:
        return JSONResponse({"error": str(err.detail)}, status_code=err.status_code, headers=err.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse({"error": "internal error; the details are in the server log"}, status_code=500)

    app.include_router(api.router)
    app.include_router(openai_compat.router)

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    @app.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def no_such_route(rest: str, request: Request) -> JSONResponse:
        # Without this, unknown /api and /v1 paths would fall through to the page's mount at "/".
        return JSONResponse({"error": f"no such endpoint: {request.method} {request.url.path} (see /docs)"},
                            status_code=404)

    @app.get("/gradio.js", include_in_schema=False)
    def web_component() -> Response:
        # The <gradio-app> web component, served from here so an intranet page needs no CDN.
        return Response(gradio_js(), media_type="text/javascript")

    index_name, index_js = component_index()

    @app.get(f"/embed/assets/{index_name}", include_in_schema=False)
    def web_component_index(request: Request) -> Response:
        # The component's entry chunk, with its stylesheet at an absolute path: Gradio resolves it against
        # the origin alone when the host page is elsewhere, which drops the sub-path (a failed CSS preload).
        root = request.scope.get("root_path", "").rstrip("/")
        body = re.sub(r"`\./assets/([\w.-]+\.css)`", lambda m: f"`{root}/embed/assets/{m.group(1)}`", index_js)
        return Response(body, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(FAVICON, media_type="image/png", headers={"Cache-Control": "max-age=86400"})

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")

    try:
        store = getattr(holder.get(), "store", None)  # load now: the first question is fast, the reader ready
    except StoreError:
        store = None
    logic = ChatLogic(settings, holder, feedback, metrics, load_metadata(store, BUNDLED_METADATA))
    gradio_auth: dict[str, Any] = {}
    sessions = None
    if password_check is not None:
        # Our own login page and one session cookie for "/" and "/embed" (bot/web/login.py); the hash check runs
        # off the event loop and failed logins are rate-limited (bot/web/logins.py).
        sessions = Sessions(server.session_secret)
        add_login_routes(app, sessions, password_check, logic.t, server.root_path, logins)
        gradio_auth["auth_dependency"] = sessions.user
    elif server.trusted_user_header:
        header = server.trusted_user_header
        gradio_auth["auth_dependency"] = lambda request: request.headers.get(header) or None
    theme = gr.themes.Soft(primary_hue="teal", neutral_hue="slate",
                           font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "sans-serif"],
                           font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"])
    common = dict(root_path=server.root_path or None, ssr_mode=False, footer_links=[], show_error=False,
                  theme=theme, js=page_js(logic.t), **gradio_auth)
    embed_page, page = build_page(logic, embed=True), build_page(logic)
    gr.mount_gradio_app(app, embed_page.queue(default_concurrency_limit=16), path="/embed",
                        css=EMBED_CSS, **{**common, "root_path": (server.root_path.rstrip("/") + "/embed")
                                          if server.root_path else None})
    gr.mount_gradio_app(app, page.queue(default_concurrency_limit=16), path="/", css=CSS, **common)

    def known_session(path: str, session_hash: str) -> bool:
        blocks = embed_page if "/embed/" in path else page
        return session_hash in blocks._queue.pending_messages_per_session

    # Outermost last: root path -> observe -> body cap -> origins/cookies -> CORS -> login redirect -> access
    # control -> security headers -> page html -> queue guard -> catch-all -> routes.
    app.add_middleware(CatchAll)
    app.add_middleware(QueueDataGuard, known=known_session)
    app.add_middleware(PageHtml, language=server.ui_language)
    app.add_middleware(SecurityHeaders, allowed_origins=server.allowed_origins)
    app.add_middleware(AccessControl, server=server, check_password=password_check, logins=logins)
    if sessions is not None:
        app.add_middleware(LoginRedirect, sessions=sessions, root_path=server.root_path)
    if server.allowed_origins:
        app.add_middleware(CORSMiddleware, allow_origins=server.allowed_origins, allow_credentials=True,
                           allow_methods=["GET", "POST", "OPTIONS"], allow_headers=["*"])
    app.add_middleware(OriginsAndCookies, allowed_origins=server.allowed_origins, samesite=server.cookie_samesite)
    app.add_middleware(BodyLimit, max_bytes=server.max_body_bytes)
    app.add_middleware(RequestObserver, metrics=metrics, log_questions=server.log_questions)
    app.add_middleware(RootPath, root_path=server.root_path)
    return app


def gradio_js() -> str:
    """Gradio's loader, pointed at the /embed app's assets (relative, so it works under any sub-path)."""
    from importlib.resources import files

    loader = files("gradio").joinpath("templates/frontend/gradio.js").read_text(encoding="utf-8")
    return loader.replace("./assets/", "./embed/assets/")


def component_index() -> tuple[str, str]:
    """(file name, text) of the entry chunk the web-component loader imports (`./assets/index-<hash>.js`)."""
    from importlib.resources import files

    frontend = files("gradio").joinpath("templates/frontend")
    loader = frontend.joinpath("gradio.js").read_text(encoding="utf-8")
    name = re.search(r"\./assets/([\w.-]+\.js)", loader).group(1)
    return name, frontend.joinpath("assets", name).read_text(encoding="utf-8")


def describe_validation(errors: list[dict]) -> str:
    """One line a person can act on: "question: Field required; history.0.role: Input should be ..."."""
    parts = []
    for error in errors[:5]:
        loc = [str(p) for p in error.get("loc", ()) if p != "body"]
        if error.get("type") == "json_invalid":
            parts.append(f"the body is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')})")
            continue
        if error.get("type") == "string_unicode":
            parts.append(f"{'.'.join(loc) or 'body'}: holds a lone UTF-16 surrogate (\\ud800-\\udfff), "
                         "which is not text; send the character whole or drop it")
            continue
        if error.get("type") == "missing" and not loc:
            parts.append("the body is missing: send a JSON object")
            continue
        where = ".".join(loc) or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    if len(errors) > 5:
        parts.append(f"and {len(errors) - 5} more")
    return "; ".join(parts)
