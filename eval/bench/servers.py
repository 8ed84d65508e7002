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


NGINX = os.environ.get("RAPPORTBOT_NGINX", "/usr/sbin/nginx")


def nginx_binary() -> str:
    """Debian's nginx (tests/install_nginx.sh), or RAPPORTBOT_NGINX."""
    if Path(NGINX).exists():
        return NGINX
    found = shutil.which("nginx")
    if found:
        return found
    raise ServerMissing(f"nginx is not installed at {NGINX}: run `bash tests/install_nginx.sh` as root "
                        "(Debian's nginx), or set RAPPORTBOT_NGINX")


class NginxServer:
    """`with NginxServer(http_config) as nginx:` - Debian's nginx in the foreground, never as a service, with its
    pid, logs and temporary files in a temporary directory. `http_config` is the inside of the `http {}` block
    (upstreams and servers, e.g. read from the README). Every request is logged as one JSON line with what
    nginx did with it - `access_log()`: `request_id` (the client's X-Request-Id header), `method`, `uri`,
    `status` (what the client got), `upstream_addr` (every upstream tried, in order, "" when none) and
    `upstream_status` (theirs, in the same order)."""

    LOG_FORMAT = ("'{\"request_id\":\"$http_x_request_id\",\"method\":\"$request_method\",\"uri\":\"$request_uri\","
                  "\"status\":\"$status\",\"upstream_addr\":\"$upstream_addr\",\"upstream_status\":\"$upstream_status\"}'")

    def __init__(self, http_config: str, workdir: Path | None = None) -> None:
        self.binary = nginx_binary()
        self.http_config = http_config
        self.root = Path(workdir or tempfile.mkdtemp(prefix="rapportbot-nginx-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.access_path = self.root / "access.log"
        self.error_path = self.root / "error.log"
        self.proc: subprocess.Popen | None = None

    def write_config(self) -> Path:
        temp = {name: self.root / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        for path in temp.values():
            path.mkdir(exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers may write this directory's temp dirs
        conf = self.root / "nginx.conf"
        conf.write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {self.root}/nginx.pid;\nerror_log {self.error_path} warn;\n"
            "events { worker_connections 512; }\n"
            f"http {{\n  log_format requests escape=json {self.LOG_FORMAT};\n"
            f"  access_log {self.access_path} requests;\n"
            f"  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
            f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
            f"  scgi_temp_path {temp['scgi']};\n{self.http_config}\n}}\n", encoding="utf-8")
        return conf

    def start(self, ready_url: str, timeout_s: float = 20.0) -> "NginxServer":
        """Start and wait until `ready_url` (through nginx) answers 200."""
        import httpx

        conf = self.write_config()
        check = subprocess.run([self.binary, "-t", "-p", str(self.root), "-c", str(conf)], capture_output=True,
                               text=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"nginx rejects the configuration: {check.stderr[-1500:]}\n{conf.read_text()}")
        self.proc = subprocess.Popen([self.binary, "-p", str(self.root), "-c", str(conf)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.perf_counter() + timeout_s
        with httpx.Client(timeout=5.0, trust_env=False) as client:
            while time.perf_counter() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"nginx exited {self.proc.returncode}: {self.proc.stderr.read().decode()[-800:]}"
                                       f" {self.error_log()[-800:]}")
                try:
                    if client.get(ready_url).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx did not answer 200 at {ready_url} after {timeout_s:.0f} s: {self.error_log()[-800:]}")

    def access_log(self) -> list[dict[str, str]]:
        """The requests nginx has finished so far, oldest first (it writes each line when the request ends)."""
        import json

        if not self.access_path.exists():
            return []
        return [json.loads(line) for line in self.access_path.read_text(encoding="utf-8").splitlines() if line]

    def error_log(self) -> str:
        try:
            return self.error_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def __enter__(self) -> "NginxServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
