"""Fixtures of the robustness suites: the hostile corpus, the cleaned report text, and a real
`rapportbot serve` per module over the shared store (helpers live in tests/robustness/support.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from eval.bench.processes import ServeProcess, bench_env
from tests.robustness.support import assert_no_traceback, chroma_backed_store, load_hostile


@pytest.fixture(scope="session")
def hostile() -> list[dict[str, Any]]:
    items = load_hostile()
    assert len(items) >= 100
    return items


@pytest.fixture(scope="session")
def report_text(store_settings) -> str:
    """The cleaned report text (as the store holds it) every quote must be an exact substring of."""
    from ingest.store import ReportStore

    documents = ReportStore.open(store_settings).documents
    assert len(documents) == 1
    return next(iter(documents.values())).clean_text


@pytest.fixture(scope="module")
def served(built_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """One extractive `rapportbot serve` per module over the shared store, with its own feedback DB."""
    work = tmp_path_factory.mktemp("serve")
    env = bench_env(built_store, RAPPORTBOT_FEEDBACK_DB=str(work / "feedback.sqlite"))
    with ServeProcess(env, log_dir=work) as server:
        yield server
    assert_no_traceback(server.log_text(), "the serve log")


@pytest.fixture(scope="session")
def chroma_store(built_store: Path, tmp_path_factory: pytest.TempPathFactory):
    """(store directory, running ChromaServer): the shared store moved into a real `chroma run` server.
    Tests that stop the server start it again before they end."""
    store, chroma = chroma_backed_store(built_store, tmp_path_factory.mktemp("chroma"))
    yield store, chroma
    chroma.stop()
