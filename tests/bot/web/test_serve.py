"""`rapportbot serve` as a real process: healthy over a store; without a store it still starts and says
`rapportbot ingest`; a non-loopback address without auth gets a warning."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ingest.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(store: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAPPORTBOT_", "OPENAI_"))}
    env.update({"RAPPORTBOT_STORE": str(store), "RAPPORTBOT_LLM": "none", "PYTHONUNBUFFERED": "1",
                "RAPPORTBOT_WORKERS": "1",  # one process: the multi-worker path is tests/bot/web/test_workers.py
                "NO_PROXY": "127.0.0.1", "GRADIO_ANALYTICS_ENABLED": "False", **extra})
    return env


def _serve(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", *args], env=env, cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait(url: str, proc: subprocess.Popen, timeout: float = 120) -> httpx.Response:
    deadline = time.monotonic() + timeout
    with httpx.Client(trust_env=False, timeout=10) as client:
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()
            try:
                return client.get(url)
            except httpx.TransportError:
                time.sleep(0.2)
    raise AssertionError(f"no answer from {url}")


def _stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


def test_serve_answers_over_the_store(built_store, tmp_path):
    port = free_port()
    proc = _serve(_env(built_store, RAPPORTBOT_FEEDBACK_DB=str(tmp_path / "fb.sqlite")),
                  "--host", "127.0.0.1", "--port", str(port))
    try:
        health = _wait(f"http://127.0.0.1:{port}/api/health", proc)
        assert health.status_code == 200 and health.json()["store_loaded"]
        with httpx.Client(trust_env=False, timeout=60) as client:
            answer = client.post(f"http://127.0.0.1:{port}/api/ask", json={"question": "Hvor mange topledere?"})
        assert answer.status_code == 200 and answer.json()["citations"]
    finally:
        err = _stop(proc)
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("{")]
    assert any('"route": "/api/ask"' in line for line in lines), err  # JSON request log on stderr


def test_serve_without_a_store_starts_and_names_ingest(tmp_path):
    port = free_port()
    proc = _serve(_env(tmp_path / "no-store", RAPPORTBOT_FEEDBACK_DB=str(tmp_path / "fb.sqlite")),
                  "--port", str(port))
    try:
        health = _wait(f"http://127.0.0.1:{port}/api/health", proc)
        assert health.status_code == 503 and "rapportbot ingest" in health.json()["error"]
        with httpx.Client(trust_env=False, timeout=60) as client:
            ask = client.post(f"http://127.0.0.1:{port}/api/ask", json={"question": "Hvor mange topledere?"})
            assert ask.status_code == 503 and "rapportbot ingest" in ask.json()["error"]
            assert client.get(f"http://127.0.0.1:{port}/").status_code == 200
    finally:
        err = _stop(proc)
    assert "rapportbot ingest" in err and "Traceback" not in err


def test_binding_beyond_loopback_without_auth_warns(tmp_path):
    # 192.0.2.1 (TEST-NET) is never a local address: the warning is printed, then the bind fails.
    proc = _serve(_env(tmp_path / "no-store", RAPPORTBOT_FEEDBACK_DB=str(tmp_path / "fb.sqlite")),
                  "--host", "192.0.2.1", "--port", str(free_port()))
    _, err = proc.communicate(timeout=120)
    assert "warning: binding 192.0.2.1 without any access control" in err


def test_a_taken_port_is_one_line_naming_port_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = _serve(_env(tmp_path / "no-store", RAPPORTBOT_FEEDBACK_DB=str(tmp_path / "fb.sqlite")),
                      "--port", str(port))
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "already in use" in lines[0], err
    assert "--port" in lines[0] and "RAPPORTBOT_PORT" in lines[0] and "Traceback" not in err
    assert "the page is at" not in err  # no URL printed for a server that never listens
