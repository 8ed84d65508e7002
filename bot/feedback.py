"""Feedback given on answers (thumbs up/down, comments), kept in SQLite or PostgreSQL and exported as a
question set.

SQLite (the default, one host): many server threads (and several `serve` processes) may write at once: the
database runs in WAL mode, every write opens its own short connection with a busy timeout, so concurrent
writers wait instead of failing, and a process-local lock keeps this process's writers from contending on
the file lock. PostgreSQL (RAPPORTBOT_FEEDBACK_URL, replicas on several hosts): bot/feedback_pg.py, the
same class with a connection pool; `open_feedback` picks one. Both create the table, and add any column a
newer release knows, when they open.

A bad disk is a clear failure, not a traceback: a location that cannot be written (read-only, missing
rights) lets the server start with a warning, and every write on it, or on a full disk, raises
FeedbackUnavailable (the web app answers 503 with its message; one log line each). SQLite rolls a failed
write back whole, so nothing acknowledged is lost. The CSV export neutralises formula cells (OWASP).
"""
from __future__ import annotations

import csv
import errno
import io
import json
import logging
import os
import sqlite3
import threading
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Literal

from ingest.errors import InputError, RapportbotError

log = logging.getLogger("rapportbot.feedback")

RATINGS = ("up", "down")
ISSUES = ("quote_wrong", "answer_wrong", "incomplete", "other")
EXPORT_FIELDS = ("id", "question", "rating", "issue", "comment", "answer", "citations", "mode",
                 "language", "refused", "user", "created_at")

# Column -> its SQL type and constraints; the same on both backends (only the id column differs). A column
# added here reaches existing databases through `missing_columns` at start (ALTER TABLE ... ADD COLUMN), so
# give a new column a default or let it be NULL.
COLUMNS: dict[str, str] = {
    "question": "TEXT NOT NULL",
    "answer": "TEXT NOT NULL",
    "citations": "TEXT NOT NULL DEFAULT '[]'",
    "mode": "TEXT",
    "language": "TEXT",
    "refused": "INTEGER",
    "rating": "TEXT",
    "issue": "TEXT",
    "comment": "TEXT",
    "user": "TEXT",  # quoted in SQL: a reserved word in PostgreSQL
    "created_at": "TEXT NOT NULL DEFAULT ''",
}


def create_table_sql(id_column: str) -> str:
    columns = ", ".join(f'"{name}" {kind}' for name, kind in COLUMNS.items())
    return f"CREATE TABLE IF NOT EXISTS feedback (id {id_column}, {columns})"


def missing_columns(existing: Iterable[str]) -> list[str]:
    """ALTER TABLE statements adding the columns an older database lacks."""
    have = set(existing)
    return [f'ALTER TABLE feedback ADD COLUMN "{name}" {kind}' for name, kind in COLUMNS.items() if name not in have]

_INSERT = ('INSERT INTO feedback (question, answer, citations, mode, language, refused, rating, issue, comment,'
           ' "user", created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)')
_AMEND = ("UPDATE feedback SET rating=COALESCE(?, rating), issue=COALESCE(?, issue),"
          " comment=COALESCE(?, comment) WHERE id=?")


class FeedbackUnavailable(RapportbotError):
    """Feedback cannot be written here (full disk, read-only location); the message says which."""

    exit_code = 2


def _no_space_left(path: Path) -> bool:
    try:
        found = os.statvfs(path.parent)
    except OSError:
        return False
    return found.f_bavail * found.f_frsize < 64 * 1024


def _reason(err: BaseException, path: Path) -> str:
    text = str(err).lower()
    if "full" in text or getattr(err, "errno", None) == errno.ENOSPC or _no_space_left(path):
        return "disk full"  # SQLite reports some writes on a full disk as a plain "disk I/O error"
    if "readonly" in text or "read-only" in text or getattr(err, "errno", None) in (errno.EACCES, errno.EROFS) \
            or (path.parent.is_dir() and not os.access(path.parent, os.W_OK)):
        return "the feedback location is read-only"
    return str(err) or type(err).__name__


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def open_feedback(url: str | None, path: Path | str) -> "FeedbackStore":
    """The PostgreSQL store at `url` when one is given (postgresql://...), else the SQLite file at `path`."""
    if url:
        from bot.feedback_pg import PostgresFeedbackStore

        return PostgresFeedbackStore(url)
    return FeedbackStore(path)


