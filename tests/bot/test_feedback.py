"""Feedback: SQLite rows under 50 concurrent writers (count in = count out), export as a question set."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.feedback import FeedbackStore, export_feedback
from ingest.errors import InputError

CITATIONS = [{"n": 1, "quote": "samtaler med 24 udvalgte topledere", "section": "Sådan er analysen lavet", "page": 4}]


def test_record_amend_and_read_back(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite")
    row = store.record(question="Hvor mange?", answer="24 [1]", citations=CITATIONS, mode="extractive",
                       language="da", refused=False, rating="up", user="alice")
    store.amend(row, issue="quote_wrong", comment="Citatet siger noget andet")
    [saved] = store.rows()
    assert saved["id"] == f"feedback-{row}" and saved["question"] == "Hvor mange?"
    assert saved["rating"] == "up" and saved["issue"] == "quote_wrong" and saved["comment"] == "Citatet siger noget andet"
    assert saved["citations"] == CITATIONS and saved["refused"] is False and saved["user"] == "alice"
    assert saved["created_at"].endswith("+00:00")


def test_bad_rating_is_refused(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite")
    with pytest.raises(InputError):
        store.record(question="q", answer="a", rating="great")


def test_fifty_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "fb.sqlite"
    FeedbackStore(path)

    def write(i: int) -> int:
        store = FeedbackStore(path)  # separate objects: the file, not a shared lock, must keep them apart
        return store.record(question=f"Spørgsmål {i}", answer="svar", citations=CITATIONS,
                            rating="up" if i % 2 else "down")

    with ThreadPoolExecutor(max_workers=50) as pool:
        ids = list(pool.map(write, range(200)))
    assert len(set(ids)) == 200
    assert FeedbackStore(path).count() == 200
    assert {r["question"] for r in FeedbackStore(path).rows()} == {f"Spørgsmål {i}" for i in range(200)}


def test_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "fb.sqlite"
    FeedbackStore(path)
    code = ("import sys; from bot.feedback import FeedbackStore; s = FeedbackStore(sys.argv[1]);\n"
            "[s.record(question=f'p{sys.argv[2]}-{i}', answer='a', rating='up') for i in range(25)]")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), str(n)]) for n in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    assert FeedbackStore(path).count() == 100


def test_export_is_a_question_set_in_jsonl_and_csv(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite")
    store.record(question="Hvor mange topledere?", answer="24 [1]", citations=CITATIONS, mode="extractive",
                 language="da", rating="down", issue="quote_wrong", comment='Forkert, "citat"\nny linje')
    store.record(question="What is new?", answer="...", mode="extractive", language="en", rating="up")
    lines = [json.loads(line) for line in export_feedback(store.rows(), "jsonl").splitlines()]
    assert [row["question"] for row in lines] == ["Hvor mange topledere?", "What is new?"]
    assert all(row["id"].startswith("feedback-") for row in lines)
    assert lines[0]["lang"] == "da" and lines[0]["citations"] == CITATIONS and lines[0]["issue"] == "quote_wrong"
    rows = list(csv.DictReader(io.StringIO(export_feedback(store.rows(), "csv"))))
    assert rows[0]["question"] == "Hvor mange topledere?" and rows[0]["comment"] == 'Forkert, "citat"\nny linje'
    assert json.loads(rows[0]["citations"]) == CITATIONS and rows[1]["rating"] == "up"


def test_cli_export_writes_a_file_the_eval_format_reads(tmp_path):
    db = tmp_path / "fb.sqlite"
    FeedbackStore(db).record(question="Hvor mange topledere?", answer="24", rating="up")
    out = tmp_path / "out" / "feedback.jsonl"
    result = subprocess.run([sys.executable, "-m", "bot.cli", "feedback", "export", "--format", "jsonl",
                             "--out", str(out), "--db", str(db)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    [row] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["id"] == "feedback-1" and row["question"] == "Hvor mange topledere?"
    csv_out = subprocess.run([sys.executable, "-m", "bot.cli", "feedback", "export", "--format", "csv", "--db",
                              str(db)], capture_output=True, text=True, timeout=60)
    assert csv_out.returncode == 0 and csv_out.stdout.startswith("id,question,")
    missing = subprocess.run([sys.executable, "-m", "bot.cli", "feedback", "export", "--db",
                              str(tmp_path / "none.sqlite")], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "rapportbot serve" in missing.stderr and "Traceback" not in missing.stderr


def test_csv_export_neutralises_formula_cells(tmp_path):
    """Issue 12 / OWASP CSV injection: a cell a spreadsheet would run as a formula is written as text."""
    import csv
    import io

    from bot.feedback import FeedbackStore, export_feedback

    store = FeedbackStore(tmp_path / "feedback.sqlite")
    hostile = ['=HYPERLINK("https://evil.example","klik")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
               "\tvalue", "\rvalue"]
    for text in hostile:
        store.record(question=text, answer="svar", comment=text, rating="down")
    store.record(question="Hvad er 2 = 2?", answer="svar", rating="up")
    rows = list(csv.DictReader(io.StringIO(export_feedback(store.rows(), "csv"))))
    for row, text in zip(rows, hostile):
        assert row["question"] == "'" + text  # stored as given, shown as text
        assert row["question"][0] not in "=+-@\t\r" and row["comment"][0] not in "=+-@\t\r"
    assert rows[-1]["question"] == "Hvad er 2 = 2?"  # ordinary text unchanged
    jsonl = export_feedback(store.rows(), "jsonl")
    assert '"=HYPERLINK(' in jsonl  # JSON lines keep the text as it was given


def test_a_read_only_feedback_location_is_a_warning_then_a_clear_error(tmp_path):
    from bot.feedback import FeedbackStore, FeedbackUnavailable
    from tests.robustness.support import remount_read_only, small_disk

    with small_disk(tmp_path / "disk") as disk:
        remount_read_only(disk)
        store = FeedbackStore(disk / "feedback.sqlite")
        assert store.problem and "read-only" in store.problem
        with pytest.raises(FeedbackUnavailable, match="read-only"):
            store.record(question="q", answer="a", rating="up")
