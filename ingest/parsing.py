"""One source file through the text stages: load -> clean -> structure -> chunks."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from ingest.chunking import chunk_report
from ingest.cleaning import clean_document
from ingest.documents import StoredDocument, document_title, sidecar_metadata
from ingest.readers import load_document
from ingest.settings import Settings
from ingest.structure import parse_structure
from ingest.types import Chunk

log = logging.getLogger(__name__)


@dataclass
class ParsedFile:
    document: StoredDocument
    chunks: list[Chunk]
    sha256: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_file(path: Path, settings: Settings) -> ParsedFile:
    """Raises InputError (from the reader) for a file that cannot be used."""
    raw = load_document(path)
    clean = clean_document(raw)
    sections, quotes = parse_structure(clean)
    chunks = chunk_report(clean, sections, quotes, min_chars=settings.ingest.chunk_min_chars,
                          max_chars=settings.ingest.chunk_max_chars)
    metadata = sidecar_metadata(path)
    document = StoredDocument(
        doc_id=raw.doc_id, title=document_title(path, metadata, sections, clean.text), path=str(path.resolve()),
        clean_text=clean.text, raw_text="\n".join(page.text for page in raw.pages), sections=list(sections),
        page_starts=list(clean.page_starts), metadata=metadata, quotes=list(quotes))
    return ParsedFile(document=document, chunks=_unique(chunks), sha256=file_sha256(path))


def _unique(chunks: list[Chunk]) -> list[Chunk]:
    """Chunk ids are content hashes: a repeated text would collide in Chroma, so keep its first place."""
    seen: set[str] = set()
    unique = []
    for chunk in chunks:
        if chunk.id in seen:
            log.warning("dropping a repeated chunk %s (%s...)", chunk.id, chunk.text[:40])
            continue
        seen.add(chunk.id)
        unique.append(chunk)
    return unique
