"""Shared fixtures: one real store built from the bundled report per test session (and one real `rapportbot
serve` over it, `served`).

Building the store embeds every chunk (~20 s on 2 cores). Outside CI the built store is cached under
.rapportbot/test-cache, keyed by a hash of the ingest code and the report, so a re-run with unchanged
ingest code copies it instead of re-embedding. In CI it is always built fresh.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from tests.bot.fake_openai import FakeOpenAI

from ingest.settings import BUNDLED_REPORT, PROJECT_ROOT, Settings, StoreSettings

CACHE_ROOT = PROJECT_ROOT / ".rapportbot" / "test-cache"


def _ingest_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted((PROJECT_ROOT / "ingest").glob("*.py")) + [BUNDLED_REPORT]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def make_settings(store_path: Path, **groups: object) -> Settings:
    """Settings pointing at `store_path`, ignoring any RAPPORTBOT_STORE/CHROMA_URL in the environment."""
    return Settings(store=StoreSettings(path=store_path, chroma_url=None), **groups)


def _build_once(target: Path) -> None:
    """Build the bundled report's store at `target` (or copy it from the local cache outside CI)."""
    from ingest.pipeline import ingest_files

    cached = CACHE_ROOT / _ingest_fingerprint()
    use_cache = os.environ.get("CI") != "true"
    if use_cache and (cached / "READY").exists():
        shutil.copytree(cached, target, ignore=shutil.ignore_patterns("READY"))
        return
    ingest_files([BUNDLED_REPORT], make_settings(target), progress=False)
    if use_cache:
        # Copy aside, then rename: concurrent test runs never see a half-written cache entry.
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(target, partial)
        (partial / "READY").touch()
        try:
            partial.rename(cached)
        except OSError:  # another run got there first
            shutil.rmtree(partial, ignore_errors=True)


@pytest.fixture(scope="session")
def built_store(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """Directory of a store holding the bundled report (read-only for tests: copy it to modify).

    Under pytest-xdist the workers share one build: the first to take the lock builds it in the run's common
    temporary directory, the others wait and copy it (a build is ~70 s of both cores; two at once would
    take twice that and prove nothing more)."""
    from filelock import FileLock

    target = tmp_path_factory.mktemp("store") / "store"
    if worker_id == "master":  # no xdist
        _build_once(target)
        return target
    shared_root = tmp_path_factory.getbasetemp().parent
    shared = shared_root / "shared-store"
    with FileLock(str(shared_root / "shared-store.lock")):
        if not (shared / "READY").exists():
            _build_once(shared)
            (shared / "READY").touch()
    shutil.copytree(shared, target, ignore=shutil.ignore_patterns("READY"))
    return target


@pytest.fixture(scope="session")
def store_settings(built_store: Path) -> Settings:
    """Settings for the shared store, extractive mode (no LLM), whatever the environment says."""
    from ingest.settings import LLMSettings

    return make_settings(built_store, llm=LLMSettings(provider="none"))


@pytest.fixture(scope="session")
def served(built_store: Path, tmp_path_factory: pytest.TempPathFactory) -> "Iterator[object]":
    """One real extractive `rapportbot serve` (a child process on a loopback port, eval/bench/processes.py) over
    the shared store for the whole session, with its own SQLite feedback DB. Tests only read from it (asks,
    their own tagged feedback rows); a test that needs another store or settings starts its own."""
    from eval.bench.processes import ServeProcess, bench_env
    from tests.robustness.support import assert_no_traceback

    work = tmp_path_factory.mktemp("serve")
    env = bench_env(built_store, RAPPORTBOT_FEEDBACK_DB=str(work / "feedback.sqlite"))
    server = ServeProcess(env, log_dir=work)
    try:
        yield server.start(timeout_s=180)  # (generous: the start-up is CPU-bound, and the cores are shared)
    finally:
        server.stop()
    assert_no_traceback(server.log_text(), "the serve log")


@pytest.fixture(scope="session")
def _fake_openai_server() -> "Iterator[FakeOpenAI]":
    """One local OpenAI-compatible server (tests/bot/fake_openai.py) for every LLM test of the session."""
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai(_fake_openai_server: FakeOpenAI) -> "Iterator[FakeOpenAI]":
    """The running fake server with an empty script and request log; script replies with `.script(...)`."""
    _fake_openai_server.reset()
    yield _fake_openai_server
    _fake_openai_server.reset()


@pytest.fixture(scope="session")
def postgres() -> "Iterator[object]":
    """One real PostgreSQL server (Debian's initdb + pg_ctl in a temporary directory, loopback port) for the
    session; `tests/install_postgres.sh` (from `make test`) installs it. Tests take fresh databases of it."""
    from eval.bench.servers import PostgresServer

    with PostgresServer() as server:
        yield server


def fresh_database(server: object, name: str) -> str:
    """URL of a new, empty database on `server` (one per test keeps tests apart)."""
    import re

    import psycopg

    name = re.sub(r"[^a-z0-9_]", "_", name.lower())[:50]
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.url.rsplit("/", 1)[0] + "/" + name


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `long` (minutes each: the quality gate, training) run first. Under xdist's loadfile
    schedule each starts on a worker at once while the short files fill the other; last, they would leave
    one worker idle for minutes at the end."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # stable: order kept otherwise
