"""`rapportbot feedback export`: feedback from the page as a question set the eval can read."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.errors import InputError
from ingest.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    export = sub.add_parser("export", help="write all feedback as JSON lines or CSV",
                            description="Write all feedback (id, question, rating, issue, comment, answer, citations, "
                                        "mode, created_at) in the question-set format `rapportbot eval` reads.")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="output format (default jsonl)")
    export.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    export.add_argument("--db", type=Path, default=None,
                        help="SQLite feedback database (default: RAPPORTBOT_FEEDBACK_DB or .rapportbot/feedback.sqlite)")
    export.add_argument("--url", default=None,
                        help="PostgreSQL feedback database (default: RAPPORTBOT_FEEDBACK_URL; wins over --db)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.feedback import export_feedback, open_feedback

    if getattr(args, "action", None) != "export":
        raise InputError("say what to do: `rapportbot feedback export [--format jsonl|csv] [--out FILE]`")
    url = args.url or (None if args.db else settings.server.feedback_url)
    db = args.db or settings.server.feedback_db
    if not url and not Path(db).exists():
        raise InputError(f"no feedback database at {db}: feedback is recorded by `rapportbot serve`")
    store = open_feedback(url, db)
    try:
        rows = store.rows()
    finally:
        store.close()
    text = export_feedback(rows, args.format)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {len(rows)} feedback rows to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
