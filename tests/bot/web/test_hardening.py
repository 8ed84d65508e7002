"""Issue 12 on a real server: one access rule for every route, origins and cookies, uploads off, logins
that cannot stall the server, bounded request work, and bad input that gets a 4xx, never a 500."""
from __future__ import annotations

import base64
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import bcrypt
import pytest

ASK = {"question": "Hvor mange topledere blev interviewet?"}
FOREIGN = "https://evil.example"


@pytest.fixture(scope="module")
def auth_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("auth-hardening") / "users"
    # Real cost (12): the rate limit and the thread offload are what keep the server responsive.
    hashed = bcrypt.hashpw(b"s3cret-pw", bcrypt.gensalt(rounds=12)).decode()
    path.write_text(f"alice:{hashed}\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tokens_only(start_server):
    return start_server(api_tokens=["tok-one"])


# The page's own API, queue, upload and config routes, and ours: none may answer without credentials.
PAGE_ROUTES = [("GET", "/"), ("GET", "/config"), ("GET", "/embed/config"), ("GET", "/gradio_api/info"),
               ("POST", "/gradio_api/call/ask"), ("POST", "/gradio_api/run/ask"), ("POST", "/gradio_api/queue/join"),
               ("GET", "/gradio_api/queue/data"), ("POST", "/gradio_api/upload"), ("POST", "/embed/gradio_api/upload"),
               ("GET", "/embed/"), ("POST", "/api/ask"), ("POST", "/v1/chat/completions"), ("GET", "/v1/models")]


def _call(client, method: str, path: str, **kwargs):
    body = {"data": [ASK["question"], []]} if method == "POST" and "gradio_api" in path else ASK
    if path.endswith("/upload"):
        return client.post(path, files={"files": ("x.txt", b"hello")}, **kwargs)
    if path.startswith("/v1/chat"):
        body = {"messages": [{"role": "user", "content": ASK["question"]}]}
    return client.request(method, path, json=body if method == "POST" else None, **kwargs)


def test_tokens_only_is_an_api_only_deployment(tokens_only):
    with tokens_only.client() as client:
        for method, path in PAGE_ROUTES:
            response = _call(client, method, path)
            assert response.status_code in (401, 403), (path, response.status_code, response.text[:200])
            assert "offentlige" not in response.text.lower() or path == "/", path  # no report text
        assert client.get("/api/health").status_code == 200
        assert client.get("/metrics").status_code == 200
        bearer = {"Authorization": "Bearer tok-one"}
        assert client.post("/api/ask", json=ASK, headers=bearer).status_code == 200
        assert client.get("/config", headers=bearer).status_code == 200  # a program with a token may
        assert "API-only" in client.get("/config").json()["error"]


def test_a_declared_public_page_with_tokens_and_closed_metrics(start_server):
    public = start_server(api_tokens=["tok-one"], public_page=True, metrics_public=False)
    with public.client() as client:
        assert client.get("/config").status_code == 200
        assert client.post("/api/ask", json=ASK).status_code == 401
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer tok-one"}).status_code == 200
        assert client.post("/gradio_api/upload", files={"files": ("x.txt", b"hi")}).status_code == 403


def test_password_file_closes_every_route(start_server, auth_file):
    locked = start_server(auth_file=auth_file)
    with locked.client() as client:
        for method, path in PAGE_ROUTES:
            if path in ("/", "/embed/"):
                continue  # the login form itself
            response = _call(client, method, path)
            # queue/data without a session that joined is refused before Gradio's login check: no data either way
            refused = (401, 403, 404, 422) if path.endswith("/queue/data") else (401, 403)
            assert response.status_code in refused, (path, response.status_code, response.text[:200])


def test_uploads_are_off_without_auth(server):
    with server.client() as client:
        for path in ("/gradio_api/upload", "/embed/gradio_api/upload"):
            response = client.post(path, files={"files": ("big.bin", b"x" * 100_000)})
            assert response.status_code == 403 and "uploads are off" in response.json()["error"]


def test_no_credentialed_cors_for_a_foreign_origin(server, start_server):
    # Gradio's own CORS layer echoes any origin, with credentials, when the host is not localhost.
    public_host = {"Host": "rapportbot.example.org"}
    with server.client() as client:
        for path in ("/config", "/gradio_api/info", "/", "/api/health"):
            for origin in (FOREIGN, "null"):
                response = client.get(path, headers={**public_host, "Origin": origin})
                assert "access-control-allow-origin" not in response.headers, (path, origin)
                assert "access-control-allow-credentials" not in response.headers, (path, origin)
            preflight = client.options(path, headers={**public_host, "Origin": FOREIGN,
                                                      "Access-Control-Request-Method": "POST"})
            assert "access-control-allow-origin" not in preflight.headers, path
    running = start_server(allowed_origins=["https://intranet.example.org"])
    with running.client() as client:
        foreign = client.get("/config", headers={**public_host, "Origin": FOREIGN})
        assert "access-control-allow-origin" not in foreign.headers
        allowed = client.get("/api/health", headers={"Origin": "https://intranet.example.org"})
        assert allowed.headers.get("access-control-allow-origin") == "https://intranet.example.org"


def test_login_cookie_is_samesite_lax(start_server, auth_file):
    locked = start_server(auth_file=auth_file)
    with locked.client() as client:
        login = client.post("/login", data={"username": "alice", "password": "s3cret-pw"})
        assert login.status_code == 303  # our login page (bot/web/login.py) redirects into the page
        cookies = login.headers.get_list("set-cookie")
        assert cookies and all("samesite=lax" in c.lower() and "samesite=none" not in c.lower() for c in cookies)


def test_wrong_logins_are_limited_and_do_not_stall_the_server(start_server, auth_file):
    locked = start_server(auth_file=auth_file, login_attempts=3, login_window_s=300)
    started = threading.Barrier(17)

    def wrong_login(i: int) -> int:
        with locked.client() as client:
            started.wait()
            if i % 2:
                return client.post("/login", data={"username": "alice", "password": f"guess-{i}"}).status_code
            return client.post("/api/ask", json=ASK, auth=("alice", f"guess-{i}")).status_code

    with ThreadPoolExecutor(max_workers=17) as pool:
        results = [pool.submit(wrong_login, i) for i in range(16)]
        started.wait()
        with locked.client() as client:
            health = [client.get("/api/health").status_code for _ in range(5)]
        statuses = [r.result() for r in results]
    assert health == [200] * 5
    assert statuses.count(429) >= 13, statuses  # at most 3 hash checks ran; the rest were refused at once
    assert set(statuses) <= {400, 401, 429}
    with locked.client() as client:
        limited = client.post("/login", data={"username": "alice", "password": "s3cret-pw"})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        assert client.get("/api/health").status_code == 200


def test_bodies_over_the_cap_get_413_and_others_still_answer(start_server):
    running = start_server(max_body_bytes=100_000)
    huge = json.dumps({"messages": [{"role": "user", "content": "x" * 5_000_000},
                                    {"role": "user", "content": "og hvad med regionerne?"}]}).encode()

    def chunks():
        for i in range(0, len(huge), 65536):
            yield huge[i:i + 65536]

    with ThreadPoolExecutor(max_workers=6) as pool:
        with running.client() as client:
            flood = [pool.submit(lambda: running.client().post(
                "/v1/chat/completions", content=huge, headers={"Content-Type": "application/json"}).status_code)
                for _ in range(3)]
            chunked = pool.submit(lambda: running.client().post(
                "/api/ask", content=chunks(), headers={"Content-Type": "application/json"}).status_code)
            other = client.post("/api/ask", json=ASK)
            assert other.status_code == 200 and other.json()["citations"]
            assert [f.result() for f in flood] == [413] * 3
            assert chunked.result() == 413


def test_v1_history_has_the_limits_of_api_ask(server):
    follow_up = {"role": "user", "content": "og hvad med regionerne?"}
    with server.client() as client:
        long_turn = client.post("/v1/chat/completions", json={"messages": [
            {"role": "user", "content": "Hvad siger lederne om innovation? " * 600}, follow_up]})
        assert long_turn.status_code == 422 and "20000" in long_turn.json()["error"]
        many = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"tur {i}"} for i in range(60)]
        too_many = client.post("/v1/chat/completions", json={"messages": many + [follow_up]})
        assert too_many.status_code == 422 and "50" in too_many.json()["error"]
        within = client.post("/v1/chat/completions", json={"messages": [
            {"role": "user", "content": "Hvad siger lederne om innovation? " * 500}, follow_up]})
        assert within.status_code == 200


