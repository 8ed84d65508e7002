"""Sections and attributed quotes of a cleaned document.

Sections are the stretches between consecutive headings: ordered, non-overlapping and covering the whole
text, each with the path of headings above it (chapter > sub-heading). Text before the first heading becomes a
section titled by its first line.
"""
from __future__ import annotations

from ingest.furniture import find_furniture
from ingest.headings import Heading, is_markdown, layout_headings, markdown_headings
from ingest.lines import Line, inside, split_lines
from ingest.quotes import find_quotes
from ingest.types import CleanDocument, Quote, Section


def excluded_spans(lines: list[Line], quotes: list[Quote]) -> list[tuple[int, int]]:
    """Spans no chunk may hold: furniture outside quotes, repeated quotes, and gaps inside quotes."""
    kept = [(q.start, q.end) for q in quotes if not q.duplicate]
    spans = [(s, e) for s, e in find_furniture(lines) if not any(ks <= s and e <= ke for ks, ke in kept)]
    spans += [(q.start, q.end) for q in quotes if q.duplicate]
    spans += [gap for q in quotes if not q.duplicate for gap in q.gaps]
    return sorted(set(spans))


def _sections(text: str, lines: list[Line], headings: list[Heading]) -> list[Section]:
    sections: list[Section] = []
    if not headings:
        first = next((line.text for line in lines if line.text), "")
        return [Section(title=first[:80] or "Dokument", path=(first[:80] or "Dokument",), start=0, end=len(text),
                        level=1)]
    starts = [lines[h.first_line].line_start for h in headings]
    if text[:starts[0]].strip():
        first = next(line.text for line in lines if line.text)[:80]
        sections.append(Section(title=first, path=(first,), start=0, end=starts[0], level=1))
    else:
        starts[0] = 0
    stack: list[tuple[int, str]] = []
    for position, heading in enumerate(headings):
        while stack and stack[-1][0] >= heading.level:
            stack.pop()
        stack.append((heading.level, heading.title))
        end = starts[position + 1] if position + 1 < len(headings) else len(text)
        sections.append(Section(title=heading.title, path=tuple(title for _, title in stack), start=starts[position],
                                end=end, level=len(stack)))
    return sections


def find_headings(lines: list[Line], quotes: list[Quote]) -> list[Heading]:
    if is_markdown(lines):
        return markdown_headings(lines)
    spans = [(q.start, q.end) for q in quotes] + find_furniture(lines)
    blocked = {line.index for line in lines if not line.blank and inside(line.start, spans)}
    return layout_headings(lines, blocked)


def heading_spans(doc: CleanDocument) -> list[tuple[int, int]]:
    """Character spans of the heading lines (the chunker keeps each at the start of its section's first chunk)."""
    lines = split_lines(doc.text)
    headings = find_headings(lines, find_quotes(lines, doc.text))
    return [(lines[h.first_line].start, lines[h.last_line].end) for h in headings if not h.synthetic]


def parse_structure(doc: CleanDocument) -> tuple[list[Section], list[Quote]]:
    """Sections (leaf stretches between headings, in order) and attributed quotes of `doc`."""
    lines = split_lines(doc.text)
    quotes = find_quotes(lines, doc.text)
    return _sections(doc.text, lines, find_headings(lines, quotes)), quotes
