"""Lines and paragraphs of the cleaned text, with exact character offsets (shared by structure and chunking)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One line of the text. `start`/`end` bound its stripped content; `line_start` is where the line begins."""

    index: int
    line_start: int
    start: int
    end: int
    text: str  # stripped
    indented: bool  # began with whitespace: in PDF-extracted text the first line of a page often does

    @property
    def blank(self) -> bool:
        return not self.text


def split_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    offset = 0
    for index, raw in enumerate(text.split("\n")):
        stripped = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        start = offset + lead if stripped else offset
        lines.append(Line(index, offset, start, start + len(stripped), stripped, bool(stripped) and lead > 0))
        offset += len(raw) + 1
    return lines


def paragraphs(lines: list[Line]) -> list[list[Line]]:
    """Runs of non-blank lines (a blank line separates paragraphs)."""
    runs: list[list[Line]] = []
    current: list[Line] = []
    for line in lines:
        if line.blank:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(line)
    if current:
        runs.append(current)
    return runs


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) so that it neither begins nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end

