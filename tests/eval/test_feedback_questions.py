"""Feedback exported from the page (`rapportbot feedback export`) is a question set: the real export, read
by the eval as JSONL and CSV, joined with another set by repeating --questions."""
from __future__ import annotations

import json

import pytest

from bot.feedback import FeedbackStore, export_feedback
from eval.evaluate import evaluate
from eval.questions import load_question_sets, load_questions
from ingest.errors import InputError


@pytest.fixture
def feedback_rows(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    store.record(question="Hvor lang tid varede interviewene?", answer="Cirka 30 minutter. [1]",
                 citations=[{"n": 1, "quote": "cirka 30 minutters varighed"}], mode="extractive", language="da",
                 refused=False, rating="up")
    row = store.record(question="Who wrote the foreword?", answer="The report does not say.", language="en",
                       refused=True, rating="down")
    store.amend(row, issue="answer_wrong", comment="Forordet er fra COI, ikke?")
    return store.rows()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_exported_feedback_loads_as_questions(feedback_rows, tmp_path, fmt):
    path = tmp_path / f"feedback.{fmt}"
    path.write_text(export_feedback(feedback_rows, fmt), encoding="utf-8")
    first, second = load_questions(path)
    assert (first.id, first.lang, first.kind, first.evidence) == ("feedback-1", "da", "fact", [])
    assert second.question == "Who wrote the foreword?" and second.lang == "en"


def test_feedback_joins_a_labelled_set_and_is_scored(feedback_rows, tmp_path, store_settings, eval_service):
    feedback = tmp_path / "feedback.jsonl"
    feedback.write_text(export_feedback(feedback_rows, "jsonl"), encoding="utf-8")
    labelled = tmp_path / "labelled.json"
    labelled.write_text(json.dumps([{"id": "dur", "question": "Hvor lang tid varede et interview typisk?",
                                     "kind": "number", "evidence": ["cirka 30 minutters varighed"],
                                     "must_mention": ["30"]}]), encoding="utf-8")
    summary = evaluate(store_settings, [labelled, feedback], tmp_path / "run", baseline=None, progress=False,
                       service=eval_service)
    assert list(summary["questions"]) == ["dur", "feedback-1", "feedback-2"]
    unlabelled = summary["questions"]["feedback-1"]
    assert unlabelled["hit@5"] is None and unlabelled["supported"] is None  # no evidence: not scored on it
    assert summary["metrics"]["all"]["answerable"] == 3 and summary["metrics"]["all"]["errors"] == 0


def test_joined_sets_keep_ids_unique(feedback_rows, tmp_path):
    path = tmp_path / "feedback.jsonl"
    path.write_text(export_feedback(feedback_rows, "jsonl"), encoding="utf-8")
    with pytest.raises(InputError, match="already used in"):
        load_question_sets([path, path])
