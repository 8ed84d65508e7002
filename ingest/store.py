"""`ReportStore`: the read side of the store that the bot searches and quotes from.

Opens the build named by the store's pointer file; a later ingest writes a new build and swaps the pointer,
so a long-running server keeps answering from the build it opened and can reopen when
`ReportStore.current_version(settings)` differs from its `version`.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.chroma_backend import make_client, open_collection, server_unreachable
from ingest.documents import StoredDocument
from ingest.embeddings import EmbeddingsUnavailable, backend_id, embed_queries, get_embeddings
from ingest.errors import StoreError
from ingest.filters import chroma_where, filter_metadata, matches_where
from ingest.lexical import LexicalIndex
from ingest.settings import Settings
from ingest.store_build import LEXICAL, read_chunks, read_documents
from ingest.store_layout import build_dir, read_manifest, read_pointer
from ingest.types import Chunk
from ingest.vectors import VectorTable

__all__ = ["ReportStore", "StoredDocument", "StoreError"]

log = logging.getLogger(__name__)
QUERY_CACHE = 256


class ReportStore:
    """Chunks, documents, dense (Chroma) and lexical (BM25) search over one store build."""

    def __init__(self, *, settings: Settings, path: Path, manifest: dict, chunks: list[Chunk],
                 documents: dict[str, StoredDocument], lexical: LexicalIndex, vectors: VectorTable | None,
                 embeddings: Embeddings | None, vectorstore: object | None, notice: str | None) -> None:
        self.settings = settings
        self.path = path  # this build's directory
        self.manifest = manifest
        self.version: str = manifest["build"]
        self.chunks = chunks
        self.documents = documents
        self.embeddings = embeddings
        self.notice = notice
        self._lexical = lexical
        self._vectors = vectors if embeddings is not None else None
        self._vectorstore = vectorstore
        self._by_id = {c.id: c for c in chunks}
        self._metadata = [filter_metadata(c) for c in chunks]
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    @staticmethod
    def current_version(settings: Settings) -> str | None:
        """The build id the store's pointer names now (None without a store): cheap, for reload checks."""
        try:
            pointer = read_pointer(settings.store.path)
        except StoreError:
            return None
        return pointer["build"] if pointer else None

    @classmethod
    def open(cls, settings: Settings) -> "ReportStore":
        root = settings.store.path
        pointer = read_pointer(root)
        if pointer is None:
            raise StoreError(f"no store at {root}: build it with `rapportbot ingest`")
        directory = build_dir(root, pointer["build"])
        manifest = read_manifest(directory)
        try:
            chunks = read_chunks(directory)
            documents = read_documents(directory)
            lexical = LexicalIndex.load(directory / LEXICAL)
            vectors = VectorTable.load(directory)
            if len(chunks) != manifest["chunks"] or lexical.size != len(chunks):
                raise ValueError(f"{len(chunks)} chunks, {lexical.size} indexed, manifest says {manifest['chunks']}")
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise StoreError(f"the store at {root} is corrupt ({type(err).__name__}: {err}); "
                             "rebuild it with `rapportbot ingest`") from err
        embeddings, notice = _query_embeddings(settings, manifest)
        vectorstore = None
        if embeddings is not None:
            vectorstore = _open_chroma(settings, manifest, directory, len(chunks), embeddings)
        return cls(settings=settings, path=directory, manifest=manifest, chunks=chunks, documents=documents,
                   lexical=lexical, vectors=vectors, embeddings=embeddings, vectorstore=vectorstore, notice=notice)

    def get_chunk(self, chunk_id: str) -> Chunk:
        return self._by_id[chunk_id]

    def embed_query(self, query: str) -> np.ndarray | None:
        """e5 query-role vector (normalised), cached for recent queries; None without dense retrieval."""
        if self.embeddings is None:
            return None
        with self._cache_lock:
            cached = self._query_cache.get(query)
            if cached is not None:
                self._query_cache.move_to_end(query)
                return cached
        vector = embed_queries(self.embeddings, [query])[0]
        vector.setflags(write=False)
        with self._cache_lock:
            self._query_cache[query] = vector
            while len(self._query_cache) > QUERY_CACHE:
                self._query_cache.popitem(last=False)
        return vector

    def embed_queries(self, queries: list[str]) -> list[np.ndarray] | None:
        """`embed_query` for several texts at once: those not cached are embedded in one model call."""
        if self.embeddings is None:
            return None
        with self._cache_lock:
            found = {q: self._query_cache.get(q) for q in queries}
        missing = list(dict.fromkeys(q for q, v in found.items() if v is None))
        if missing:
            for query, vector in zip(missing, embed_queries(self.embeddings, missing)):
                vector.setflags(write=False)
                found[query] = vector
            with self._cache_lock:
                for query in missing:
                    self._query_cache[query] = found[query]
                while len(self._query_cache) > QUERY_CACHE:
                    self._query_cache.popitem(last=False)
        return [found[q] for q in queries]

    def dense_search(self, query: str, k: int, where: dict | None = None) -> list[tuple[Chunk, float]]:
        """Chunks by cosine similarity (higher is better) through Chroma; [] without dense retrieval."""
        vector = self.embed_query(query)
        if vector is None or self._vectorstore is None or k <= 0 or not self.chunks:
            return []
        try:
            hits = self._vectorstore.similarity_search_by_vector_with_relevance_scores(
                vector.tolist(), k=min(k, len(self.chunks)), filter=chroma_where(where))
        except Exception as err:
            if self.settings.store.chroma_url and _is_connection_error(err):
                raise server_unreachable(self.settings.store.chroma_url, err) from err
            raise
        return [(self._by_id[doc.id], 1.0 - float(distance)) for doc, distance in hits if doc.id in self._by_id]

    def lexical_search(self, query: str, k: int, where: dict | None = None) -> list[tuple[Chunk, float]]:
        """Chunks by BM25 score (higher is better), only those sharing a term with `query`."""
        mask = None
        if where:
            mask = np.fromiter((matches_where(m, where) for m in self._metadata), dtype=bool, count=len(self.chunks))
        return [(self.chunks[i], score) for i, score in self._lexical.search(query, k, mask)]

    def sentence_vectors(self, chunk_id: str) -> np.ndarray | None:
        """(n_sentences, dim) passage-role vectors of the chunk's sentences, in `chunk.sentences` order."""
        if self._vectors is None or chunk_id not in self._vectors.sentence_rows:
            return None
        return self._vectors.matrix[self._vectors.sentence_rows[chunk_id]]

    def chunk_vector(self, chunk_id: str) -> np.ndarray | None:
        if self._vectors is None or chunk_id not in self._vectors.chunk_rows:
            return None
        return self._vectors.matrix[self._vectors.chunk_rows[chunk_id]]


