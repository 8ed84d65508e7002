"""Sections and attributed quotes of a cleaned document.

Sections are the stretches between consecutive headings: ordered, non-overlapping and covering the whole
text, each with the path of headings above it (chapter > sub-heading). Text before the first heading becomes a
section titled by its first line.
"""
from __future__ import annotations

import bisect

from ingest.furniture import find_furniture
from ingest.headings import Heading, is_markdown, layout_headings, markdown_headings
from ingest.lines import Line, split_lines
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
        span = None if heading.synthetic else (lines[heading.first_line].start, lines[heading.last_line].end)
        sections.append(Section(title=heading.title, path=tuple(title for _, title in stack), start=starts[position],
                                end=end, level=len(stack), heading=span))
    return sections


def find_headings(lines: list[Line], quotes: list[Quote]) -> list[Heading]:
    if is_markdown(lines):
        return markdown_headings(lines)
    spans = sorted([(q.start, q.end) for q in quotes] + find_furniture(lines))
    blocked: set[int] = set()
    starts = [line.start for line in lines]
    for span_start, span_end in spans:
        index = bisect.bisect_left(starts, span_start)
        while index < len(lines) and lines[index].start < span_end:
            blocked.add(index)
            index += 1
    return layout_headings(lines, {i for i in blocked if not lines[i].blank})


def parse_structure(doc: CleanDocument) -> tuple[list[Section], list[Quote]]:
    """Sections (leaf stretches between headings, in order) and attributed quotes of `doc`."""
    lines = split_lines(doc.text)
    quotes = find_quotes(lines, doc.text)
    return _sections(doc.text, lines, find_headings(lines, quotes)), quotes
