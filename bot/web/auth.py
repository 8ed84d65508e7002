"""Access control: a password file (bcrypt), an SSO proxy's trusted user header, bearer tokens for the API.

- RAPPORTBOT_AUTH_FILE: lines `user:bcrypt-hash`. The page gets Gradio's login form; /api and /v1 take
  HTTP Basic with the same users (or a bearer token).
- RAPPORTBOT_TRUSTED_USER_HEADER: every request must carry that header (set by the SSO proxy in front);
  without it: 401. /api and /v1 also accept a bearer token instead.
- RAPPORTBOT_API_TOKENS: bearer tokens; when set (or when a login is set) /api and /v1 need credentials.
  Tokens alone make an API-only deployment: the page needs a token too unless RAPPORTBOT_PUBLIC_PAGE=true.
/api/health (and /metrics unless RAPPORTBOT_METRICS_PUBLIC=false) stay open for load balancers and Prometheus;
they reveal no questions. Hash checks and their rate limit: bot/web/logins.py.

Make a hash: `python -m bot.web.auth hash alice` (asks for the password) or `rapportbot serve --hash-password alice`.
"""
from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import hmac
import json
import sys
from pathlib import Path

import bcrypt

from bot.web.logins import LoginLimiter, client_of
from ingest.errors import InputError
from ingest.settings import ServerSettings

OPEN_PATHS = ("/api/health", "/metrics")
API_PREFIXES = ("/api/", "/v1/")
UPLOAD_SUFFIXES = ("/gradio_api/upload", "/gradio_api/upload_progress")


def hash_password(password: str) -> str:
    if not password:
        raise InputError("the password is empty")
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


