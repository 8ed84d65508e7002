"""Sign-in with the password file: our own login page (the page's style and language), one signed session
cookie that the page, /embed and the Gradio apps behind them all accept, and a logout.

Gradio's own login form is English-only and gives each mounted app its own cookie (so /embed asked again);
here both apps get `auth_dependency=sessions.user` instead, and a browser without a valid session is sent to
`login` with the page it wanted. The cookie holds `user|expiry|HMAC`; the key is RAPPORTBOT_SESSION_SECRET,
or a random one per process (a restart then signs everybody out).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import parse_qs, quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.web.auth import PasswordCheck
from bot.web.render import escape

COOKIE = "rapportbot-session"
SESSION_SECONDS = 12 * 3600
PAGE_PATHS = ("/", "/embed", "/embed/")  # the HTML pages a browser opens; Gradio's API calls just get 401


class Sessions:
    def __init__(self, secret: str | None) -> None:
        self.key = hashlib.sha256((secret or secrets.token_hex(32)).encode("utf-8")).digest()

    def cookie_for(self, user: str, now: float | None = None) -> str:
        expiry = int((now or time.time()) + SESSION_SECONDS)
        payload = base64.urlsafe_b64encode(user.encode("utf-8")).decode("ascii").rstrip("=") + f".{expiry}"
        return f"{payload}.{self._sign(payload)}"

    def user_from_cookie(self, value: str | None) -> str | None:
        payload, _, signature = (value or "").rpartition(".")
        if not payload or not hmac.compare_digest(signature, self._sign(payload)):
            return None
        encoded, _, expiry = payload.partition(".")
        if not expiry.isdigit() or int(expiry) < time.time():
            return None
        try:
            padded = encoded + "=" * (-len(encoded) % 4)
            return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8") or None
        except (ValueError, UnicodeDecodeError):
            return None

    def user(self, request) -> str | None:
        """Gradio's `auth_dependency`: the signed-in user of this request, or None."""
        return self.user_from_cookie(request.cookies.get(COOKIE))

    def _sign(self, payload: str) -> str:
        return hmac.new(self.key, payload.encode("ascii", "replace"), hashlib.sha256).hexdigest()[:40]


def safe_next(target: str | None) -> str:
    """Only a path on this server (never `//other.host` or a URL) may be the page to return to."""
    target = target or "/"
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def login_page(t: dict, css: str, failed: bool = False, logged_out: bool = False, next_path: str = "/") -> str:
    message = (f'<p class="rb-login-error" role="alert">{escape(str(t["login_failed"]))}</p>' if failed else
               f'<p class="rb-login-note" role="status">{escape(str(t["logged_out"]))}</p>' if logged_out else "")
    return f"""<!doctype html>
<html lang="{t['lang']}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(str(t['login_title']))} · rapportbot</title><link rel="icon" href="favicon.ico">
<style>{css}</style></head>
<body><main class="rb-login"><form method="post" action="login">
<h1>{escape(str(t['login_title']))}</h1><p>{escape(str(t['login_intro']))}</p>{message}
<input type="hidden" name="next" value="{escape(next_path)}">
<label for="rb-user">{escape(str(t['username']))}</label>
<input id="rb-user" name="username" autocomplete="username" required autofocus>
<label for="rb-password">{escape(str(t['password']))}</label>
<input id="rb-password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{escape(str(t['login_button']))}</button>
</form></main></body></html>"""


LOGIN_CSS = """
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; background: #f1f5f9;
  color: #0f172a; }
main.rb-login form { background: white; padding: 2rem 2.2rem; border-radius: 12px; width: min(22rem, 88vw);
  box-shadow: 0 8px 30px rgba(15, 23, 42, .08); display: flex; flex-direction: column; gap: .45rem; }
main.rb-login h1 { font-size: 1.4rem; margin: 0; font-weight: 650; }
main.rb-login p { margin: 0 0 .6rem 0; color: #475569; }
main.rb-login label { font-weight: 600; font-size: .9rem; margin-top: .3rem; }
main.rb-login input { font: inherit; padding: .55rem .7rem; border: 1px solid #cbd5e1; border-radius: 8px; }
main.rb-login input:focus { outline: 2px solid #14b8a6; border-color: #14b8a6; }
main.rb-login button { margin-top: .9rem; font: inherit; font-weight: 600; padding: .6rem; border: 0;
  border-radius: 8px; background: #0d9488; color: white; cursor: pointer; }
main.rb-login .rb-login-error { color: #b91c1c; } main.rb-login .rb-login-note { color: #0f766e; }
"""


def add_login_routes(app, sessions: Sessions, check: PasswordCheck, t: dict, root_path: str,
                     logins: "LoginLimiter | None" = None) -> None:
    """GET/POST /login and /logout on the FastAPI app (before the Gradio mounts, so these win)."""
    cookie_path = (root_path.rstrip("/") or "") + "/"

    @app.get("/login", include_in_schema=False)
    def show_login(request: Request) -> HTMLResponse:
        query = request.query_params
        return HTMLResponse(login_page(t, LOGIN_CSS, logged_out="out" in query,
                                       next_path=safe_next(query.get("next"))))

    @app.post("/login", include_in_schema=False)
    async def do_login(request: Request):
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        user, password = (form.get("username") or [""])[0], (form.get("password") or [""])[0]
        next_path = safe_next((form.get("next") or ["/"])[0])
        # bcrypt in a worker thread (bot/web/logins.py), never on the event loop; the rate limit is AccessControl's.
        ok = await logins.check(check, user, password) if logins is not None else check(user, password)
        if not ok:
            return HTMLResponse(login_page(t, LOGIN_CSS, failed=True, next_path=next_path), status_code=401)
        response = RedirectResponse(root_path.rstrip("/") + next_path, status_code=303)
        response.set_cookie(COOKIE, sessions.cookie_for(user), max_age=SESSION_SECONDS, path=cookie_path,
                            httponly=True, samesite="lax", secure=request.url.scheme == "https")
        return response

    @app.api_route("/logout", methods=["GET", "POST"], include_in_schema=False)
    def logout() -> RedirectResponse:
        response = RedirectResponse(root_path.rstrip("/") + "/login?out=1", status_code=303)
        response.delete_cookie(COOKIE, path=cookie_path)
        return response


class LoginRedirect:
    """A browser opening the page or /embed without a session goes to the login page (paths root-stripped)."""

    def __init__(self, app, sessions: Sessions, root_path: str) -> None:
        self.app, self.sessions, self.root = app, sessions, root_path.rstrip("/")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        path, root = scope.get("path", ""), scope.get("root_path", "")
        path = path[len(root):] if root and path.startswith(root) else path
        if path not in PAGE_PATHS:
            return await self.app(scope, receive, send)
        cookies = {}
        for name, value in scope.get("headers") or []:
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, val = part.strip().partition("=")
                    cookies[key] = val
        if self.sessions.user_from_cookie(cookies.get(COOKIE)) is not None:
            return await self.app(scope, receive, send)
        location = f"{self.root}/login?next={quote(path)}".encode("latin-1")
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
