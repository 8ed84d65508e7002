"""`rapportbot serve` as a real process: healthy over a store (the session's shared server); a non-loopback
address without auth gets a warning; a taken port is one clear line. (Without a usable store it still starts
and says `rapportbot ingest`, then recovers: tests/robustness/test_faults_store.py.)"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
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


def test_serve_answers_over_the_store(served):
    """The session's `rapportbot serve` (tests/conftest.py: a real child process over the shared store)."""
    health = httpx.get(f"{served.url}/api/health", trust_env=False, timeout=10)
    assert health.status_code == 200 and health.json()["store_loaded"]
    with httpx.Client(trust_env=False, timeout=60) as client:
        answer = client.post(f"{served.url}/api/ask", json={"question": "Hvor mange topledere?"})
    assert answer.status_code == 200 and answer.json()["citations"]
    err = served.log_text()  # the child's stderr (and its stdout: ServeProcess logs both to one file)
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("{")]
    assert any('"route": "/api/ask"' in line for line in lines), err  # JSON request log


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
