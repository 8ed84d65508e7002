"""The report reader beside the chat: the whole cleaned report, a table of contents from its sections,
and the cited quote marked where it stands.

Rendering is escaped HTML built from character offsets into the cleaned text, so a quote's offsets
(`Citation.start`, or where the quote is found) map straight onto a <mark>.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from bot.web.render import escape
from ingest.lines import strip_span

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class _Block:
    start: int
    end: int
    heading_level: int | None  # set when the block is a section title
    anchors: tuple[str, ...]


class ReportReader:
    """Renders one document of the store; `render(start, end)` marks text[start:end]."""

    def __init__(self, doc_id: str, title: str, text: str, sections: list[Any]) -> None:
        self.doc_id, self.title, self.text = doc_id, title, text
        self.sections = [s for s in sections if s.end > s.start]
        # A heading printed on the first line(s) of a paragraph becomes a block of its own, so it shows as one.
        heading_spans = {tuple(h) for h in (getattr(s, "heading", None) for s in self.sections) if h}
        paragraphs = _split_at(_paragraphs(text), sorted({p for span in heading_spans for p in span}), text)
        starts = [start for start, _ in paragraphs]
        anchors: dict[int, list[int]] = {}
        for i, section in enumerate(self.sections):
            # The paragraph holding the section start (a start in the gap before a paragraph: that paragraph).
            at = max(bisect.bisect_right(starts, section.start) - 1, 0)
            if at + 1 < len(starts) and paragraphs[at][1] <= section.start:
                at += 1
            anchors.setdefault(at, []).append(i)
        self.blocks: list[_Block] = []
        for at, (start, end) in enumerate(paragraphs):
            ids = tuple(f"rb-sec-{i}" for i in anchors.get(at, []))
            level = None
            for i in anchors.get(at, []):
                # A paragraph that is just the section title is shown as a heading.
                heading = getattr(self.sections[i], "heading", None)
                if _same_title(text[start:end], self.sections[i].title) or (
                        heading and strip_span(text, *heading) == (start, end)):
                    level = min(max(int(self.sections[i].level), 1), 4) + 1
            self.blocks.append(_Block(start, end, level, ids))

    def toc_html(self) -> str:
        items = []
        for i, section in enumerate(self.sections):
            level = min(max(int(section.level), 1), 4)
            items.append(f'<li class="rb-toc-l{level}"><a class="rb-toc-link" href="#rb-sec-{i}" '
                         f'data-target="rb-sec-{i}">{escape(section.title)}</a></li>')
        return f'<nav class="rb-toc"><ul>{"".join(items)}</ul></nav>'

    def render(self, start: int | None = None, end: int | None = None, caption: str = "",
               toc_label: str = "") -> str:
        """The reader HTML; with `start`/`end`, that span is wrapped in <mark class="rb-hl">."""
        out = [f'<div class="rb-reader" data-doc="{escape(self.doc_id)}">']
        if caption:
            out.append(f'<div class="rb-caption">{escape(caption)}</div>')
        label = f"{toc_label}: {self.title}" if toc_label else self.title
        out.append(f'<details class="rb-toc-box"><summary>{escape(label)}</summary>{self.toc_html()}</details>')
        out.append('<div class="rb-doc">')
        first_mark = True
        for block in self.blocks:
            body, marked = self._block_body(block, start, end, first_mark)
            first_mark = first_mark and not marked
            anchors = "".join(f'<span class="rb-anchor" id="{a}"></span>' for a in block.anchors)
            if block.heading_level:
                out.append(f'{anchors}<h{block.heading_level} class="rb-h">{body}</h{block.heading_level}>')
            else:
                out.append(f'{anchors}<p>{body}</p>')
        out.append("</div></div>")
        return "".join(out)

    def _block_body(self, block: _Block, start: int | None, end: int | None, first: bool) -> tuple[str, bool]:
        text = self.text
        if start is None or end is None or end <= block.start or start >= block.end:
            return _flow(text[block.start:block.end]), False
        a, b = max(start, block.start), min(end, block.end)
        mark_id = ' id="rb-hl"' if first else ""
        return (f'{_flow(text[block.start:a])}<mark class="rb-hl"{mark_id}>{_flow(text[a:b])}</mark>'
                f'{_flow(text[b:block.end])}'), True

    def locate(self, quote: str, start: int | None = None, near: int | None = None) -> tuple[int, int] | None:
        """Offsets of `quote` in the document: at `start` when it is there, else the occurrence nearest `near`."""
        if not quote:
            return None
        if start is not None and self.text[start:start + len(quote)] == quote:
            return start, start + len(quote)
        hits = [m.start() for m in re.finditer(re.escape(quote), self.text)]
        if not hits:
            return None
        at = min(hits, key=lambda h: abs(h - (near or 0)))
        return at, at + len(quote)


def _flow(text: str) -> str:
    """Escaped, with the report's line breaks inside a paragraph read as spaces (PDF lines, not meaning)."""
    return escape(text.replace("\n", " "))


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        if text[pos:match.start()].strip():
            spans.append((pos, match.start()))
        pos = match.end()
    if text[pos:].strip():
        spans.append((pos, len(text)))
    return spans


def _split_at(spans: list[tuple[int, int]], cuts: list[int], text: str) -> list[tuple[int, int]]:
    """`spans` cut at every offset in `cuts` that falls inside one, without empty or blank pieces."""
    out = []
    for start, end in spans:
        inner = [c for c in cuts if start < c < end]
        for a, b in zip([start, *inner], [*inner, end]):
            a, b = strip_span(text, a, b)
            if b > a:
                out.append((a, b))
    return out


def _same_title(paragraph: str, title: str) -> bool:
    def norm(t: str) -> str:
        return " ".join(t.split()).rstrip(".:").casefold()
    return norm(paragraph) == norm(title)


def readers_from_store(store: Any, metadata: dict[str, Any] | None = None) -> dict[str, ReportReader]:
    """One reader per document in the store (`store.documents[doc_id]` with title, clean_text, sections)."""
    readers = {}
    for doc_id, doc in (getattr(store, "documents", None) or {}).items():
        title = getattr(doc, "title", None) or (metadata or {}).get("title") or doc_id
        text = getattr(doc, "clean_text", None) or getattr(doc, "text", "") or ""
        readers[doc_id] = ReportReader(doc_id, title, text, list(getattr(doc, "sections", []) or []))
    return readers
