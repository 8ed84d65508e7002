"""Hybrid retrieval: dense (e5 vectors of the store) and lexical (the store's BM25) fused by weighted
reciprocal rank fusion, with speaker/section filters read from the question.

The dense side scores every chunk against the query vector with one matrix product over the vectors the
store holds (a few hundred chunks: well under a millisecond, and no second embedding of the query, which
the answer step reuses). English questions barely share words with the Danish text, so their dense ranks
weigh more (settings.retrieval.dense_weight_en).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from bot.question.filters import Filters, matching_section_titles, parse_filters, speaker_mentioned
from bot.question.parse import Question, parse_question
from ingest.types import Chunk

_CANDIDATES = 40  # ranks considered on each side before fusion
# The chunks ranked by their best single sentence join the fusion with this share of the dense weight: a
# chunk whose one sentence answers the question beats a long chunk that is vaguely about it.
SENTENCE_WEIGHT = 0.5


@dataclass
class ScoredChunk:
    chunk: Chunk
    score: float  # fused score (higher is better)
    dense: float | None = None  # cosine of query and chunk
    lexical: float | None = None  # BM25 score
    sentence: float | None = None  # best sentence cosine, when reranked


@dataclass
class Query:
    """A parsed question ready for retrieval, with (when embeddings exist) the vector of its text."""

    question: Question
    vector: np.ndarray | None = None
    subject_vector: np.ndarray | None = None  # English: the subject alone, embedded beside the question

    @property
    def text(self) -> str:
        return self.question.text

    @property
    def language(self) -> str:
        return self.question.language

    @property
    def filters(self) -> Filters:
        return self.question.filters


class ChunkMatrix:
    """Chunk vectors of one store version stacked into a matrix (built once per store, thread-safe)."""

    _lock = threading.Lock()
    _cache: dict[int, "ChunkMatrix"] = {}

    def __init__(self, store: Any):
        self.store = store
        self.chunks: list[Chunk] = list(store.chunks)
        vectors = [store.chunk_vector(c.id) for c in self.chunks]
        self.available = bool(vectors) and all(v is not None for v in vectors)
        self.matrix = np.vstack(vectors).astype(np.float32) if self.available else None
        self.section_titles = sorted({part for c in self.chunks for part in c.section.split(" > ")})
        sentences = [store.sentence_vectors(c.id) for c in self.chunks]
        owners = [i for i, v in enumerate(sentences) if v is not None for _ in range(len(v))]
        sentences = [np.asarray(v, dtype=np.float32) for v in sentences if v is not None and len(v)]
        self.sentence_matrix = np.vstack(sentences) if sentences else None
        self.sentence_owner = np.asarray(owners, dtype=np.int64)
        self._sentence_places: list[tuple[Chunk, int, int] | None] | None = None
        centroid = self.matrix.mean(axis=0) if self.available and len(self.chunks) else None
        self.centroid = centroid / np.linalg.norm(centroid) if centroid is not None and np.linalg.norm(centroid) else None

    def sentence_at(self, row: int) -> tuple[Chunk, int, int] | None:
        """The chunk and the [start, end) offsets (into chunk.text) of sentence-matrix row `row`."""
        if self._sentence_places is None:
            places: list[tuple[Chunk, int, int] | None] = []
            seen: dict[int, int] = {}  # owner -> sentences of it so far (rows of one chunk are contiguous)
            for owner in self.sentence_owner.tolist():
                j = seen[owner] = seen.get(owner, -1) + 1
                chunk = self.chunks[owner]
                places.append((chunk, *chunk.sentences[j]) if j < len(chunk.sentences) else None)
            self._sentence_places = places
        return self._sentence_places[row] if 0 <= row < len(self._sentence_places) else None

    def best_sentence(self, vector: np.ndarray) -> np.ndarray | None:
        """Per chunk, the cosine of its best sentence with `vector` (-1 for a chunk without sentences)."""
        if self.sentence_matrix is None:
            return None
        best = np.full(len(self.chunks), -1.0, dtype=np.float32)
        np.maximum.at(best, self.sentence_owner, self.sentence_matrix @ vector)
        return best

    def topicality(self, vector: np.ndarray | None) -> float | None:
        """Cosine of the question with the report as a whole (the mean of its chunk vectors)."""
        if vector is None or self.centroid is None:
            return None
        return float(self.centroid @ vector)

    def peakedness(self, vector: np.ndarray | None) -> float | None:
        """How far the best sentence stands out from all the report's sentences (z-score of the max cosine).
        A question the report speaks to has a clear peak; one it does not meets a flat field."""
        if vector is None or self.sentence_matrix is None:
            return None
        sims = self.sentence_matrix @ vector
        spread = float(sims.std())
        return float((sims.max() - sims.mean()) / spread) if spread else None

    @classmethod
    def of(cls, store: Any) -> "ChunkMatrix":
        with cls._lock:
            found = cls._cache.get(id(store))
            if found is None or found.store is not store:
                found = cls._cache[id(store)] = cls(store)
                if len(cls._cache) > 4:  # earlier store versions; holding them keeps ids unique
                    cls._cache.pop(next(iter(cls._cache)))
            return found


def allowed_chunk_ids(chunks: list[Chunk], filters: Filters, titles: list[str]) -> set[str] | None:
    """Ids of chunks passing the filters; None when no filter applies or a filter would leave nothing."""
    if filters.empty:
        return None
    allowed = chunks
    if filters.speaker:
        # A chunk is (mainly) one speaker's quote, holds an attributed quote of theirs among other text, or
        # reports what those leaders said.
        marks = (f"({filters.speaker})", f"- {filters.speaker}")
        narrowed = [c for c in allowed if c.speaker == filters.speaker or any(m in c.text for m in marks)
                    or speaker_mentioned(filters.speaker, c.text)]
        allowed = narrowed or allowed
    if filters.section_query or filters.section_number:
        sections = matching_section_titles(filters.section_query, filters.section_number, titles)
        narrowed = [c for c in allowed if sections & set(c.section.split(" > "))]
        allowed = narrowed or allowed
    return {c.id for c in allowed} if len(allowed) < len(chunks) else None


def embed(store: Any, text: str) -> np.ndarray | None:
    vector = store.embed_query(text)
    return None if vector is None else np.asarray(vector, dtype=np.float32).reshape(-1)


def embed_with(store: Any, text: str, second: str | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The vectors of `text` and (when given) `second`, embedded in one model call rather than two."""
    if second is None or not hasattr(store, "embed_queries"):
        return embed(store, text), (embed(store, second) if second is not None else None)
    vectors = store.embed_queries([text, second])
    if vectors is None:
        return None, None
    return tuple(np.asarray(v, dtype=np.float32).reshape(-1) for v in vectors)  # type: ignore[return-value]


