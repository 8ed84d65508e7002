"""Baselines scored with the same metrics as rapportbot (`rapportbot eval --compare`), so the value of each
part is measured rather than assumed. Each one retrieves, then "answers" by citing its top 4 chunks, every
citation quoting the chunk's sentence that shares the most words with the question; the answer text is
those quotes joined. None of them ever refuses.

- lexical: our cleaned, structure-aware chunks, BM25 only (ReportStore.lexical_search).
- dense:   our chunks, e5 embeddings only (ReportStore.dense_search).
- naive:   the recipe a user would copy: the RAW report text (no cleaning) cut into fixed 1000-character
           windows overlapping by 200, embedded with the same e5 model, top 4 by cosine similarity.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from bot.types import Answer, Citation, Retrieved
from eval.questions import Question

CITED = 4
RETRIEVED = 8
NAIVE_SIZE, NAIVE_OVERLAP = 1000, 200
_WORD = re.compile(r"[^\W_]{3,}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass
class Passage:
    chunk_id: str
    section: str
    page: int | None
    text: str
    sentences: list[tuple[int, int]]
    score: float


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def best_sentence(question: str, passage: Passage) -> str:
    """The passage sentence sharing the most words (3+ letters) with the question; the first on a tie."""
    spans = passage.sentences or _sentence_spans(passage.text)
    wanted = _words(question)
    best = max(spans, key=lambda s: len(wanted & _words(passage.text[s[0]:s[1]])), default=(0, len(passage.text)))
    return passage.text[best[0]:best[1]].strip() or passage.text.strip()


def _language(question: Question) -> str:
    if question.lang:
        return question.lang
    from bot.question.language import detect_language

    return detect_language(question.question)


def cite_top_passages(question: Question, passages: list[Passage]) -> Answer:
    """The baseline answer: the top CITED passages cited with their best sentence (see module doc)."""
    citations = [Citation(n=n, quote=best_sentence(question.question, p), section=p.section, page=p.page,
                          chunk_id=p.chunk_id, text=p.text) for n, p in enumerate(passages[:CITED], start=1)]
    return Answer(id=question.id, question=question.question, language=_language(question), mode="extractive",
                  refused=False, answer=" ".join(f"[{c.n}] {c.quote}" for c in citations), citations=citations,
                  retrieved=[Retrieved(chunk_id=p.chunk_id, score=round(float(p.score), 5), section=p.section,
                                       page=p.page, text=p.text) for p in passages[:RETRIEVED]])


class StoreBaseline:
    """lexical or dense search over our own chunks."""

    def __init__(self, name: str, store: Any):
        self.name = name
        self.store = store
        self._search: Callable = store.lexical_search if name == "lexical" else store.dense_search

    def ask(self, question: Question) -> Answer:
        hits = self._search(question.question, RETRIEVED)
        passages = [Passage(c.id, c.section, c.page, c.text, list(c.sentences), s) for c, s in hits]
        return cite_top_passages(question, passages)


def naive_chunks(text: str, size: int = NAIVE_SIZE, overlap: int = NAIVE_OVERLAP) -> list[str]:
    """Fixed windows of `size` characters, each starting `size - overlap` after the previous one."""
    step = size - overlap
    return [text[i:i + size] for i in range(0, max(len(text) - overlap, 1), step)]


class NaiveBaseline:
    """Raw text, 1000/200 character chunks, e5 embeddings in a plain numpy matrix, top 4.

    Embedding ~130 long chunks takes a while on 2 cores, so the matrix is cached under `cache_dir`, keyed by
    the text, the chunk sizes and the embedding backend."""

    name = "naive"

    def __init__(self, report_path: Path, embeddings: Any, cache_dir: Path | None = None, backend: str = ""):
        self.embeddings = embeddings
        text = Path(report_path).read_text(encoding="utf-8")
        self.chunks = naive_chunks(text)
        self.matrix = self._vectors(text, cache_dir, backend)

    def _vectors(self, text: str, cache_dir: Path | None, backend: str) -> np.ndarray:
        import hashlib

        from ingest.embeddings import embed_passages

        key = hashlib.sha256(f"{backend}|{NAIVE_SIZE}|{NAIVE_OVERLAP}|{text}".encode()).hexdigest()[:16]
        cached = cache_dir / f"naive-{key}.npy" if cache_dir else None
        if cached is not None and cached.is_file():
            matrix = np.load(cached)
            if matrix.shape[0] == len(self.chunks):
                return matrix
        matrix = embed_passages(self.embeddings, self.chunks)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            np.save(cached, matrix)
        return matrix

    def ask(self, question: Question) -> Answer:
        from ingest.embeddings import embed_queries

        query = embed_queries(self.embeddings, [question.question])[0]
        scores = self.matrix @ query
        order = np.argsort(-scores)[:RETRIEVED]
        passages = [Passage(f"naive-{i}", "", None, self.chunks[i], [], float(scores[i])) for i in order]
        return cite_top_passages(question, passages)


def build_baselines(settings: Any, report_path: Path, store: Any | None = None) -> list[Any]:
    """The three baselines; dense and naive only when the store has embeddings (lexical always)."""
    if store is None:
        from ingest.store import ReportStore

        store = ReportStore.open(settings)
    baselines: list[Any] = [StoreBaseline("lexical", store)]
    embeddings = getattr(store, "embeddings", None)
    if embeddings is not None:
        from ingest.embeddings import backend_id
        from ingest.settings import PROJECT_ROOT

        baselines.append(StoreBaseline("dense", store))
        baselines.append(NaiveBaseline(report_path, embeddings, cache_dir=PROJECT_ROOT / ".rapportbot" / "eval-cache",
                                       backend=backend_id(settings)))
    return baselines
