"""What the store keeps about each ingested document, and how it reads a document's metadata file."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.types import Quote, Section, page_at


@dataclass
class StoredDocument:
    """One ingested document: its cleaned text (chunk offsets point into it), structure and metadata."""

    doc_id: str
    title: str
    path: str
    clean_text: str
    raw_text: str
    sections: list[Section]
    page_starts: list[tuple[int, int | None]]
    metadata: dict
    quotes: list[Quote] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        return page_at(self.page_starts, offset)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "StoredDocument":
        return cls(doc_id=data["doc_id"], title=data["title"], path=data["path"], clean_text=data["clean_text"],
                   raw_text=data["raw_text"],
                   sections=[_section(s) for s in data["sections"]],
                   page_starts=[(int(a), b) for a, b in data["page_starts"]], metadata=data.get("metadata", {}),
                   quotes=[_quote(q) for q in data.get("quotes", [])])


def _section(data: dict) -> Section:
    heading = data.get("heading")  # JSON turned the tuples into lists
    return Section(**{**data, "path": tuple(data["path"]), "heading": tuple(heading) if heading else None})


def _quote(data: dict) -> Quote:
    if "gaps" in data:  # JSON turned the tuples into lists
        data = {**data, "gaps": tuple(tuple(gap) for gap in data["gaps"])}
    return Quote(**data)


def sidecar_metadata(path: Path) -> dict:
    """Metadata for `path` from a `metadata.json` beside it whose "file" names it (as data/ has), else {}."""
    candidates = [path.with_name(path.name + ".json"), path.with_name("metadata.json")]
    for candidate in candidates:
        try:
            data = json.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and (candidate.name != "metadata.json" or data.get("file") == path.name):
            return data
    return {}


def document_title(path: Path, metadata: dict, sections: list[Section], text: str) -> str:
    if metadata.get("title"):
        return str(metadata["title"])
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first_line[:120] or path.stem
