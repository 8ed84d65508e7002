"""Real servers beside `serve` for the scale-out tests and bench: a PostgreSQL cluster made with Debian's
`initdb` and started with `pg_ctl` in a temporary directory on a loopback port (trust auth, loopback only,
gone when stopped), and Debian's nginx in front of several `serve` processes.

PostgreSQL refuses to run as root; as root (CI, this machine) the cluster belongs to the `postgres` user
the Debian package creates, and its programs run through `runuser`.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from eval.bench.processes import free_port


class ServerMissing(RuntimeError):
    """A Debian package the test needs is not installed; the message names the install script."""


def postgres_bindir() -> Path:
    """Directory of initdb and pg_ctl: Debian keeps them under /usr/lib/postgresql/<version>/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise ServerMissing("PostgreSQL is not installed: run `bash tests/install_postgres.sh` (Debian's postgresql)")


class PostgresServer:
    """`with PostgresServer() as pg: pg.url` - a throwaway cluster with database `rapportbot`."""

    def __init__(self, port: int | None = None) -> None:
        self.bindir = postgres_bindir()
        self.port = port or free_port()
        self.url = f"postgresql://rapportbot@127.0.0.1:{self.port}/rapportbot"
        self.root = Path(tempfile.mkdtemp(prefix="rapportbot-pg-"))
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {(done.stderr or done.stdout)[-800:]}")

    def start(self) -> "PostgresServer":
        # fsync off: a throwaway test cluster, and on shared cores the flushes are most of a write's cost.
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "rapportbot", "--auth=trust",
                  "-E", "UTF8", "--no-sync", "--locale=C")
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_path), "-o", options,
                  "-w", "-t", "60", "start")
        self._run(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "rapportbot",
                  "rapportbot")
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PostgresServer":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_port(port: int, timeout_s: float = 20.0) -> None:
    import socket

    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s:.0f} s")