def test_parallel_maximal_follow_ups_leave_room_for_another_user(server):
    """Five follow-ups at /api/ask's limits at once; another user's question is still answered."""
    history = [{"role": "user", "content": ("Hvordan arbejder toplederne med innovation i kommunerne? " * 340)[:20_000]},
               {"role": "assistant", "content": "Svar " * 3000}]

    def follow_up(i: int) -> int:
        with server.client() as client:
            return client.post("/api/ask", json={"question": f"og hvad med regionerne {i}?",
                                                 "history": history * 10}).status_code

    with ThreadPoolExecutor(max_workers=5) as pool:
        heavy = [pool.submit(follow_up, i) for i in range(5)]
        with server.client() as client:
            other = client.post("/api/ask", json={"question": "Hvad er en innovationsdagsorden?"})
        assert [h.result() for h in heavy] == [200] * 5
    assert other.status_code == 200


@pytest.mark.parametrize("question", ["\ud800", "Hvor mange topledere \udfff blev interviewet?"])
def test_lone_surrogates_get_a_clear_4xx_not_500(server, question):
    ask = json.dumps({"question": question}).encode()
    history = json.dumps({"question": "Hvor mange?", "history": [{"role": "user", "content": question}]}).encode()
    v1 = json.dumps({"messages": [{"role": "user", "content": question}]}).encode()
    headers = {"Content-Type": "application/json"}
    with server.client() as client:
        for path, payload in (("/api/ask", ask), ("/api/ask", history), ("/v1/chat/completions", v1)):
            response = client.post(path, content=payload, headers=headers)
            assert response.status_code in (200, 422), (path, response.status_code, response.text[:200])
            if response.status_code == 422:  # the edge names the character, or the service says "write one"
                assert any(clear in response.json()["error"] for clear in ("surrogate", "Skriv et spørgsmål"))
            else:
                json.dumps(response.json(), ensure_ascii=False).encode("utf-8")  # the answer is valid text
    # Past the JSON edge (the page, the CLI) the service drops them: an answer, or "write a question".
    from bot.service import bounded_history, clean_question
    from ingest.errors import InputError

    if question == "\ud800":
        with pytest.raises(InputError):
            clean_question(question, 2000)
        assert bounded_history([{"role": "user", "content": question}], 2000) is None
    else:
        assert clean_question(question, 2000) == "Hvor mange topledere blev interviewet?"


