"""Embedding in an intranet: a sub-path behind a proxy (prefix kept or stripped), /embed, CORS, framing."""
from __future__ import annotations

import json
import re

import pytest

ASK = {"question": "Hvor mange topledere blev interviewet?"}


@pytest.fixture(scope="module")
def under_prefix(start_server):
    return start_server(root_path="/rapportbot", allowed_origins=["https://intranet.example.org"])


def _gradio_root(html: str) -> str:
    at = html.find("window.gradio_config = ")
    assert at >= 0, html[:500]
    config, _ = json.JSONDecoder().raw_decode(html, at + len("window.gradio_config = "))
    return config["root"]


@pytest.mark.parametrize("prefix", ["/rapportbot", ""], ids=["proxy-keeps-prefix", "proxy-strips-prefix"])
def test_sub_path_serves_api_page_and_embed(under_prefix, prefix):
    headers = {"Host": "intranet.example.org", "X-Forwarded-Proto": "https"}
    with under_prefix.client() as client:
        assert client.get(f"{prefix}/api/health").json()["store_loaded"] is True
        answer = client.post(f"{prefix}/api/ask", json=ASK)
        assert answer.status_code == 200 and answer.json()["citations"]
        page = client.get(f"{prefix}/", headers=headers)
        assert page.status_code == 200
        # The page's links (assets, queue) carry the public prefix, whichever way the proxy forwarded.
        assert _gradio_root(page.text).endswith("/rapportbot")
        embed = client.get(f"{prefix}/embed/", headers=headers)
        assert embed.status_code == 200 and _gradio_root(embed.text).endswith("/rapportbot/embed")
        assert client.get(f"{prefix}/docs").status_code == 200


def test_embed_view_is_the_chat_without_page_chrome(server):
    with server.client() as client:
        full = client.get("/config").json()
        embed = client.get("/embed/config").json()

    def ids(config: dict) -> set[str]:
        return {c["props"].get("elem_id") for c in config["components"] if c["props"].get("elem_id")}

    assert {"rb-chat", "rb-question", "rb-reader", "rb-about"} <= ids(full)
    assert "rb-chat" in ids(embed) and "rb-question" in ids(embed)
    assert not {"rb-reader", "rb-about"} & ids(embed)


def test_cors_allows_only_the_configured_origins(under_prefix, server):
    good, evil = "https://intranet.example.org", "https://evil.example.com"
    with under_prefix.client() as client:
        allowed = client.post("/rapportbot/api/ask", json=ASK, headers={"Origin": good})
        assert allowed.headers.get("access-control-allow-origin") == good
        preflight = client.options("/rapportbot/v1/chat/completions", headers={
            "Origin": good, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
        assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == good
        refused = client.post("/rapportbot/api/ask", json=ASK, headers={"Origin": evil})
        assert "access-control-allow-origin" not in refused.headers
    with server.client() as client:  # default: same origin only
        response = client.post("/api/ask", json=ASK, headers={"Origin": good})
        assert "access-control-allow-origin" not in response.headers


def test_frame_ancestors_follow_the_allowed_origins(under_prefix, server):
    with under_prefix.client() as client:
        csp = client.get("/rapportbot/embed/").headers["content-security-policy"]
    assert csp == "frame-ancestors 'self' https://intranet.example.org"
    with server.client() as client:
        assert client.get("/embed/").headers["content-security-policy"] == "frame-ancestors 'self'"


def test_web_component_loader_is_served_without_a_cdn(under_prefix):
    with under_prefix.client() as client:
        loader = client.get("/rapportbot/gradio.js")
        assert loader.status_code == 200 and "javascript" in loader.headers["content-type"]
        asset = re.search(r'import\("\./(embed/assets/[^"]+\.js)"\)', loader.text)
        assert asset, loader.text
        module = client.get(f"/rapportbot/{asset.group(1)}", headers={"Origin": "https://intranet.example.org"})
    assert module.status_code == 200 and "gradio-app" in module.text
    assert module.headers["access-control-allow-origin"] == "https://intranet.example.org"
