"""Fixtures of the robustness suites: the hostile corpus (whole, and one item of each category), the cleaned
report text, and a store moved into a real `chroma run` server (the shared `rapportbot serve` over the shared
store, `served`, is in tests/conftest.py; helpers live in tests/robustness/support.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.robustness.support import chroma_backed_store, hostile_sample, load_hostile


@pytest.fixture(scope="session")
def hostile() -> list[dict[str, Any]]:
    items = load_hostile()
    assert len(items) >= 100
    return items


@pytest.fixture(scope="session")
def hostile_one_each(hostile: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One item of each category of the corpus (support.hostile_sample)."""
    sample = hostile_sample(hostile)
    assert {item["category"] for item in sample} == {item["category"] for item in hostile}
    assert len(sample) >= 12
    return sample


@pytest.fixture(scope="session")
def report_text(store_settings) -> str:
    """The cleaned report text (as the store holds it) every quote must be an exact substring of."""
    from ingest.store import ReportStore

    documents = ReportStore.open(store_settings).documents
    assert len(documents) == 1
    return next(iter(documents.values())).clean_text


@pytest.fixture(scope="session")
def chroma_store(built_store: Path, tmp_path_factory: pytest.TempPathFactory):
    """(store directory, running ChromaServer): the shared store moved into a real `chroma run` server.
    Tests that stop the server start it again before they end."""
    store, chroma = chroma_backed_store(built_store, tmp_path_factory.mktemp("chroma"))
    yield store, chroma
    chroma.stop()

