"""Fixtures for bot tests: a local OpenAI-compatible server (tests/bot/fake_openai.py)."""
from __future__ import annotations

from typing import Iterator

import pytest

from fake_openai import FakeOpenAI  # tests/bot is on sys.path (rootdir-relative conftest)


@pytest.fixture(scope="session")
def _fake_openai_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai(_fake_openai_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """The running fake server with an empty script and request log; script replies with `.script(...)`."""
    _fake_openai_server.reset()
    yield _fake_openai_server
    _fake_openai_server.reset()
