"""List questions ("hvilke seks opmærksomhedspunkter ...", "which six points of attention ...") answered from
the report's structure: sibling sections under one parent (the six "#N" headings) whose count matches the
number asked for, or, with no number, a run of numbered headings. Each item is cited by its heading, a verbatim
span of the cleaned text. When the structure has no fitting list, the caller falls back to sentences (an
enumerating passage such as "... fremhæver særligt tre udfordringer ...: Mangel på ..." is a normal span)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.asks import Asks
from bot.retrieval import ScoredChunk
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
    for chunk in chunks:
        if chunk.doc_id == doc_id and chunk.start <= offset < chunk.end:
            return chunk
    return None


def structured_list(store: Any, hits: list[ScoredChunk], asks: Asks) -> list[ListItem]:
    """The items of the list the question asks for, found in the section structure; [] when none fits."""
    if not asks.is_list and asks.list_size is None:
        return []
    chunks = list(store.chunks)
    for hit in hits[:5]:
        document = store.documents.get(hit.chunk.doc_id)
        if document is None:
            continue
        sections = list(getattr(document, "sections", []) or [])
        path = tuple(hit.chunk.section.split(" > "))
        # Walk up from the hit's own section: its siblings, then its parent's siblings, ...
        for depth in range(len(path), 0, -1):
            parent = path[: depth - 1]
            siblings = [s for s in sections if tuple(s.path[:-1]) == parent and len(s.path) == depth]
            if len(siblings) < 2 or len(siblings) > MAX_ITEMS:
                continue
            numbered = sum(bool(_NUMBERED.match(s.title)) for s in siblings)
            fits = (len(siblings) == asks.list_size) if asks.list_size else numbered == len(siblings)
            if not fits:
                # A parent may hold an introduction plus the numbered items: take the numbered ones.
                only_numbered = [s for s in siblings if _NUMBERED.match(s.title)]
                if asks.list_size and len(only_numbered) == asks.list_size:
                    siblings, fits = only_numbered, True
            if not fits:
                continue
            items = []
            for section in sorted(siblings, key=lambda s: s.start):
                span = _heading_span(document.clean_text, section.title, section.start)
                chunk = _chunk_at(chunks, hit.chunk.doc_id, span[0]) if span else None
                if span is None or chunk is None:
                    break
                items.append(ListItem(chunk=chunk, start=span[0], end=span[1], section=" > ".join(section.path)))
            else:
                return items
    return []
