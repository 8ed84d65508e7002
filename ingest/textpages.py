"""Page numbers for text extracted from a PDF, only where the text itself proves them.

A PDF-extracted text keeps traces of its pages: each page starts on a line with exactly one leading space,
or after a run of three or more blank lines; a page that holds only "Denne side er med vilje efterladt uden
indhold." is a page of its own; and a few printed footers ("24 Analyse af offentlige toplederes
innovationsdagsorden") survive, each starting its page and naming its number. When every pair of footers
agrees with the number of page starts between them, numbers are counted through the page starts from the
footers; otherwise (or with fewer than two footers) the pages stay unknown (None), never guessed.
"""
from __future__ import annotations

import re
from collections import defaultdict

# A running title printed with a page number: "24 Analyse af ..." (even pages) or "Analyse af ... 25" (odd).
_NUMBER_FIRST = re.compile(r"^\s*(\d{1,4})\s+(\S.{9,}?)\s*$")
_NUMBER_LAST = re.compile(r"^\s*(\S.{9,}?)\s+(\d{1,4})\s*$")
_PAGE_MARK = re.compile(r"^ \S")
BLANK_PAGE = re.compile(r"^\s*(denne side er (med vilje )?efterladt (uden indhold|blank)|this page (is )?"
                        r"intentionally( been)? left blank)\.?\s*$", re.IGNORECASE)
_MIN_BLANK_RUN = 3


def find_footers(lines: list[str]) -> dict[int, int]:
    """Line index -> printed page number, for lines holding a number and a running title that recurs
    (the same title with at least two different numbers; a sentence starting with a number does not)."""
    by_title: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for i, line in enumerate(lines):
        for pattern, num_group, title_group in ((_NUMBER_FIRST, 1, 2), (_NUMBER_LAST, 2, 1)):
            m = pattern.match(line)
            if m and not m.group(title_group).rstrip().endswith((".", ",", ":", ";")):
                by_title[m.group(title_group).strip()].append((i, int(m.group(num_group))))
    footers: dict[int, int] = {}
    for hits in by_title.values():
        if len({n for _, n in hits}) >= 2:
            footers.update(hits)
    return footers


def page_starts(lines: list[str], footers: dict[int, int]) -> list[int]:
    """Indexes of lines that begin a page."""
    starts, blanks = [], 0
    for i, line in enumerate(lines):
        if not line.strip():
            blanks += 1
            continue
        if i in footers or _PAGE_MARK.match(line) or BLANK_PAGE.match(line) or blanks >= _MIN_BLANK_RUN:
            starts.append(i)
        blanks = 0
    return starts


def derive_page_numbers(lines: list[str]) -> list[tuple[int, int | None]] | None:
    """(first line index, page number) for each page, or None when numbers cannot be proven."""
    footers = find_footers(lines)
    if len(footers) < 2:
        return None
    starts = page_starts(lines, footers)
    position = {line: k for k, line in enumerate(starts)}
    anchors = sorted((position[i], n) for i, n in footers.items())
    for (k1, n1), (k2, n2) in zip(anchors, anchors[1:]):
        if k2 - k1 != n2 - n1:
            return None  # footers disagree with the page starts between them
    k0, n0 = anchors[0]
    if n0 - k0 < 1:
        return None
    pages: list[tuple[int, int | None]] = [(start, n0 + k - k0) for k, start in enumerate(starts)]
    if starts[0] > 0:
        pages.insert(0, (0, None))  # text before the first page start: its page is not proven
    return pages
