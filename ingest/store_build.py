"""Writing one store build (and reading its plain files back): chunks, documents, vectors, lexical, Chroma."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from ingest.chroma_backend import collection_name, drop_collection, make_client, write_collection
from ingest.documents import StoredDocument
from ingest.filters import filter_metadata
from ingest.lexical import LexicalIndex
from ingest.settings import Settings
from ingest.store_layout import MANIFEST, build_dir, write_json
from ingest.types import Chunk
from ingest.vectors import assemble, text_key

CHUNKS = "chunks.jsonl"
DOCUMENTS = "documents.json"
LEXICAL = "lexical"


def write_build(root: Path, build_id: str, settings: Settings, manifest: dict,
                documents: dict[str, StoredDocument], chunks: list[Chunk], backend: str,
                vectors: dict[str, np.ndarray], same_collection: tuple[Path, str] | None = None) -> Path:
    """Write everything, the manifest last; on any failure remove the partial build and re-raise.

    `same_collection`: (build directory, collection name) of an embedded Chroma store holding exactly these
    chunks and vectors, to copy instead of writing a new one.
    """
    directory = build_dir(root, build_id)
    directory.mkdir(parents=True)
    name = collection_name(settings, build_id)
    client = None
    try:
        with open(directory / CHUNKS, "w", encoding="utf-8") as handle:
            for chunk in chunks:
                handle.write(chunk.model_dump_json() + "\n")
        write_json(directory / DOCUMENTS, [d.to_json() for d in documents.values()])
        LexicalIndex.build([c.text for c in chunks]).save(directory / LEXICAL)
        if vectors:
            table = assemble(backend, chunks, vectors)
            table.save(directory)
            if same_collection is not None:
                shutil.copytree(same_collection[0] / "chroma", directory / "chroma")
                name = same_collection[1]
            else:
                client = make_client(settings, directory)
                by_text = {c.text: vectors[text_key(c.text)] for c in chunks}
                write_collection(client, name, [c.id for c in chunks], [c.text for c in chunks],
                                 [filter_metadata(c) for c in chunks], by_text)
            manifest |= {"dense": True, "collection": name, "dim": int(table.matrix.shape[1]),
                         "chroma": "server" if settings.store.chroma_url else "embedded"}
        else:
            manifest |= {"dense": False, "collection": None, "dim": 0, "chroma": None}
        write_json(directory / MANIFEST, manifest)
    except BaseException:  # also KeyboardInterrupt: leave no half build behind
        if client is not None and settings.store.chroma_url:
            drop_collection(client, name)
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return directory


def read_chunks(directory: Path) -> list[Chunk]:
    with open(directory / CHUNKS, encoding="utf-8") as handle:
        return [Chunk.model_validate_json(line) for line in handle if line.strip()]


def read_documents(directory: Path) -> dict[str, StoredDocument]:
    data = json.loads((directory / DOCUMENTS).read_text(encoding="utf-8"))
    return {d["doc_id"]: StoredDocument.from_json(d) for d in data}


def drop_server_collections(settings: Settings, build_ids: list[str]) -> None:
    """Remove the server collections of builds deleted from disk (best effort)."""
    try:
        client = make_client(settings, Path("."))
    except Exception:
        return
    for build_id in build_ids:
        drop_collection(client, collection_name(settings, build_id))
