"""Ingest: files -> chunks -> vectors -> a new store build, swapped in only when it is complete.

Idempotent through content hashes: vectors of unchanged chunks and sentences come from the current build,
so re-ingesting the same report embeds nothing. A file's doc_id is stable, so a changed file replaces its
old chunks while other documents already in the store stay (unless `keep_others=False`).
"""
from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ingest.documents import StoredDocument
from ingest.embeddings import EmbeddingsUnavailable, backend_id, embed_passages, get_embeddings
from ingest.errors import InputError, RapportbotError, StoreError
from ingest.freshness import pipeline_fingerprint, store_is_stale  # noqa: F401 - store_is_stale is public here
from ingest.parsing import ParsedFile, parse_file
from ingest.settings import Settings
from ingest.store_layout import (FORMAT, build_dir, ingest_lock, new_build_id, read_manifest, read_pointer,
                                 remove_stale_builds, write_pointer)
from ingest.types import Chunk
from ingest.vectors import VectorTable, sentence_texts, text_key

log = logging.getLogger(__name__)

@dataclass
class IngestSummary:
    chunks: int
    sections: int
    quotes: int
    documents: int
    seconds: float
    embedded: int  # vectors computed in this run (chunks and sentences)
    reused: int  # vectors taken over from the previous build
    version: str = ""
    store: str = ""
    notice: str | None = None
    skipped: bool = False  # `--if-stale` found the store fresh and did nothing

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _PreviousBuild:
    build_id: str
    manifest: dict
    documents: dict[str, StoredDocument]
    chunks: list[Chunk]
    vectors: VectorTable | None


def ingest_files(paths: list[Path], settings: Settings, progress: bool = True,
                 keep_others: bool = True) -> IngestSummary:
    """Build a new store from `paths` (plus, with `keep_others`, the documents already stored)."""
    from ingest.store_build import write_build

    started = time.perf_counter()
    if not paths:
        raise InputError("no files to ingest")
    parsed = [parse_file(Path(p), settings) for p in paths]  # bad input fails before the store is touched
    root = settings.store.path
    with ingest_lock(root):
        previous = _load_previous(root)
        documents, chunks, sources = _merge(previous, parsed, keep_others)
        embeddings, notice = _ingest_embeddings(settings)
        backend = backend_id(settings) if embeddings is not None else "none"
        cache = previous.vectors if previous and previous.vectors and previous.vectors.backend == backend else None
        vectors, embedded, reused = _vectors(chunks, embeddings, cache, progress, settings.embeddings.batch_size)
        build_id = new_build_id()
        counts = {"chunks": len(chunks), "sections": sum(len(d.sections) for d in documents.values()),
                  "quotes": sum(1 for d in documents.values() for q in d.quotes if not q.duplicate), "documents": len(documents)}
        manifest = {"format": FORMAT, "build": build_id, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "pipeline": pipeline_fingerprint(), "embeddings": backend, "notice": notice,
                    "ingest_settings": settings.ingest.model_dump(mode="json"), "sources": sources, **counts}
        write_build(root, build_id, settings, manifest, documents, chunks, backend, vectors,
                    same_collection=_unchanged_collection(previous, chunks, backend, settings))
        previous_id = previous.build_id if previous else None
        write_pointer(root, build_id, previous_id)
        _cleanup(root, settings, keep={build_id} | ({previous_id} if previous_id else set()))
    return IngestSummary(**counts, seconds=round(time.perf_counter() - started, 2), embedded=embedded,
                         reused=reused, version=build_id, store=str(root), notice=notice)


def _load_previous(root: Path) -> _PreviousBuild | None:
    """The current build, to reuse its vectors and keep its other documents; None if missing or corrupt
    (ingest is how a corrupt store gets repaired, so it must not fail on one)."""
    try:
        pointer = read_pointer(root)
        if pointer is None:
            return None
        directory = build_dir(root, pointer["build"])
        manifest = read_manifest(directory)
        from ingest.store_build import read_chunks, read_documents

        return _PreviousBuild(pointer["build"], manifest, read_documents(directory), read_chunks(directory),
                              VectorTable.load(directory))
    except (StoreError, OSError, ValueError, KeyError) as err:
        log.warning("ignoring the current store (%s); building a new one", err)
        return None


