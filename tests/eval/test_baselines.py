"""Baseline building blocks: naive fixed-size chunks of the raw text and the quote each citation shows."""
from __future__ import annotations

from eval.baselines import Passage, best_sentence, cite_top_passages, naive_chunks
from eval.questions import Question
from ingest.settings import BUNDLED_REPORT


def test_naive_chunks_are_1000_characters_overlapping_by_200():
    text = BUNDLED_REPORT.read_text(encoding="utf-8")
    chunks = naive_chunks(text)
    assert all(len(c) == 1000 for c in chunks[:-1]) and 0 < len(chunks[-1]) <= 1000
    assert chunks[0][800:] == chunks[1][:200]
    assert "".join(c[:800] for c in chunks[:-1]) + chunks[-1] == text  # nothing lost, nothing cleaned


def test_best_sentence_and_citations():
    text = "Intet her. Interviewene varede cirka 30 minutter hver. Andet."
    passage = Passage("c1", "Metode", 5, text, [], 0.9)
    q = Question(id="x", question="Hvor længe varede interviewene?", kind="number")
    assert best_sentence(q.question, passage) == "Interviewene varede cirka 30 minutter hver."
    answer = cite_top_passages(q, [passage] * 6)
    assert len(answer.citations) == 4 and len(answer.retrieved) == 6 and not answer.refused
    assert answer.language == "da" and answer.citations[0].quote in answer.answer
