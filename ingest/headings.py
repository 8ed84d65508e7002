"""Headings: Markdown `#` lines, or, for PDF/TXT text, title-like lines found by layout heuristics.

A PDF heading is one to four short lines that start a new block (after a blank line, a finished sentence or
furniture), start with a capital or "#N", continue only with lower-case/dash lines, hold no sentence end, and
are followed by prose that starts a new sentence. Level 1 (a chapter) is the first heading, a heading directly
followed by another heading (a parent), or a heading whose intro runs the full page width (PDF chapters open
with a wide intro while the body runs in columns). Numbered points ("#1 ...") and everything else sit one level
below the chapter they follow. Untitled full-width prose in the front matter (a foreword printed without a
heading) gets a section "Forord" ("Foreword" for English text) of its own.
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from ingest.lines import Line

MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
NUMBERED_HEADING = re.compile(r"^#\d+\b")
_CAPTION = re.compile(r"^(figur|figure|fig\.|tabel|table|kilde|source|note|bilag)\b", re.IGNORECASE)
_SENTENCE_INSIDE = re.compile(r"[.!?;]\s|:\s+[a-zæøå]")  # "Udfordringer: Kompetencer, ..." is a title
_ENDS_BLOCK = re.compile(r"[.!?:;”\")\]…]$")
_MAX_TITLE_LINES = 4
_MAX_TITLE_CHARS = 120
# A title does not end in a word that needs a continuation; body lines often do ("... hos fx", "... at").
_FUNCTION_WORDS = frozenset("""
og eller men at af for fra i på med til om ved hos end som der det den de en et fx mv samt både mellem efter
under over uden mod hvor når hvis så sin sit sine min mit mine vores deres hans hendes dens dets jeres vi jeg
er var har blev bliver kan skal vil må
the and or of to in on for with a an at by from as that than our their its his her my your this these is are
""".split())
# Words that can never end a title, not even a one-line one ("Dem har vi talt med" is a fine title).
_BINDING_WORDS = frozenset("og eller men at en et den det de fx mv samt end som and or the a an of".split())
_WIDE_FACTOR = 1.45  # intro lines this much longer than the typical body line run across the full page


@dataclass(frozen=True)
class Heading:
    first_line: int  # index into lines
    last_line: int
    title: str
    level: int
    synthetic: bool = False  # an untitled stretch given a section of its own; no heading line in the text


def _clean_title(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def markdown_headings(lines: list[Line]) -> list[Heading]:
    found = []
    in_fence = False
    for line in lines:
        if line.text.startswith("```"):
            in_fence = not in_fence
            continue
        match = None if in_fence else MARKDOWN_HEADING.match(line.text)
        if match and not NUMBERED_HEADING.match(line.text):
            found.append(Heading(line.index, line.index, _clean_title(match.group(2)), len(match.group(1))))
    return found


def is_markdown(lines: list[Line]) -> bool:
    return any(MARKDOWN_HEADING.match(line.text) and not NUMBERED_HEADING.match(line.text) for line in lines)


class _Layout:
    """Heading heuristics over the lines of PDF-extracted text; `blocked` lines (quotes, furniture) are skipped."""

    def __init__(self, lines: list[Line], blocked: set[int]) -> None:
        self.lines = lines
        self.blocked = blocked
        lengths = [len(line.text) for line in lines if len(line.text) >= 20 and line.index not in blocked]
        self.typical = statistics.median(lengths) if lengths else 60.0

    def _content(self, index: int) -> bool:
        return 0 <= index < len(self.lines) and not self.lines[index].blank and index not in self.blocked

    def _starts_block(self, index: int) -> bool:
        before = index - 1
        if before < 0 or self.lines[before].blank or before in self.blocked or self.lines[index].indented:
            return True
        return bool(_ENDS_BLOCK.search(self.lines[before].text)) or self.candidate(before, need_prose=False) is not None

    def candidate(self, index: int, need_prose: bool = True, depth: int = 0) -> int | None:
        """Index of the last line of a heading starting at `index`, or None."""
        line = self.lines[index]
        if not self._content(index):
            return None
        first = line.text[0]
        if not (first.isupper() or NUMBERED_HEADING.match(line.text)) or _CAPTION.match(line.text):
            return None
        last = index
        while (last + 1 - index < _MAX_TITLE_LINES and self._content(last + 1)
               and re.match(r"^([a-zæøåäöü]|[–-]\s)", self.lines[last + 1].text)):
            last += 1
        title = _clean_title(" ".join(self.lines[i].text for i in range(index, last + 1)))
        if (len(title) > _MAX_TITLE_CHARS or _SENTENCE_INSIDE.search(title) or re.search(r"[.,:;!…]$", title)
                or "http" in title or re.search(r"[“”\"«»]", title)
                or any(len(self.lines[i].text) > 80 for i in range(index, last + 1))):
            return None
        if self._content(last + 1) and re.match(r"^([a-zæøåäöü]|[–-]\s)", self.lines[last + 1].text):
            return None  # the "title" runs on into a sentence: it is a line of body text
        last_word = title.split()[-1].lower()
        # A line ending in "for"/"med" reads as a title only when it is set apart: after a blank line, or
        # clearly shorter than a full column line (a body line that happens to end a sentence fills the column).
        runs_on = last > index or (index > 0 and not self.lines[index - 1].blank
                                   and len(line.text) >= 0.8 * self.typical)
        if (last_word in _BINDING_WORDS or (runs_on and last_word in _FUNCTION_WORDS)
                or self._after_caption(index)):
            return None
        if need_prose and not self._prose_follows(last + 1, depth):
            return None
        return last

    def _after_caption(self, index: int) -> bool:
        """The paragraph under a "Figur 1: ..." caption describes the figure; it is no heading."""
        before = index - 1
        while before >= 0 and self.lines[before].blank:
            before -= 1
        if before < 0 or before == index - 1:
            return False
        top = before
        while top > 0 and not self.lines[top - 1].blank:
            top -= 1
        return before - top < 2 and bool(_CAPTION.match(self.lines[top].text))  # a caption is a line or two

    def _next_content(self, index: int) -> int | None:
        while index < len(self.lines):
            if self._content(index):
                return index
            index += 1
        return None

    def _prose_follows(self, index: int, depth: int = 0) -> bool:
        """Body text starts after `index`, or (once) a sub-heading that is itself followed by body text."""
        start = self._next_content(index)
        if start is None:
            return False
        first = self.lines[start].text
        if not re.match(r"^[A-ZÆØÅ“”\"#0-9]", first):
            return False
        if len(first) < 0.6 * self.typical and not re.search(r"[.!?:]$", first):
            # A short line without a full stop is a label or another title, not prose.
            return depth == 0 and self.candidate(start, depth=1) is not None
        run, i = [], start
        while i < len(self.lines) and self._content(i) and len(run) < 8:
            run.append(self.lines[i].text)
            i += 1
        joined = " ".join(run)
        return len(joined) >= 60 and bool(re.search(r"[.!?:]", joined))

    def _wide(self, indexes: list[int]) -> bool:
        widths = [len(self.lines[i].text) for i in indexes]
        return len(widths) >= 2 and statistics.median(widths) >= _WIDE_FACTOR * self.typical

    def untitled_wide_start(self, start: int, stop: int) -> int | None:
        """First line in [start, stop) where full-width prose begins after column text, at a paragraph start."""
        content = [i for i in range(start, stop) if self._content(i)]
        for position, index in enumerate(content):
            line = self.lines[index]
            if position < 2 or not re.match(r"^[A-ZÆØÅ]", line.text):
                continue
            previous = self.lines[index - 1]
            if not (previous.blank or line.indented or _ENDS_BLOCK.search(previous.text)
                    or len(previous.text) < 0.7 * self.typical):
                continue
            if self._wide(content[position:position + 5]) and not self._wide(content[max(0, position - 5):position]):
                return index
        return None

    def wide_intro(self, last: int) -> bool:
        start = self._next_content(last + 1)
        if start is None:
            return False
        run, i = [], start
        while i < len(self.lines) and self._content(i) and len(run) < 5:
            run.append(len(self.lines[i].text))
            i += 1
        return len(run) >= 2 and statistics.median(run) >= _WIDE_FACTOR * self.typical


def layout_headings(lines: list[Line], blocked: set[int]) -> list[Heading]:
    layout = _Layout(lines, blocked)
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(lines):
        last = layout.candidate(index) if layout._starts_block(index) else None
        if last is None:
            index += 1
            continue
        spans.append((index, last))
        index = last + 1
    headings: list[Heading] = []
    for position, (first, last) in enumerate(spans):
        title = _clean_title(" ".join(lines[i].text for i in range(first, last + 1)))
        next_first = spans[position + 1][0] if position + 1 < len(spans) else None
        directly_parent = next_first is not None and all(lines[i].blank for i in range(last + 1, next_first))
        chapter = position == 0 or directly_parent or layout.wide_intro(last)
        level = 1 if chapter and not NUMBERED_HEADING.match(title) else 2
        headings.append(Heading(first, last, title, level))
    return _with_foreword(layout, headings)


def _with_foreword(layout: _Layout, headings: list[Heading]) -> list[Heading]:
    """Untitled full-width prose in the front matter (before the first chapter with a wide intro) is a foreword.

    Reports often print the foreword without a heading; without a section of its own it would be filed
    under whatever short front-matter heading precedes it.
    """
    if len(headings) < 2:
        return headings
    first_chapter = next((i for i, h in enumerate(headings) if i > 0 and layout.wide_intro(h.last_line)), None)
    if first_chapter is None:
        return headings
    for position in range(first_chapter):
        heading = headings[position]
        stop = headings[position + 1].first_line
        start = layout.untitled_wide_start(heading.last_line + 1, stop)
        if start is not None:
            danish = len(re.findall(r"\b(og|det|er|at)\b", " ".join(l.text for l in layout.lines[:200])))
            english = len(re.findall(r"\b(and|the|is|to)\b", " ".join(l.text for l in layout.lines[:200])))
            title = "Forord" if danish >= english else "Foreword"
            foreword = Heading(start, start - 1, title, 1, synthetic=True)
            return headings[:position + 1] + [foreword] + headings[position + 1:]
    return headings
