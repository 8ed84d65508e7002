"""STUB (owner: cleaning helper replaces this): load TXT/MD/PDF into a RawDocument."""
from __future__ import annotations

import hashlib
from pathlib import Path

from ingest.errors import InputError
from ingest.types import RawDocument, RawPage


def load_document(path: str | Path) -> RawDocument:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"no such file: {p}")
    text = p.read_text(encoding="utf-8")
    return RawDocument(path=str(p), doc_id=hashlib.sha1(p.name.encode()).hexdigest()[:12],
                       pages=[RawPage(text=text, number=None)], kind=p.suffix.lstrip(".") or "txt")