def load_users(path: Path) -> dict[str, bytes]:
    """`user:hash` lines (blank lines and # comments ignored)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise InputError(f"cannot read the auth file {path}: {err.strerror or err}") from None
    users: dict[str, bytes] = {}
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, hashed = line.partition(":")
        if not sep or not user or not hashed.startswith("$2"):
            raise InputError(f"{path}, line {number}: expected `user:bcrypt-hash` "
                             "(make one with `python -m bot.web.auth hash USER`)")
        users[user] = hashed.encode("ascii")
    if not users:
        raise InputError(f"the auth file {path} holds no users")
    return users


class PasswordCheck:
    """bcrypt is slow on purpose; a verified (user, password) pair is remembered as a keyed digest."""

    def __init__(self, users: dict[str, bytes]) -> None:
        self.users = users
        self._verified: set[bytes] = set()

    def __call__(self, user: str, password: str) -> bool:
        hashed = self.users.get(user)
        if hashed is None or not password:
            return False
        key = hmac.new(hashed, password.encode("utf-8"), hashlib.sha256).digest()
        if key in self._verified:
            return True
        if bcrypt.checkpw(password.encode("utf-8"), hashed):
            if len(self._verified) < 10_000:
                self._verified.add(key)
            return True
        return False


class AccessControl:
    """ASGI middleware: one access rule for every route (paths already root-stripped).

    With no auth configured everything is open. With any auth configured, no route that answers, shows report
    text or takes data answers without credentials: /api and /v1 take a bearer token, HTTP Basic (password
    file) or the SSO header; the page and Gradio's own API take the SSO header, or Gradio's login (password
    file), or - tokens only - a bearer token, which makes it an API-only deployment unless
    RAPPORTBOT_PUBLIC_PAGE declares the page public. /api/health stays open, /metrics too unless
    RAPPORTBOT_METRICS_PUBLIC is off. Uploads are refused everywhere: nothing on the page takes files."""

    def __init__(self, app, server: ServerSettings, check_password: PasswordCheck | None,
                 logins: LoginLimiter | None = None) -> None:
        self.app = app
        self.header = (server.trusted_user_header or "").lower().encode("latin-1") or None
        self.tokens = [t.encode("utf-8") for t in server.api_tokens]
        self.check_password = check_password
        self.logins = logins or LoginLimiter(server.login_attempts, server.login_window_s)
        self.api_locked = server.any_auth
        self.open_paths = OPEN_PATHS if server.metrics_public else ("/api/health",)
        # Tokens only, no login and no SSO header: the page has no way to sign in, so it needs a token too.
        self.page_needs_token = bool(self.tokens) and not check_password and not self.header \
            and not server.public_page

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        path = _route_path(scope)
        state = scope.setdefault("rapportbot", {})
        if path.rstrip("/").endswith(UPLOAD_SUFFIXES):
            return await _deny(scope, send, "uploads are off: nothing on this server takes files", status=403)
        if path in self.open_paths or scope.get("method") == "OPTIONS":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        user = headers.get(self.header, b"").decode("utf-8", "replace").strip() if self.header else ""
        is_api = path.startswith(API_PREFIXES) or path in OPEN_PATHS
        if (is_api and self.api_locked) or (self.page_needs_token and not is_api):
            client = client_of(scope)
            try:
                who = await self._api_user(headers.get(b"authorization", b""), client)
            except _TooManyLogins as limit:
                return await _too_many(scope, send, limit.retry_after)
            if who is None and not user:
                return await _deny(scope, send, "missing or wrong credentials: send " + self._ways(is_api))
            state["user"] = user or who or None
        elif self.header and not user:
            return await _deny(scope, send, f"missing the {self.header.decode()} header: sign in through the portal")
        elif user:
            state["user"] = user
        if self.check_password and scope.get("method") == "POST" and path.rstrip("/").endswith("/login"):
            return await self._page_login(scope, receive, send)
        return await self.app(scope, receive, send)

    def _ways(self, is_api: bool) -> str:
        ways = ["`Authorization: Bearer <token>`"]
        if self.check_password:
            ways.append("HTTP Basic with a user from the auth file")
        if self.header:
            ways.append(f"the {self.header.decode()} header from the sign-in proxy")
        text = " or ".join(ways)
        if not is_api and self.page_needs_token:
            text += " (this is an API-only deployment: the page is off; RAPPORTBOT_PUBLIC_PAGE=true opens it)"
        return text

    async def _page_login(self, scope, receive, send) -> None:
        """The login form (bot/web/login.py), counted per client: a failure is any answer but a redirect into
        the page (303) or 200."""
        client = client_of(scope)
        retry_after = self.logins.begin(client)
        if retry_after is not None:
            return await _too_many(scope, send, retry_after)
        status = 0

        async def watch(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self.logins.end(client, status in (200, 303))

    async def _api_user(self, authorization: bytes, client: str) -> str | None:
        scheme, _, value = authorization.partition(b" ")
        value = value.strip()
        if scheme.lower() == b"bearer" and value:
            for token in self.tokens:
                if hmac.compare_digest(token, value):
                    return ""  # a token names no user
        if scheme.lower() == b"basic" and value and self.check_password:
            try:
                user, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            retry_after = self.logins.begin(client)
            if retry_after is not None:
                raise _TooManyLogins(retry_after)
            ok = False
            try:
                ok = await self.logins.check(self.check_password, user, password)
            finally:
                self.logins.end(client, ok)
            if ok:
                return user
        return None


class _TooManyLogins(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def _route_path(scope) -> str:
    path, root = scope.get("path", ""), scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


async def _deny(scope, send, message: str, status: int = 401, extra: list | None = None) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 4000 + status})
        return
    body = json.dumps({"error": message}).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="rapportbot"'))
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


async def _too_many(scope, send, retry_after: int) -> None:
    await _deny(scope, send, f"too many failed logins from this address; try again in {retry_after} s",
                status=429, extra=[(b"retry-after", str(retry_after).encode())])


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.web.auth hash USER`: print a `USER:hash` line for the auth file."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "hash" or ":" in args[1]:
        print("usage: python -m bot.web.auth hash USER   (reads the password from the terminal or stdin)",
              file=sys.stderr)
        return 2
    print(f"{args[1]}:{hash_password(read_password())}")
    return 0


def read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Again: "):
            raise InputError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except InputError as err:
        print(f"rapportbot: {err}", file=sys.stderr)
        sys.exit(2)