class FeedbackStore:
    """Append-mostly store of feedback rows; safe to share between threads and processes. SQLite; the
    PostgreSQL subclass replaces `_write`, `_fetch` and the set-up, nothing else."""

    backend = "sqlite"

    def __init__(self, path: Path | str, busy_timeout_ms: int = 30_000) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._lock = threading.Lock()
        self.problem: str | None = None  # why feedback cannot be written here, once known
        try:
            self._create()
        except (OSError, sqlite3.Error) as err:
            self.problem = f"feedback cannot be stored at {self.path}: {_reason(err, self.path)}"
            log.warning("%s; the server runs, feedback answers 503 until it can be written", self.problem)

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("BEGIN IMMEDIATE")  # two processes starting at once migrate one after the other
            conn.execute(create_table_sql("INTEGER PRIMARY KEY AUTOINCREMENT"))
            for statement in missing_columns(row[1] for row in conn.execute("PRAGMA table_info(feedback)")):
                conn.execute(statement)
            conn.execute("COMMIT")

    def describe(self) -> str:
        return str(self.path)

    def close(self) -> None:
        """Nothing to release: every SQLite call opens its own connection."""

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        conn.row_factory = sqlite3.Row
        return conn

    def _fetch(self, sql: str) -> list[dict[str, Any]]:
        with closing(self._connect()) as conn:
            return [dict(row) for row in conn.execute(sql).fetchall()]

    def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        try:
            with self._lock:
                if self.problem is not None:
                    self._create()  # the location may have been fixed since
                    self.problem = None
                return self._write_locked(sql, params)
        except (OSError, sqlite3.OperationalError, sqlite3.DatabaseError) as err:
            message = f"feedback could not be stored: {_reason(err, self.path)}"
            log.error("%s (%s)", message, self.path)
            raise FeedbackUnavailable(message) from None

    def _write_locked(self, sql: str, params: tuple[Any, ...]) -> int:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            cursor = conn.execute(sql, params)
            conn.execute("COMMIT")
            return int(cursor.lastrowid or 0)
        except BaseException:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite has rolled back on its own after a full-disk error
            raise
        finally:
            conn.close()

    def record(self, *, question: str, answer: str, citations: list[dict] | None = None, mode: str | None = None,
               language: str | None = None, refused: bool | None = None, rating: str | None = None,
               issue: str | None = None, comment: str | None = None, user: str | None = None) -> int:
        """Store one piece of feedback; returns its row id."""
        rating, issue, comment = _check(rating, issue, comment)
        return self._write(
            _INSERT,
            (question, answer, json.dumps(citations or [], ensure_ascii=False), mode, language,
             None if refused is None else int(refused), rating, issue, comment, user, _now()))

    def amend(self, row_id: int, *, rating: str | None = None, issue: str | None = None,
              comment: str | None = None) -> None:
        """Add a rating, issue or comment to an existing row (the page's comment box after a thumb)."""
        rating, issue, comment = _check(rating, issue, comment)
        self._write(_AMEND, (rating, issue, comment, int(row_id)))

    def count(self) -> int:
        return int(self._fetch("SELECT COUNT(*) AS n FROM feedback")[0]["n"])

    def rows(self) -> list[dict[str, Any]]:
        """All rows, oldest first, in the export shape (citations parsed, `id` as `feedback-<n>`)."""
        return [_export_row(row) for row in self._fetch("SELECT * FROM feedback ORDER BY id")]


def _check(rating: str | None, issue: str | None, comment: str | None) -> tuple[str | None, str | None, str | None]:
    if rating is not None and rating not in RATINGS:
        raise InputError(f"rating must be one of {', '.join(RATINGS)}, not {rating!r}")
    if issue is not None and issue not in ISSUES:
        raise InputError(f"issue must be one of {', '.join(ISSUES)}, not {issue!r}")
    comment = (comment or "").strip()[:4000] or None
    return rating, issue, comment


def _export_row(row: dict[str, Any]) -> dict[str, Any]:
    row["id"] = f"feedback-{row['id']}"
    row["citations"] = json.loads(row.get("citations") or "[]")
    row["refused"] = None if row.get("refused") is None else bool(row["refused"])
    if row.get("language"):
        row["lang"] = row["language"]
    return {key: row.get(key) for key in (*EXPORT_FIELDS, "lang") if key in row}


def export_feedback(rows: Iterable[dict[str, Any]], fmt: Literal["jsonl", "csv"]) -> str:
    """Rows as JSON lines or CSV in the question-set shape the eval reads (`id`, `question`, ...)."""
    rows = list(rows)
    if fmt == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*EXPORT_FIELDS, "lang"], extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        cells = {**row, "citations": json.dumps(row["citations"], ensure_ascii=False)}
        writer.writerow({key: safe_cell(value) for key, value in cells.items()})
    return out.getvalue()


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: one that starts like a formula gets a leading `'` (OWASP)."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
