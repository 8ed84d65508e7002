"""The scale bench's questions: drawn from the bank's train and dev splits only, all distinct."""
from __future__ import annotations

from eval.bench.scale import SPLITS, bank_questions
from eval.questions import load_question_sets, split_files


def test_scale_questions_are_distinct_and_from_train_and_dev() -> None:
    questions = bank_questions(500)
    assert len(questions) == len(set(questions)) == 500
    assert SPLITS == ("train", "dev")
    bank = {q.question for split in SPLITS for q in load_question_sets(
        [p for p in split_files(split) if "bank" in p.parts])}
    assert all(q in bank or q.rsplit(" (", 1)[0] in bank for q in questions)