def retrieve(store: Any, settings: Any, query: Query, k: int | None = None) -> list[ScoredChunk]:
    """Top `k` chunks for `query` by weighted reciprocal rank fusion of dense and lexical ranks."""
    k = k or settings.retrieval.top_k
    rrf_k = settings.retrieval.rrf_k
    dense_weight = settings.retrieval.dense_weight_en if query.language == "en" else settings.retrieval.dense_weight_da
    index = ChunkMatrix.of(store)
    allowed = allowed_chunk_ids(index.chunks, query.filters, index.section_titles)
    by_id: dict[str, ScoredChunk] = {}

    if query.vector is not None and index.available:
        sims = index.matrix @ query.vector
        rankings = [(sims, dense_weight, True)]
        best_sentence = index.best_sentence(query.vector) if SENTENCE_WEIGHT else None
        if best_sentence is not None:
            rankings.append((best_sentence, dense_weight * SENTENCE_WEIGHT, False))
        for scores, weight, is_chunk in rankings:
            rank = 0
            for i in np.argsort(-scores):
                chunk = index.chunks[int(i)]
                if allowed is not None and chunk.id not in allowed:
                    continue
                hit = by_id.setdefault(chunk.id, ScoredChunk(chunk=chunk, score=0.0))
                if is_chunk:
                    hit.dense = float(sims[i])
                else:
                    hit.sentence = float(scores[i])
                hit.score += weight / (rrf_k + rank + 1)
                rank += 1
                if rank >= _CANDIDATES:
                    break

    lexical = store.lexical_search(query.text, _CANDIDATES * (3 if allowed is not None else 1))
    rank = 0
    for chunk, score in lexical:
        if allowed is not None and chunk.id not in allowed:
            continue
        if score <= 0:
            break
        hit = by_id.setdefault(chunk.id, ScoredChunk(chunk=chunk, score=0.0))
        hit.lexical = float(score)
        hit.score += 1.0 / (rrf_k + rank + 1)
        rank += 1
        if rank >= _CANDIDATES:
            break

    fused = sorted(by_id.values(), key=lambda h: h.score, reverse=True)
    if settings.retrieval.rerank and query.vector is not None:
        fused = rerank(store, query, fused[: max(k * 2, 16)])
    return fused[:k]


def rerank(store: Any, query: Query, hits: list[ScoredChunk]) -> list[ScoredChunk]:
    """Reorder by the best sentence of each chunk (its precomputed sentence vectors) against the query:
    a chunk whose one sentence answers the question beats a chunk that is vaguely about it."""
    top = max((h.score for h in hits), default=1.0) or 1.0
    for hit in hits:
        vectors = store.sentence_vectors(hit.chunk.id)
        if vectors is not None and len(vectors):
            hit.sentence = float(np.max(np.asarray(vectors) @ query.vector))
    # Keep the fusion as a prior so lexical evidence is not thrown away.
    return sorted(hits, key=lambda h: (h.sentence or 0.0) + 0.05 * h.score / top, reverse=True)


class HybridRetriever(BaseRetriever):
    """LangChain face of `retrieve` (for chains and the LLM path); the service calls `retrieve` directly."""

    store: Any
    settings: Any

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        prepared = Query(parse_question(query), vector=embed(self.store, query))
        return [Document(page_content=h.chunk.text, id=h.chunk.id,
                         metadata={**h.chunk.metadata(), "chunk_id": h.chunk.id, "score": h.score})
                for h in retrieve(self.store, self.settings, prepared)]
