"""`rapportbot clean FILE`: print a document's cleaned text (what ingest chunks and quotes from)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="a TXT, Markdown or PDF file")
    parser.add_argument("--pages", action="store_true",
                        help="mark where each page starts with a line '=== page N ===' (N is '?' when unknown)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.cleaning import clean_document
    from ingest.readers import load_document

    doc = clean_document(load_document(args.file))
    text = with_page_marks(doc.text, doc.page_starts) if args.pages else doc.text
    try:
        sys.stdout.buffer.write((text + "\n").encode("utf-8"))
        sys.stdout.flush()
    except BrokenPipeError:  # `rapportbot clean FILE | head` closes the pipe early: not an error
        sys.stderr.close()
    return 0


def with_page_marks(text: str, page_starts: list[tuple[int, int | None]]) -> str:
    parts, last = [], 0
    for start, number in page_starts:
        parts.append(text[last:start])
        if parts[-1] and not parts[-1].endswith("\n"):
            parts.append("\n")
        parts.append(f"=== page {number if number is not None else '?'} ===\n")
        last = start
    parts.append(text[last:])
    return "".join(parts)
