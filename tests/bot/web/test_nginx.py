"""The README's nginx recipe on a real nginx (Debian's, installed by tests/install_nginx.sh), started on
loopback in a temporary directory on a non-default port, with the `location` block read from the README.
In headless Chromium: the page through the proxy, an iframe page and a web-component page served from
another origin (the README's own HTML snippets), each gets an answer, with no console errors."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from ingest.settings import PROJECT_ROOT
from tests.bot.web.conftest import free_port, open_page

pytestmark = pytest.mark.browser
NGINX = os.environ.get("RAPPORTBOT_NGINX", "/usr/sbin/nginx")
README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
PUBLIC = "https://intranet.example.org"  # the README's example host, replaced by the test's proxy
QUESTION = "Hvor mange topledere blev interviewet?"


def readme_block(language: str, containing: str) -> str:
    blocks = re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.S | re.M)
    found = [b for b in blocks if containing in b]
    assert found, f"no ```{language} block with {containing!r} in the README"
    return found[0]


def start_nginx(workdir: Path, listen: int, backend: int) -> subprocess.Popen:
    snippet = readme_block("nginx", "location /rapportbot/").replace("127.0.0.1:7860", f"127.0.0.1:{backend}")
    temp = {name: workdir / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers may write the temp dirs of this test
    (workdir / "nginx.conf").write_text(
        f"{user}worker_processes 1;\ndaemon off;\npid {workdir}/nginx.pid;\nerror_log {workdir}/error.log warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
        f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
        f"  scgi_temp_path {temp['scgi']};\n"
        f"  server {{\n    listen 127.0.0.1:{listen};\n{snippet}\n  }}\n}}\n", encoding="utf-8")
    proc = subprocess.Popen([NGINX, "-p", str(workdir), "-c", str(workdir / "nginx.conf")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    with httpx.Client(trust_env=False, timeout=5) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"nginx stopped: {proc.stderr.read().decode()} "
                                     f"{(workdir / 'error.log').read_text() if (workdir / 'error.log').exists() else ''}")
            try:
                if client.get(f"http://127.0.0.1:{listen}/rapportbot/api/health").status_code == 200:
                    return proc
            except httpx.TransportError:
                time.sleep(0.2)
    proc.kill()
    raise AssertionError("nginx did not come up")


@pytest.fixture(scope="module")
def proxied(start_server, tmp_path_factory):
    """(proxy URL, other-origin URL): nginx in front of a server under /rapportbot, and a site elsewhere."""
    if not Path(NGINX).exists() and not shutil.which("nginx"):
        reason = f"nginx is not installed at {NGINX}: run `bash tests/install_nginx.sh` as root, or set RAPPORTBOT_NGINX"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " - in CI the proxy test must run")
        pytest.skip(reason)
    listen, other = free_port(), free_port()
    proxy, site = f"http://127.0.0.1:{listen}", f"http://localhost:{other}"
    backend = start_server(root_path="/rapportbot", allowed_origins=[site])
    nginx = start_nginx(tmp_path_factory.mktemp("nginx"), listen, backend.port)

    pages = tmp_path_factory.mktemp("intranet")
    iframe = readme_block("html", "<iframe").replace(PUBLIC, proxy)
    component = readme_block("html", "<gradio-app").replace(PUBLIC, proxy)
    for name, body in (("iframe.html", iframe), ("component.html", component)):
        (pages / name).write_text(f'<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Intranet'
                                  f'</title></head><body><h1>Intranet</h1>{body}</body></html>', encoding="utf-8")
    handler = partial(type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None}),
                      directory=str(pages))
    httpd = ThreadingHTTPServer(("127.0.0.1", other), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield proxy, site
    httpd.shutdown()
    nginx.terminate()
    nginx.wait(timeout=10)


def _watched(browser):
    page = open_page(browser)
    page.console_errors, page.failed = [], []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    # net::ERR_ABORTED is the page itself closing its event stream once an answer is in: not a failure.
    page.on("requestfailed", lambda req: "ERR_ABORTED" not in (req.failure or "")
            and page.failed.append(f"{req.failure} {req.url}"))
    page.on("response", lambda resp: resp.status >= 400 and page.failed.append(f"{resp.status} {resp.url}"))
    return page


def _ask_and_answer(scope) -> None:
    scope.locator("#rb-question textarea").fill(QUESTION)
    scope.locator("#rb-send").click()
    answer = scope.locator("#rb-chat .rb-answer details.rb-cite").first
    answer.wait_for(timeout=60_000)
    assert "24" in scope.locator("#rb-chat .rb-answer").last.inner_text()


@pytest.mark.parametrize("where", ["page", "iframe", "web component"])
def test_the_readme_recipe_on_real_nginx(where, proxied, browser):
    proxy, site = proxied
    page = _watched(browser)
    try:
        if where == "page":
            page.goto(proxy + "/rapportbot/")
            page.wait_for_selector("#rb-question textarea", timeout=60_000)
            _ask_and_answer(page)
        elif where == "iframe":
            page.goto(site + "/iframe.html")
            frame = page.frame_locator("iframe")
            frame.locator("#rb-question textarea").wait_for(timeout=60_000)
            _ask_and_answer(frame)
        else:
            page.goto(site + "/component.html")
            page.locator("gradio-app #rb-question textarea").wait_for(timeout=60_000)
            _ask_and_answer(page.locator("gradio-app"))
        page.wait_for_timeout(300)
        assert not page.console_errors, page.console_errors
        assert not page.failed, page.failed
        assert not page.off_network, page.off_network
        assert not page.errors, page.errors
    finally:
        page.context.close()