def _merge(previous: _PreviousBuild | None, parsed: list[ParsedFile],
           keep_others: bool) -> tuple[dict[str, StoredDocument], list[Chunk], dict[str, dict]]:
    documents: dict[str, StoredDocument] = {}
    chunks: list[Chunk] = []
    sources: dict[str, dict] = {}
    new_ids = {p.document.doc_id for p in parsed}
    new_paths = {p.document.path for p in parsed}
    if previous and keep_others:
        for doc_id, document in previous.documents.items():
            # Same id or same file: the new version replaces it (ids stay stable per file, but a reader
            # change may rename them).
            if doc_id not in new_ids and document.path not in new_paths:
                documents[doc_id] = document
                chunks.extend(c for c in previous.chunks if c.doc_id == doc_id)
                sources[doc_id] = previous.manifest.get("sources", {}).get(doc_id, {})
    for item in parsed:
        doc_id = item.document.doc_id
        documents[doc_id] = item.document
        chunks = [c for c in chunks if c.doc_id != doc_id] + item.chunks
        sources[doc_id] = {"path": item.document.path, "sha256": item.sha256, "chunks": len(item.chunks)}
    return documents, chunks, sources


def _ingest_embeddings(settings: Settings):
    embeddings = get_embeddings(settings)  # raises EmbeddingsUnavailable for a misconfigured explicit backend
    if embeddings is not None or settings.embeddings.backend == "none":
        return embeddings, None
    from ingest.embeddings import e5_unavailable_reason

    return None, (f"dense retrieval unavailable: the e5 model could not load ({e5_unavailable_reason()}); "
                  "using lexical search only")


def _vectors(chunks: list[Chunk], embeddings, cache: VectorTable | None, progress: bool,
             batch_size: int) -> tuple[dict[str, np.ndarray], int, int]:
    """key -> vector for every chunk and sentence text; (vectors, newly embedded, reused)."""
    if embeddings is None:
        return {}, 0, 0
    needed: dict[str, str] = {}
    for chunk in chunks:
        for text in [chunk.text, *sentence_texts(chunk)]:
            needed.setdefault(text_key(text), text)
    vectors: dict[str, np.ndarray] = {}
    if cache is not None:
        for key in needed:
            vector = cache.get(key)
            if vector is not None:
                vectors[key] = vector
    reused = len(vectors)
    # Similar lengths side by side keep the engine's threads evenly busy within a batch.
    missing = sorted((key for key in needed if key not in vectors), key=lambda k: len(needed[k]))
    if missing:
        from tqdm import tqdm

        step = batch_size * 2
        with tqdm(total=len(missing), desc="embedding", unit="text", file=sys.stderr, disable=not progress,
                  leave=False) as bar:
            for start in range(0, len(missing), step):
                keys = missing[start:start + step]
                try:
                    batch = embed_passages(embeddings, [needed[k] for k in keys])
                except RapportbotError:
                    raise
                except Exception as err:  # HTTP errors from a remote backend, engine failures
                    raise EmbeddingsUnavailable(f"embedding failed: {type(err).__name__}: {err}") from err
                vectors.update(zip(keys, batch))
                bar.update(len(keys))
    return vectors, len(missing), reused


def _unchanged_collection(previous: _PreviousBuild | None, chunks: list[Chunk], backend: str,
                          settings: Settings) -> tuple[Path, str] | None:
    """(directory, collection) of the current build's embedded Chroma store when the new one would hold
    exactly the same: it is copied rather than rewritten (an unchanged re-ingest needs no Chroma import)."""
    from ingest.filters import filter_metadata

    if previous is None or settings.store.chroma_url or previous.manifest.get("chroma") != "embedded":
        return None
    if previous.manifest.get("embeddings") != backend or len(previous.chunks) != len(chunks):
        return None
    if any(a.id != b.id or filter_metadata(a) != filter_metadata(b) for a, b in zip(previous.chunks, chunks)):
        return None
    return build_dir(settings.store.path, previous.build_id), previous.manifest["collection"]


def _cleanup(root: Path, settings: Settings, keep: set[str]) -> None:
    removed = remove_stale_builds(root, keep)
    if removed and settings.store.chroma_url:
        from ingest.store_build import drop_server_collections

        drop_server_collections(settings, removed)


def summary_line(summary: IngestSummary) -> str:
    line = (f"ingested {summary.documents} document(s): {summary.chunks} chunks, {summary.sections} sections, "
            f"{summary.quotes} quotes in {summary.seconds:.1f} s ({summary.embedded} vectors embedded, "
            f"{summary.reused} reused) -> {summary.store}")
    return line if not summary.notice else f"{line}\nnotice: {summary.notice}"


def summary_json(summary: IngestSummary) -> str:
    return json.dumps(summary.to_dict(), ensure_ascii=False)
