"""The committed question set: valid, spread over the report, and every gold evidence really in the report."""
from __future__ import annotations

import re
from collections import Counter

import pytest

from eval.matching import contains, contains_folded, fold
from eval.questions import load_questions
from ingest.settings import BUNDLED_REPORT, PROJECT_ROOT

QUESTIONS = PROJECT_ROOT / "eval" / "questions.yaml"


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def questions():
    return load_questions(QUESTIONS)


# The report and the store's chunks are folded once per module; each check below runs over hundreds of evidences.
@pytest.fixture(scope="module")
def report_text():
    return BUNDLED_REPORT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def collapsed_report(report_text):
    return _collapse(report_text)


@pytest.fixture(scope="module")
def folded_report(report_text):
    """The report in matching form: contains(report, e) is contains_folded(fold(report), e)."""
    return fold(report_text)


@pytest.fixture(scope="module")
def folded_chunks(eval_service):
    return [fold(f"{c.section} {c.text}") for c in eval_service.store.chunks]


def test_set_size_and_mix(questions):
    kinds = Counter(q.kind for q in questions)
    assert len(questions) >= 60
    assert kinds["out_of_scope"] >= 8
    assert sum(q.lang == "en" for q in questions) >= 10
    assert sum(q.lang == "en" and not q.answerable for q in questions) >= 2
    for kind in ("fact", "number", "list", "quote", "synthesis"):
        assert kinds[kind] >= 2, kind
    assert all(q.lang in ("da", "en") for q in questions)


def test_answerable_questions_are_complete(questions):
    for q in questions:
        assert q.gold_answer, q.id
        if q.answerable:
            assert q.evidence and q.must_mention, q.id
            assert all(term == term.lower() for term in q.must_mention), q.id


def test_every_evidence_is_verbatim_in_the_report(questions, collapsed_report):
    """Whitespace-folded evidence must be in the whitespace-folded report, without crossing a split word."""
    missing = [(q.id, e) for q in questions for e in q.evidence if _collapse(e) not in collapsed_report]
    assert not missing


def test_evidence_also_found_in_matching_form(questions, report_text, folded_report):
    assert all(contains_folded(folded_report, e) for q in questions for e in q.evidence)
    # and the matching form is not so loose that anything matches
    assert not contains(report_text, "Rapporten nævner kunstig intelligens i folkeskolen")


def test_must_mention_terms_appear_in_gold_answer_or_evidence(questions):
    for q in questions:
        text = (q.gold_answer or "").lower() + " " + " ".join(q.evidence).lower()
        for term in q.must_mention:
            assert any(alt in text for alt in term.split("|")), (q.id, term)


def test_set_covers_the_whole_report(questions, collapsed_report):
    positions = sorted(collapsed_report.find(_collapse(e)) for q in questions for e in q.evidence)
    tenths = {int(10 * p / len(collapsed_report)) for p in positions}
    assert tenths == set(range(10))


def test_every_evidence_is_in_a_chunk_of_the_built_store(questions, folded_chunks):
    """Cleaning and chunking keep every gold evidence intact inside one chunk, so hit@k can reach 1."""
    lost = [(q.id, e) for q in questions for e in q.evidence if not any(fold(e) in c for c in folded_chunks)]
    assert not lost


INDEPENDENT = sorted((PROJECT_ROOT / "eval").glob("questions_independent_*.yaml"))


@pytest.mark.parametrize("path", INDEPENDENT, ids=lambda p: p.name)
def test_independent_sets_are_valid_and_their_evidence_is_in_the_report_and_the_store(path, collapsed_report,
                                                                                      folded_report, folded_chunks):
    """The sets written apart from the calibration (eval/questions_independent_*.yaml) hold to the same rules."""
    questions = load_questions(path)
    assert len(questions) >= 60 and sum(not q.answerable for q in questions) >= 15
    assert {q.lang for q in questions} == {"da", "en"}
    assert not [(q.id, e) for q in questions for e in q.evidence if _collapse(e) not in collapsed_report]
    assert all(contains_folded(folded_report, e) for q in questions for e in q.evidence)
    assert not [(q.id, e) for q in questions for e in q.evidence if not any(fold(e) in c for c in folded_chunks)]
    assert all(q.evidence for q in questions if q.answerable)
