"""Access control on a real server: password file, trusted SSO header, bearer tokens, and none."""
from __future__ import annotations

import subprocess
import sys

import bcrypt
import pytest

from bot.web.auth import load_users
from ingest.errors import InputError

ASK = {"question": "Hvor mange topledere blev interviewet?"}


@pytest.fixture(scope="module")
def auth_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("auth") / "users"
    hashed = bcrypt.hashpw(b"s3cret-pw", bcrypt.gensalt(rounds=4)).decode()
    path.write_text(f"# rapportbot users\nalice:{hashed}\n", encoding="utf-8")
    return path


def test_no_settings_means_no_login(server):
    with server.client() as client:
        assert client.post("/api/ask", json=ASK).status_code == 200
        assert client.get("/").status_code == 200
        assert client.get("/v1/models").status_code == 200


def test_password_file_guards_page_and_api(start_server, auth_file):
    locked = start_server(auth_file=auth_file)
    with locked.client() as client:
        assert client.post("/api/ask", json=ASK).status_code == 401
        assert client.post("/api/ask", json=ASK, auth=("alice", "wrong")).status_code == 401
        assert client.post("/api/ask", json=ASK, auth=("mallory", "s3cret-pw")).status_code == 401
        assert client.post("/api/ask", json=ASK, auth=("alice", "s3cret-pw")).status_code == 200
        assert client.get("/api/health").status_code == 200  # load balancers need no password
        # The page: our login page; the page and Gradio's config are refused until the login form is posted.
        assert client.get("/config").status_code == 401
        assert client.get("/").headers["location"] == "/login?next=/"
        login = client.post("/login", data={"username": "alice", "password": "wrong"})
        assert login.status_code == 401
        login = client.post("/login", data={"username": "alice", "password": "s3cret-pw", "next": "/embed/"})
        assert login.status_code == 303 and login.headers["location"] == "/embed/", login.text
        assert client.get("/config").status_code == 200
        assert client.get("/embed/config").status_code == 200  # one login covers /embed
        assert client.get("/logout").status_code == 303
        assert client.get("/config").status_code == 401


def test_trusted_header_is_required_everywhere_but_health(start_server):
    sso = start_server(trusted_user_header="X-Remote-User")
    with sso.client() as client:
        for path in ("/", "/embed/", "/config", "/v1/models"):
            response = client.get(path)
            assert response.status_code == 401, path
            assert "X-Remote-User".lower() in response.json()["error"].lower()
        assert client.post("/api/ask", json=ASK).status_code == 401
        assert client.get("/api/health").status_code == 200
        headers = {"X-Remote-User": "bo@example.org"}
        assert client.get("/", headers=headers).status_code == 200
        assert client.get("/config", headers=headers).status_code == 200
        assert client.post("/api/ask", json=ASK, headers=headers).status_code == 200
        feedback = client.post("/api/feedback", headers=headers, json={"question": ASK["question"], "rating": "up"})
        assert feedback.status_code == 201
    from bot.feedback import FeedbackStore
    assert FeedbackStore(sso.feedback_db).rows()[-1]["user"] == "bo@example.org"


def test_bearer_tokens_guard_api_v1_and_the_page(start_server):
    tokened = start_server(api_tokens=["tok-one", "tok-two"])
    with tokened.client() as client:
        assert client.post("/api/ask", json=ASK).status_code == 401
        assert client.post("/api/ask", json=ASK, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.post("/api/ask", json=ASK, headers={"Authorization": "Bearer tok-two"}).status_code == 200
        assert client.get("/v1/models").status_code == 401
        assert client.get("/v1/models", headers={"Authorization": "Bearer tok-one"}).status_code == 200
        # Tokens alone make an API-only deployment: the page has no login, so it is closed too (issue 12).
        assert client.get("/").status_code == 401
        assert client.get("/", headers={"Authorization": "Bearer tok-one"}).status_code == 200


def test_tokens_read_from_the_environment_as_a_list(monkeypatch):
    from ingest.settings import ServerSettings

    monkeypatch.setenv("RAPPORTBOT_API_TOKENS", "a, b,,c")
    assert ServerSettings().api_tokens == ["a", "b", "c"]


def test_a_bad_auth_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "users"
    bad.write_text("alice plain-text-password\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        load_users(bad)
    with pytest.raises(InputError, match="cannot read"):
        load_users(tmp_path / "missing")


def test_hash_helper_makes_a_line_the_server_accepts(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot.web.auth", "hash", "carol"], input="pw-for-carol\n",
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    assert line.startswith("carol:$2")
    (tmp_path / "users").write_text(line + "\n", encoding="utf-8")
    hashed = load_users(tmp_path / "users")["carol"]
    assert bcrypt.checkpw(b"pw-for-carol", hashed)
    cli = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--hash-password", "dave"], input="x1\n",
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0 and cli.stdout.startswith("dave:$2"), cli.stderr
