"""Passage vectors of chunks and their sentences, persisted as .npy beside the store.

Rows are keyed by a hash of the text, so an unchanged chunk or sentence is never embedded again: the next
ingest reuses the current build's rows when the embedding backend is the same.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.types import Chunk

VECTORS = "vectors.npy"
VECTOR_INDEX = "vectors.json"


def text_key(text: str) -> str:
    return hashlib.sha1(f"passage\0{text}".encode()).hexdigest()[:24]


def sentence_texts(chunk: Chunk) -> list[str]:
    return [chunk.text[start:end] for start, end in chunk.sentences]


@dataclass
class VectorTable:
    """Vectors of one build: `matrix` rows, `rows` key -> row, plus which rows belong to which chunk."""

    backend: str
    matrix: np.ndarray
    rows: dict[str, int]
    chunk_rows: dict[str, int] = field(default_factory=dict)
    sentence_rows: dict[str, list[int]] = field(default_factory=dict)

    def get(self, key: str) -> np.ndarray | None:
        row = self.rows.get(key)
        return None if row is None else self.matrix[row]

    def save(self, directory: Path) -> None:
        with open(directory / VECTORS, "wb") as handle:
            np.save(handle, self.matrix.astype(np.float32), allow_pickle=False)
        index = {"backend": self.backend, "keys": sorted(self.rows, key=self.rows.__getitem__),
                 "chunks": self.chunk_rows, "sentences": self.sentence_rows}
        (directory / VECTOR_INDEX).write_text(json.dumps(index), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "VectorTable | None":
        """None when the build has no vectors (lexical-only build)."""
        if not (directory / VECTOR_INDEX).exists():
            return None
        index = json.loads((directory / VECTOR_INDEX).read_text(encoding="utf-8"))
        matrix = np.load(directory / VECTORS, allow_pickle=False)
        if matrix.ndim != 2 or matrix.shape[0] != len(index["keys"]):
            raise ValueError(f"{VECTORS} holds {matrix.shape} for {len(index['keys'])} keys")
        return cls(backend=index["backend"], matrix=matrix, rows={k: i for i, k in enumerate(index["keys"])},
                   chunk_rows=index["chunks"], sentence_rows=index["sentences"])


def assemble(backend: str, chunks: list[Chunk], vectors: dict[str, np.ndarray]) -> VectorTable:
    """One table for `chunks` from `vectors` (key -> vector), each distinct text stored once."""
    rows: dict[str, int] = {}
    ordered: list[np.ndarray] = []

    def row_of(text: str) -> int:
        key = text_key(text)
        if key not in rows:
            rows[key] = len(ordered)
            ordered.append(vectors[key])
        return rows[key]

    chunk_rows = {c.id: row_of(c.text) for c in chunks}
    sentence_rows = {c.id: [row_of(t) for t in sentence_texts(c)] for c in chunks}
    dim = len(ordered[0]) if ordered else 0
    matrix = np.vstack(ordered).astype(np.float32) if ordered else np.zeros((0, dim), np.float32)
    return VectorTable(backend, matrix, rows, chunk_rows, sentence_rows)
