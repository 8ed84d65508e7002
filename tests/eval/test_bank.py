"""The question bank: every split loads, holds its share of near misses, and every gold evidence string is in
the report. Failures name only counts and ids, never a sealed question's text."""
from __future__ import annotations

from functools import lru_cache

import pytest
import yaml

from eval.questions import load_question_sets, split_files
from ingest.cleaning import normalise_for_match
from ingest.settings import BUNDLED_REPORT, PROJECT_ROOT

REPORT = normalise_for_match(BUNDLED_REPORT.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def singles(split: str) -> tuple:
    """A split's single questions, read once per test run (the bank's YAML takes a while to parse)."""
    return tuple(load_question_sets(split_files(split)))


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_each_split_loads_with_near_misses_and_verbatim_evidence(split):
    questions = singles(split)
    assert len(questions) >= 150
    assert sum(q.kind == "out_of_scope" for q in questions) >= 0.2 * len(questions)
    missing = [q.id for q in questions for e in q.evidence or [] if normalise_for_match(e) not in REPORT]
    assert not missing, f"{len(missing)} evidence strings not in the report: {missing[:10]}"


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_conversations_have_turns_with_verbatim_evidence(split):
    conversations = [c for path in sorted((PROJECT_ROOT / "eval" / "bank" / split).glob("*-conversations.yaml"))
                     for c in yaml.safe_load(path.read_text(encoding="utf-8"))]
    assert len(conversations) >= 14 and all(len(c["turns"]) >= 3 for c in conversations)
    missing = [c["id"] for c in conversations for t in c["turns"] for e in t.get("evidence") or []
               if normalise_for_match(e) not in REPORT]
    assert not missing, f"{len(missing)} evidence strings not in the report: {missing[:10]}"


def test_the_bank_is_large_enough_to_learn_from():
    assert sum(len(singles(s)) for s in ("train", "dev", "test")) >= 900
