"""Load a TXT, Markdown or PDF file into a RawDocument, or fail with a one-line InputError.

PDF pages carry their printed numbers (the PDF's page labels when it has them, else index + 1). Text files
get page numbers only where the text proves them (see ingest.textpages); Markdown never.
"""
from __future__ import annotations

import io
import json
import logging
import re
import unicodedata
from pathlib import Path

from ingest.errors import InputError
from ingest.textpages import derive_page_numbers
from ingest.types import RawDocument, RawPage

KINDS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".pdf": "pdf"}
TEXT_ENCODINGS = ("utf-8", "utf-8-sig")


def load_document(path: str | Path) -> RawDocument:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a document")
    kind = KINDS.get(p.suffix.lower())
    if kind is None:
        raise InputError(f"{p}: unsupported file type {p.suffix or '(no extension)'!r}; use .pdf, .txt or .md")
    try:
        data = p.read_bytes()
    except OSError as err:
        raise InputError(f"{p}: cannot read the file ({err.strerror or err})") from None
    if not data.strip():
        raise InputError(f"{p}: the file is empty")
    pages = read_pdf_pages(p, data) if kind == "pdf" else read_text_pages(p, data, kind)
    return RawDocument(path=str(p), doc_id=document_id(p), pages=pages, kind=kind)


def document_id(path: Path) -> str:
    """Stable id of a document: the `doc_id` in a metadata.json beside it that names this file, else a slug
    of the file name. It does not depend on the content, so a changed file replaces its old chunks."""
    meta = path.parent / "metadata.json"
    if meta.is_file():
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
            if isinstance(info, dict) and info.get("file") == path.name and info.get("doc_id"):
                return str(info["doc_id"])
        except (OSError, ValueError):
            pass  # an unreadable sidecar only costs the nicer id
    return slug(path.stem) or "document"


def slug(name: str) -> str:
    folded = name.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def decode_text(p: Path, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")  # utf-8, with or without a byte-order mark
    except UnicodeDecodeError as err:
        raise InputError(f"{p}: text is not UTF-8 (tried {', '.join(TEXT_ENCODINGS)}; byte 0x{data[err.start]:02x} "
                         f"at offset {err.start}); save it as UTF-8 and try again") from None
    if "\x00" in text:
        raise InputError(f"{p}: looks like a binary file, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text_pages(p: Path, data: bytes, kind: str) -> list[RawPage]:
    text = decode_text(p, data)
    if not text.strip():
        raise InputError(f"{p}: the file is empty")
    lines = text.split("\n")
    numbered = derive_page_numbers(lines) if kind == "txt" else None
    if not numbered:
        return [RawPage(text=text, number=None)]
    bounds = [start for start, _ in numbered] + [len(lines)]
    return [RawPage(text="\n".join(lines[a:b]), number=n) for (a, n), b in zip(numbered, bounds[1:])]


def read_pdf_pages(p: Path, data: bytes) -> list[RawPage]:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged PDF is reported once, below
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"{p}: the PDF is encrypted; save an unprotected copy and try again")
        numbers = pdf_page_numbers(reader)
        texts = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except Exception as err:  # pypdf raises many error types on damaged files; all mean the same to a user
        raise InputError(f"{p}: not a readable PDF ({type(err).__name__}: {str(err)[:80]})") from None
    if not texts:
        raise InputError(f"{p}: the PDF has no pages")
    if not any(t.strip() for t in texts):
        raise InputError(f"{p}: the PDF has no text layer (a scan?); run OCR on it first, e.g. ocrmypdf")
    return [RawPage(text=t, number=n) for t, n in zip(texts, numbers)]


def pdf_page_numbers(reader) -> list[int | None]:
    """Printed page numbers: numeric page labels when the PDF defines labels (roman or lettered labels give
    None), else index + 1."""
    count = len(reader.pages)
    if "/PageLabels" not in reader.trailer["/Root"]:
        return list(range(1, count + 1))
    labels = reader.page_labels
    return [int(label) if label.isdigit() else None for label in labels[:count]]
