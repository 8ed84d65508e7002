"""Data shapes that flow from ingest to the bot: pages, the cleaned document, sections, chunks."""
from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class RawPage:
    """One page as read from the source; `number` is the printed page number when known."""

    text: str
    number: int | None = None


@dataclass
class RawDocument:
    """A loaded source file before cleaning."""

    path: str
    doc_id: str
    pages: list[RawPage]
    kind: str  # "pdf" | "txt" | "md"


def page_at(page_starts: list[tuple[int, int | None]], offset: int) -> int | None:
    """Page number holding character `offset`, given (start offset, page number) pairs in text order."""
    page: int | None = None
    for start, number in page_starts:
        if start > offset:
            break
        page = number
    return page


@dataclass
class CleanDocument:
    """Cleaned text plus where each page starts in it (character offsets into `text`)."""

    doc_id: str
    text: str
    page_starts: list[tuple[int, int | None]] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        """Page number holding character `offset`, or None where the source gives none."""
        return page_at(self.page_starts, offset)


@dataclass(frozen=True)
class Section:
    """A titled part of the report: `path` runs from the top heading down to this one."""

    title: str
    path: tuple[str, ...]
    start: int
    end: int
    level: int
    heading: tuple[int, int] | None = None  # span of the heading line(s) in the text; None for an untitled stretch


@dataclass(frozen=True)
class Quote:
    """An interview quote with its attribution, as character offsets into the cleaned text."""

    start: int
    end: int
    speaker: str  # "Kommunal topleder" | "Regional topleder" | "Statslig topleder" | ...
    text: str
    pull: bool = False  # a call-out box ("... - Kommunal topleder") rather than a quote in the body text
    duplicate: bool = False  # repeats another quote (a pull quote printed twice): left out of chunks
    gaps: tuple[tuple[int, int], ...] = ()  # spans inside the quote that are not part of it (a call-out box)


class Chunk(BaseModel):
    """The unit stored in Chroma and the lexical index."""

    id: str = Field(description="Stable content hash of doc_id + text.")
    doc_id: str
    text: str
    start: int = Field(description="Offset of the chunk in the cleaned text.")
    end: int
    section: str = Field(description="Section path joined with ' > '.")
    section_title: str
    page: int | None = None
    speaker: str | None = Field(None, description="Set when the chunk is (mainly) one attributed quote.")
    sentences: list[tuple[int, int]] = Field(default_factory=list,
                                             description="Sentence spans, offsets relative to `text`.")
    ordinal: int = Field(0, description="Position of the chunk in the document.")

    def metadata(self) -> dict[str, str | int | float | bool]:
        """Flat metadata for Chroma (no None values, no lists)."""
        import json

        meta: dict[str, str | int | float | bool] = {
            "doc_id": self.doc_id, "start": self.start, "end": self.end, "section": self.section,
            "section_title": self.section_title, "ordinal": self.ordinal,
            "sentences": json.dumps(self.sentences),
        }
        if self.page is not None:
            meta["page"] = self.page
        if self.speaker is not None:
            meta["speaker"] = self.speaker
        return meta

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict) -> "Chunk":
        import json

        return cls(id=chunk_id, text=text, doc_id=str(meta["doc_id"]), start=int(meta["start"]),
                   end=int(meta["end"]), section=str(meta["section"]), section_title=str(meta["section_title"]),
                   page=meta.get("page"), speaker=meta.get("speaker"), ordinal=int(meta.get("ordinal", 0)),
                   sentences=[tuple(s) for s in json.loads(str(meta.get("sentences", "[]")))])
