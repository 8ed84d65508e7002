"""/docs with the network off: Swagger UI's assets come from rapportbot itself (fastapi-offline's copy),
at the root and under a sub-path."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def under_prefix(start_server):
    return start_server(root_path="/rapportbot")


@pytest.mark.parametrize("where", ["root", "sub-path"])
def test_docs_render_offline(where, server, under_prefix, page):
    url = server.url + "/docs" if where == "root" else under_prefix.url + "/rapportbot/docs"
    page.goto(url)
    page.wait_for_selector(".swagger-ui .opblock-summary-path", timeout=30_000)
    paths = page.locator(".swagger-ui .opblock-summary-path").all_inner_texts()
    assert "/api/ask" in paths and "/v1/chat/completions" in paths
    assert not page.off_network, page.off_network
    assert not page.errors, page.errors


def test_docs_assets_are_served_locally(server):
    with server.client() as client:
        html = client.get("/docs").text
        assert "cdn.jsdelivr.net" not in html and "/docs-assets/swagger-ui-bundle.js" in html
        assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