def test_feedback_fields_are_capped(server):
    with server.client() as client:
        big = client.post("/api/feedback", json={"question": ASK["question"], "rating": "up",
                                                 "citations": [{"quote": "x" * 50_000}] * 3})
        assert big.status_code == 422 and "citations" in big.json()["error"]
        many = client.post("/api/feedback", json={"question": ASK["question"], "rating": "up",
                                                  "citations": [{"n": 1}] * 21})
        assert many.status_code == 422


def test_anonymous_queue_data_logs_no_traceback(server, caplog):
    with caplog.at_level("WARNING"):
        with server.client() as client:
            response = client.get("/gradio_api/queue/data")
            assert response.status_code < 500
            assert client.get("/gradio_api/queue/data", params={"session_hash": "nobody"}).status_code < 500
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


def test_basic_auth_header_that_is_not_base64_is_a_plain_401(start_server, auth_file):
    locked = start_server(auth_file=auth_file)
    with locked.client() as client:
        bad = client.post("/api/ask", json=ASK, headers={"Authorization": "Basic %%%"})
        assert bad.status_code == 401
        good = base64.b64encode(b"alice:s3cret-pw").decode()
        assert client.post("/api/ask", json=ASK, headers={"Authorization": f"Basic {good}"}).status_code == 200


def test_latex_is_not_rendered_in_the_chat(server):
    """`$$\\rule{2000px}{2000px}$$` would draw a block over the chat: the page's components render no LaTeX."""
    with server.client() as client:
        for path in ("/config", "/embed/config"):
            components = client.get(path).json()["components"]
            chat = [c for c in components if c.get("props", {}).get("elem_id") == "rb-chat"]
            assert chat and chat[0]["props"]["latex_delimiters"] == [], path
            markdowns = [c for c in components if c.get("type") == "markdown"]
            assert all(c["props"].get("latex_delimiters") == [] for c in markdowns
                       if c["props"].get("elem_id") == "rb-status")


def test_serve_states_what_is_protected():
    from bot.commands.serve import access_summary
    from ingest.settings import ServerSettings

    assert access_summary(ServerSettings()).startswith("open")
    api_only = access_summary(ServerSettings(api_tokens=["t"]))
    assert "API-only" in api_only and "RAPPORTBOT_PUBLIC_PAGE" in api_only and "uploads off" in api_only
    assert "PUBLIC" in access_summary(ServerSettings(api_tokens=["t"], public_page=True))
    assert "needs the X-Remote-User header" in access_summary(ServerSettings(trusted_user_header="X-Remote-User"))
    assert "/metrics needs credentials" in access_summary(ServerSettings(api_tokens=["t"], metrics_public=False))
