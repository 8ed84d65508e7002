"""Page furniture that is not content: repeated lines (footers, "intentionally blank"), paragraphs without
letters ("-" separators), repeated blocks, and clouds of short labels (a map's place names, a figure's labels).

Structure ignores these spans when it looks for headings; the chunker leaves them out of every chunk.
"""
from __future__ import annotations

import re
from collections import Counter

from ingest.lines import Line, paragraphs

_SENTENCE_MARK = re.compile(r"[.,:;!?“”\"()]")
_LIST_MARK = re.compile(r"^([•·▪*#]|\d+[.)])")
_LABEL_MAX_CHARS = 80  # a map label or figure label: short lines naming things, not a phrase
_LABEL_CLOUD_MIN = 4  # this many labels in a row make a figure, not text
_LABEL_LINE_CHARS = 32
_LABEL_RUN_LINES = 6  # a title runs to three short lines at most; six in a row are a map or a figure


def _line_key(text: str) -> str:
    """Footers differ only in their page number: compare lines without digits."""
    return re.sub(r"[\d\W_]+", "", text.lower())


def _block_key(block: list[Line]) -> str:
    return re.sub(r"[\W_]+", "", " ".join(line.text for line in block).lower())


def _is_label(block: list[Line]) -> bool:
    joined = " ".join(line.text for line in block)
    return (len(joined) <= _LABEL_MAX_CHARS and len(block) <= 5
            and all(len(line.text) <= _LABEL_LINE_CHARS for line in block)
            and not _SENTENCE_MARK.search(joined) and not _LIST_MARK.match(joined))


def _blocks(lines: list[Line]) -> list[list[Line]]:
    """Paragraphs, also cut where a page begins (an indented line): a map label may run into the next page."""
    blocks: list[list[Line]] = []
    for block in paragraphs(lines):
        current: list[Line] = []
        for line in block:
            if line.indented and current:
                blocks.append(current)
                current = []
            current.append(line)
        blocks.append(current)
    return blocks


def _label_lines(lines: list[Line]) -> list[tuple[int, int]]:
    """Runs of many short label lines, found line by line (text extracted without blank lines between labels)."""
    spans: list[tuple[int, int]] = []
    run: list[Line] = []
    for line in lines + [None]:
        if line is not None and line.blank:
            continue
        if line is not None and _is_label([line]) and len(line.text) <= _LABEL_LINE_CHARS:
            run.append(line)
            continue
        if len(run) >= _LABEL_RUN_LINES:
            spans.extend((l.start, l.end) for l in run)
        run = []
    return spans


def find_furniture(lines: list[Line]) -> list[tuple[int, int]]:
    """Spans (start, end) of furniture, in document order."""
    line_counts = Counter(_line_key(line.text) for line in lines if len(line.text) <= 80 and _line_key(line.text))
    spans: list[tuple[int, int]] = []
    seen_blocks: set[str] = set()
    run: list[tuple[list[Line], bool]] = []  # consecutive label or furniture blocks: (block, is_label)

    def flush_run() -> None:
        if sum(is_label for _, is_label in run) >= _LABEL_CLOUD_MIN:
            spans.extend((block[0].start, block[-1].end) for block, is_label in run if is_label)
        run.clear()

    spans.extend(_label_lines(lines))
    for block in _blocks(lines):
        key = _block_key(block)
        noise = (not key or (len(block) == 1 and line_counts[_line_key(block[0].text)] > 1)
                 or (len(key) >= 20 and key in seen_blocks))
        seen_blocks.add(key)
        if noise:
            spans.append((block[0].start, block[-1].end))
        if _is_label(block):
            run.append((block, True))
        elif noise:
            run.append((block, False))  # furniture between labels does not end the cloud
        else:
            flush_run()
    flush_run()
    return sorted(set(spans))
