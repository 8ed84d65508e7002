"""STUB (owner: structure helper replaces this): sections + quotes -> chunks."""
from __future__ import annotations

import hashlib

from ingest.types import Chunk, CleanDocument, Quote, Section


def chunk_report(doc: CleanDocument, sections: list[Section], quotes: list[Quote],
                 min_chars: int = 400, max_chars: int = 900) -> list[Chunk]:
    chunks: list[Chunk] = []
    paras = [p for p in doc.text.split("\n\n") if p.strip()]
    pos = 0
    for i, para in enumerate(paras):
        start = doc.text.index(para, pos)
        pos = start + len(para)
        cid = hashlib.sha1(f"{doc.doc_id}\n{para}".encode()).hexdigest()[:16]
        chunks.append(Chunk(id=cid, doc_id=doc.doc_id, text=para, start=start, end=pos, section="Rapporten",
                            section_title="Rapporten", page=doc.page_at(start), sentences=[(0, len(para))], ordinal=i))
    return chunks
