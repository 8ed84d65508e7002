"""List questions ("hvilke seks opmærksomhedspunkter ...", "which six points of attention ...") answered from
the report's structure: sibling sections under one parent (the six "#N" headings) whose count matches the
number asked for, or, with no number, a run of numbered headings. Each item is cited by its heading, a verbatim
span of the cleaned text. When the structure has no fitting list, the caller falls back to sentences (an
enumerating passage such as "... fremhæver særligt tre udfordringer ...: Mangel på ..." is a normal span)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.question.asks import Asks
from bot.answer.retrieval import ScoredChunk
from ingest.types import Chunk

MAX_ITEMS = 8
_NUMBERED = re.compile(r"\s*#\s*\d+\b")


@dataclass
class ListItem:
    chunk: Chunk
    start: int  # offset of the heading in the document's clean text
    end: int
    section: str


def _heading_span(clean_text: str, title: str, start: int) -> tuple[int, int] | None:
    """Where the heading `title` is written near `start` (whitespace may differ: line breaks in the PDF)."""
    words = title.split()
    if not words:
        return None
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    match = pattern.search(clean_text, max(0, start - 200), start + len(title) + 400)
    return (match.start(), match.end()) if match else None


def _chunk_at(chunks: list[Chunk], doc_id: str, offset: int) -> Chunk | None:
    """The chunk holding `offset`, else the first one after it (a heading may sit just before its chunk)."""
    after = None
    for chunk in chunks:
        if chunk.doc_id != doc_id:
            continue
        if chunk.start <= offset < chunk.end:
            return chunk
        if chunk.start > offset and (after is None or chunk.start < after.start):
            after = chunk
    return after


def _groups(sections: list) -> dict[tuple[str, ...], list]:
    """Sections by parent path (siblings together), document order kept."""
    groups: dict[tuple[str, ...], list] = {}
    for section in sections:
        groups.setdefault(tuple(section.path[:-1]), []).append(section)
    return groups


def _fitting(siblings: list, size: int | None) -> list:
    """The siblings that form the asked-for list: all of them, or only the numbered ones ("#1".."#6") when
    the parent also holds other sections; [] when the count does not fit."""
    numbered = [s for s in siblings if _NUMBERED.match(s.title)]
    if size:
        if len(siblings) == size:
            return siblings
        return numbered if len(numbered) == size else []
    return numbered if len(numbered) >= 2 else []


def structured_list(store: Any, hits: list[ScoredChunk], asks: Asks) -> list[ListItem]:
    """The items of the list the question asks for, found in the section structure; [] when none fits.

    Every group of sibling sections whose size fits is a candidate; a group counts the fused retrieval
    scores of the retrieved chunks that lie under its parent (the introduction naming "seks vigtige
    opmærksomhedspunkter" and the items themselves), and the best group with any such chunk wins."""
    if not asks.is_list:
        return []
    chunks = list(store.chunks)
    best: tuple[float, str, list] | None = None
    for doc_id, document in store.documents.items():
        for parent, siblings in _groups(list(getattr(document, "sections", []) or [])).items():
            # The top-level chapters are the report's outline, not a list it makes a point of.
            if not parent or not 2 <= len(siblings) <= MAX_ITEMS * 2:
                continue
            items = _fitting(siblings, asks.list_size)
            if not items or len(items) > MAX_ITEMS:
                continue
            prefix = " > ".join(parent)
            weight = sum(h.score for h in hits if h.chunk.doc_id == doc_id
                         and (h.chunk.section == prefix or h.chunk.section.startswith(prefix + " > ")))
            if weight > 0 and (best is None or weight > best[0]):
                best = (weight, doc_id, items)
    if best is None:
        return []
    _, doc_id, sections = best
    document = store.documents[doc_id]
    found: list[ListItem] = []
    for section in sorted(sections, key=lambda s: s.start):
        span = _heading_span(document.clean_text, section.title, section.start)
        chunk = _chunk_at(chunks, doc_id, span[0]) if span else None
        if span is None or chunk is None:
            return []
        found.append(ListItem(chunk=chunk, start=span[0], end=span[1], section=" > ".join(section.path)))
    return found
