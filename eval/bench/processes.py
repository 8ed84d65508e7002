"""Processes for the benchmarks and the robustness suites: a measured one-shot command, and a real
`rapportbot serve` on a free loopback port (started, waited for, measured, stopped)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from ingest.settings import PROJECT_ROOT

# `python -m bot.cli` rather than the console script: works from any venv layout and names the interpreter.
CLI = [sys.executable, "-m", "bot.cli"]


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(store: Path, **extra: str) -> dict[str, str]:
    """Environment for a child: the given store, embedded Chroma, extractive mode, no proxy, offline."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"RAPPORTBOT_CHROMA_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                        "RAPPORTBOT_LLM_BASE_URL", "RAPPORTBOT_LLM_API_KEY"}}
    # One worker unless asked (ServeProcess(workers=N)): tests and most bench stages measure one process.
    env.update({"RAPPORTBOT_WORKERS": "1", "RAPPORTBOT_STORE": str(store), "RAPPORTBOT_LLM": "none", "NO_PROXY": "127.0.0.1,localhost",
                "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


@dataclass
class Measured:
    returncode: int
    wall_s: float
    peak_rss_mb: float
    stdout: str
    stderr: str


def run_measured(args: list[str], env: dict[str, str], timeout_s: float = 600.0, stdin: str | None = None) -> Measured:
    """Run `rapportbot ARGS` to completion; wall time and the child's own peak RSS (wait4 rusage)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(CLI + args, env=env, cwd=PROJECT_ROOT, stdout=out, stderr=err,
                                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL)
        if stdin is not None:
            proc.stdin.write(stdin.encode())
            proc.stdin.close()
        deadline = started + timeout_s
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        return Measured(proc.returncode, wall, usage.ru_maxrss / 1024.0,
                        out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def proc_status_mb(pid: int, field: str) -> float | None:
    """A memory line of /proc/PID/status (VmHWM = peak RSS, VmRSS = now) in MB; None when gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        return None
    return None


class ServeProcess:
    """A real `rapportbot serve` on 127.0.0.1:<free port>. Use as a context manager, or start()/stop()."""

    def __init__(self, env: dict[str, str], port: int | None = None, log_dir: Path | None = None,
                 workers: int | None = None) -> None:
        self.env = env
        self.workers = workers  # None: whatever RAPPORTBOT_WORKERS / the default says
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_dir = Path(log_dir or tempfile.mkdtemp(prefix="rapportbot-serve-"))
        self.log_path = self._log_dir / f"serve-{self.port}.log"
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self.healthy_after_s: float | None = None

    def start(self, timeout_s: float = 60.0, require_healthy: bool = True) -> "ServeProcess":
        self.launch()
        self.wait_healthy(timeout_s, require_healthy)
        return self

    def launch(self) -> "ServeProcess":
        """Start the process and return at once; wait_healthy() later (its start-up overlaps other work)."""
        log = open(self.log_path, "wb")
        self.started_at = time.perf_counter()
        extra = ["--workers", str(self.workers)] if self.workers is not None else []
        self.proc = subprocess.Popen(CLI + ["serve", "--host", "127.0.0.1", "--port", str(self.port), *extra],
                                     env=self.env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        return self

    def wait_healthy(self, timeout_s: float = 60.0, require_healthy: bool = True) -> float:
        """Seconds from start until GET /api/health answered 200 (any HTTP answer when not
        `require_healthy`: a server over a missing store answers 503); raises with the log tail if not."""
        deadline = time.perf_counter() + timeout_s
        # With several workers, healthy means every one has answered (each request on a new connection,
        # which the kernel hands to any worker).
        pending = {str(i) for i in range(self.workers)} if self.workers and self.workers > 1 else None
        with httpx.Client(timeout=2.0, trust_env=False, headers={"Connection": "close"}) as client:
            while time.perf_counter() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"serve exited with {self.proc.returncode}:\n{self.log_tail()}")
                try:
                    response = client.get(self.url + "/api/health")
                    if response.status_code == 200 or not require_healthy:
                        if pending is not None:
                            pending.discard(response.headers.get("x-rapportbot-worker", ""))
                        if not pending:
                            self.healthy_after_s = time.perf_counter() - self.started_at
                            return self.healthy_after_s
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        raise RuntimeError(f"serve not healthy after {timeout_s:.0f} s:\n{self.log_tail()}")

    def pids(self) -> list[int]:
        """The server process and its workers (children, recursively)."""
        if self.proc is None:
            return []
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    todo.extend(int(child) for child in task.read_text().split())
                except (OSError, ValueError):
                    pass
        return found

    def peak_rss_mb(self) -> float | None:
        """Peak RSS of the server, summed over its worker processes."""
        peaks = [proc_status_mb(pid, "VmHWM") for pid in self.pids()]
        peaks = [p for p in peaks if p is not None]
        return sum(peaks) if peaks else None

    def cpu_s(self) -> float:
        """CPU seconds (user + system, all threads, all worker processes) used so far; 0.0 when gone."""
        total = 0.0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, ValueError, IndexError):
                pass
        return total

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self) -> None:
        terminate(self.proc)

    def __enter__(self) -> "ServeProcess":
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def terminate(proc: subprocess.Popen | None) -> None:
    """SIGTERM, then SIGKILL after 10 s; nothing when the process is gone already."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


class ChromaServer:
    """A real `chroma run --path PATH --host 127.0.0.1 --port PORT`; stop() and start() again on the same
    port and path (the fault tests take it away and bring it back)."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = Path(path)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = self.path.parent / f"chroma-{self.port}.log"

    def start(self, timeout_s: float = 30.0) -> "ChromaServer":
        chroma = Path(sys.executable).with_name("chroma")
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(chroma), "run", "--path", str(self.path), "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.perf_counter() + timeout_s
        with httpx.Client(timeout=1.0, trust_env=False) as client:
            while time.perf_counter() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"chroma run exited {self.proc.returncode}: {self.log_path.read_text()[-500:]}")
                try:
                    if client.get(self.url + "/api/v2/heartbeat").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chroma run not up after {timeout_s:.0f} s")

    def stop(self) -> None:
        terminate(self.proc)

    def __enter__(self) -> "ChromaServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
