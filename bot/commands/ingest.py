"""`rapportbot ingest [FILE...]`: build the store from the bundled report or the given files."""
from __future__ import annotations

import argparse
from pathlib import Path

from ingest.settings import BUNDLED_REPORT, Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE",
                        help=f"TXT, Markdown or PDF files, or folders of them (default: the bundled report, "
                             f"{BUNDLED_REPORT.name})")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument("--if-stale", action="store_true",
                        help="do nothing when the store already holds these files, built by this code")
    parser.add_argument("--fresh", action="store_true",
                        help="drop documents stored earlier that are not among FILE (default: keep them)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.pipeline import ingest_files, store_is_stale, summary_json, summary_line

    files = _expand(list(args.files)) or [BUNDLED_REPORT]
    if args.if_stale and not store_is_stale(settings, files):
        if args.json:
            print('{"skipped": true, "store": ' + _json_str(settings.store.path) + "}")
        else:
            print(f"store is up to date ({settings.store.path}); nothing to ingest")
        return 0
    summary = ingest_files(files, settings, progress=not (args.quiet or args.json), keep_others=not args.fresh)
    print(summary_json(summary) if args.json else summary_line(summary))
    return 0


SUFFIXES = (".txt", ".md", ".markdown", ".pdf")


def _expand(paths: list[Path]) -> list[Path]:
    """A folder stands for the TXT, Markdown and PDF files in it (not its sub-folders), in name order."""
    from ingest.errors import InputError

    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
        if not found:
            raise InputError(f"no .txt, .md or .pdf files in {path}")
        files.extend(found)
    return files


def _json_str(path: Path) -> str:
    import json

    return json.dumps(str(path))