def _query_embeddings(settings: Settings, manifest: dict) -> tuple[Embeddings | None, str | None]:
    """The embeddings to query with, or None and the notice saying why search is lexical only."""
    lexical_only = "using lexical search only"
    if not manifest.get("dense"):
        return None, manifest.get("notice") or f"dense retrieval unavailable: the store has no vectors; {lexical_only}"
    if settings.embeddings.backend == "none":
        return None, f"dense retrieval off (RAPPORTBOT_EMBEDDINGS=none); {lexical_only}"
    wanted = backend_id(settings)
    if wanted != manifest.get("embeddings"):
        return None, (f"dense retrieval unavailable: the store was built with {manifest.get('embeddings')} "
                      f"embeddings but the settings ask for {wanted}; run `rapportbot ingest` to rebuild; {lexical_only}")
    try:
        embeddings = get_embeddings(settings)
    except EmbeddingsUnavailable as err:
        return None, f"dense retrieval unavailable: {err}; {lexical_only}"
    if embeddings is None:
        from ingest.embeddings import e5_unavailable_reason

        return None, f"dense retrieval unavailable: the e5 model could not load ({e5_unavailable_reason()}); {lexical_only}"
    return embeddings, None


# Chroma's shared-system cache is not safe when two threads create clients for the same new path at once
# (a failed duplicate init releases the system the other thread is using); opening is rare, so serialise it.
_CHROMA_OPEN_LOCK = threading.Lock()


def _open_chroma(settings: Settings, manifest: dict, directory: Path, expected: int, embeddings: Embeddings):
    with _CHROMA_OPEN_LOCK:
        return _open_chroma_unlocked(settings, manifest, directory, expected, embeddings)


def _open_chroma_unlocked(settings: Settings, manifest: dict, directory: Path, expected: int,
                          embeddings: Embeddings):
    built_on_server = manifest.get("chroma") == "server"
    if built_on_server != bool(settings.store.chroma_url):
        where = "on a Chroma server" if built_on_server else "in the store directory"
        raise StoreError(f"the store's vectors live {where}, but RAPPORTBOT_CHROMA_URL is "
                         f"{'unset' if built_on_server else 'set'}; fix the setting or run `rapportbot ingest`")
    client = make_client(settings, directory)
    try:
        count = client.get_collection(manifest["collection"]).count()
        vectorstore = open_collection(client, manifest["collection"], embeddings)
    except Exception as err:
        if settings.store.chroma_url and _is_connection_error(err):
            raise server_unreachable(settings.store.chroma_url, err) from err
        raise StoreError(f"the store's Chroma collection {manifest['collection']} is missing or corrupt "
                         f"({type(err).__name__}: {err}); rebuild it with `rapportbot ingest`") from err
    if count != expected:
        raise StoreError(f"the store's Chroma collection holds {count} chunks, expected {expected}; "
                         "rebuild it with `rapportbot ingest`")
    return vectorstore


def _is_connection_error(err: Exception) -> bool:
    import httpx

    text = f"{type(err).__name__} {err}".lower()
    return isinstance(err, (httpx.TransportError, ConnectionError)) or "connect" in text
