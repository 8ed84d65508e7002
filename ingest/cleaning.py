"""STUB (owner: cleaning helper replaces this): raw pages -> one cleaned text with page offsets."""
from __future__ import annotations

from ingest.types import CleanDocument, RawDocument


def clean_document(raw: RawDocument) -> CleanDocument:
    parts, starts, offset = [], [], 0
    for page in raw.pages:
        starts.append((offset, page.number))
        parts.append(page.text)
        offset += len(page.text) + 1
    return CleanDocument(doc_id=raw.doc_id, text="\n".join(parts), page_starts=starts)
