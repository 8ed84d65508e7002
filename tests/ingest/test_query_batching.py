"""Concurrent questions share one e5 call and get exactly the vectors they get alone."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from ingest.embeddings import E5Embeddings, embed_queries
from ingest.query_batch import QueryBatcher

QUESTIONS = ["Hvad siger lederne om innovation?", "What do the leaders say about climate?",
             "Hvor mange topledere blev interviewet?", "velfærdsteknologi i ældreplejen", "KL og digitalisering",
             "Who took part in the study?", "Hvad er en innovationsdagsorden?", "borgerinddragelse",
             "What is the role of the political level?", "Hvordan arbejder kommunerne med data?"]


def wait_until(condition, what: str, limit_s: float = 30.0) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.005)


def ask_at_once(embed, texts: list[str]) -> tuple[dict[str, np.ndarray], list[threading.Thread]]:
    results: dict[str, np.ndarray] = {}
    threads = [threading.Thread(target=lambda t=t: results.__setitem__(t, embed(t))) for t in texts]
    for thread in threads:
        thread.start()
    return results, threads


@pytest.fixture(scope="module")
def e5() -> E5Embeddings:
    return E5Embeddings()


def test_concurrent_queries_are_batched_and_equal_single_calls(e5: E5Embeddings) -> None:
    alone = {q: e5.query_vectors([q])[0] for q in QUESTIONS}
    batcher = e5.query_batcher
    calls_before, asked_before = batcher.calls, batcher.asked
    # Hold the model while the questions arrive, as a running inference would: they queue up.
    with e5._lock:
        results, threads = ask_at_once(lambda q: embed_queries(e5, [q])[0], QUESTIONS)
        wait_until(lambda: batcher.asked - asked_before == len(QUESTIONS), "all questions asked")
    for thread in threads:
        thread.join(60)
    assert set(results) == set(QUESTIONS)
    for question in QUESTIONS:
        np.testing.assert_allclose(results[question], alone[question], atol=1e-6)
        assert not results[question].flags.writeable
    # The first few may have been taken before the rest arrived; the others went in one call.
    assert batcher.calls - calls_before <= 2


def test_a_lone_query_and_langchain_interface_match_the_batch_path(e5: E5Embeddings) -> None:
    question = "Hvad er innovation i den offentlige sektor?"
    direct = e5.query_vectors([question])[0]
    np.testing.assert_allclose(e5.embed_query(question), direct, atol=1e-6)
    np.testing.assert_allclose(embed_queries(e5, [question])[0], direct, atol=1e-6)
    assert embed_queries(e5, [question, "klima"]).shape == (2, e5.dim)


def test_stores_over_the_same_model_share_one_batcher(e5: E5Embeddings) -> None:
    assert E5Embeddings().query_batcher is e5.query_batcher


def test_duplicates_are_embedded_once_and_errors_reach_every_caller() -> None:
    seen: list[list[str]] = []
    gate = threading.Lock()

    def encode(texts: list[str]) -> np.ndarray:
        with gate:
            seen.append(list(texts))
            if "fail" in texts:
                raise ValueError("cannot embed 'fail'")
            return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)

    batcher = QueryBatcher(encode)
    with gate:
        results, threads = ask_at_once(batcher.embed, ["first"])
        wait_until(lambda: batcher.waiting() == 0, "the worker took the first question")
        more, more_threads = ask_at_once(batcher.embed, ["same", "same", "other"])
        wait_until(lambda: batcher.waiting() == 3, "three questions queued")
    for thread in threads + more_threads:
        thread.join(10)
    assert seen == [["first"], ["same", "other"]]
    assert more["same"].tolist() == [4.0, 1.0] and more["other"].tolist() == [5.0, 1.0]

    errors: list[Exception] = []

    def ask_failing() -> None:
        try:
            batcher.embed("fail")
        except ValueError as err:
            errors.append(err)

    failing = [threading.Thread(target=ask_failing) for _ in range(3)]
    for thread in failing:
        thread.start()
    for thread in failing:
        thread.join(10)
    assert len(errors) == 3 and all("cannot embed" in str(e) for e in errors)
    assert batcher.embed("after").tolist() == [5.0, 1.0]  # the worker goes on after a failure


def test_short_questions_do_not_wait_behind_long_texts() -> None:
    """Issue 12: a batch is shortest-first and bounded in characters, so long follow-up texts queued
    before a user's short question neither share its model call nor go ahead of it."""
    seen: list[list[str]] = []
    gate = threading.Lock()

    def encode(texts: list[str]) -> np.ndarray:
        with gate:
            seen.append([t[:12] for t in texts])
            return np.ones((len(texts), 2), dtype=np.float32)

    batcher = QueryBatcher(encode)
    longs = [f"lang-{i} " + "innovation " * 600 for i in range(3)]
    with gate:
        first, threads = ask_at_once(batcher.embed, ["warm"])
        wait_until(lambda: batcher.waiting() == 0, "the worker took the first text")
        queued_long, long_threads = ask_at_once(batcher.embed, longs)
        wait_until(lambda: batcher.waiting() == 3, "three long texts queued")
        queued_short, short_threads = ask_at_once(batcher.embed, ["kort spørgsmål", "andet spørgsmål"])
        wait_until(lambda: batcher.waiting() == 5, "two short questions queued behind them")
    for thread in threads + long_threads + short_threads:
        thread.join(10)
    # The short ones first; each long text (about 6,600 characters) fills most of a call's budget.
    assert seen == [["warm"], ["kort spørgsm", "andet spørgs", "lang-0 innov"], ["lang-1 innov"], ["lang-2 innov"]]
    assert len(queued_short) == 2 and len(queued_long) == 3 and len(first) == 1
