"""Named interviewees on the real store: the report lists them by name and quotes them anonymously, so what a
named person said gets that explanation with their entry in the list, never an anonymous quote as theirs."""
from __future__ import annotations

import pytest

from bot.service import AnswerService


@pytest.fixture(scope="module")
def service(store_settings) -> AnswerService:
    return AnswerService(store_settings)


@pytest.mark.parametrize("question, name", [
    ("Hvad mener Christian Boel om det digitale moonshot i Region Nordjylland?", "Christian Boel"),
    ("What does Niels Højberg, the Aarhus city director, think about councils taking risks?", "Niels Højberg"),
])
def test_what_a_named_interviewee_said_gets_the_explanation_and_their_entry(service, question, name):
    answer = service.ask(question)
    assert answer.refused
    assert answer.answer.startswith(("Rapporten svarer ikke på det.", "The report does not say."))
    assert ("anonymt" in answer.answer) if answer.language == "da" else ("anonymously" in answer.answer)
    assert len(answer.citations) == 1 and name in " ".join(answer.citations[0].quote.split())
    assert answer.citations[0].speaker is None and answer.citations[0].section.endswith("Dem har vi talt med")


def test_a_named_persons_role_is_an_ordinary_question(service):
    answer = service.ask("Hvilken stilling har Stefan Hermann?")
    assert not answer.refused
    assert any("Stefan Hermann" in c.quote for c in answer.citations)


def test_a_near_miss_says_what_the_nearest_passage_does_not_give(service):
    money = service.ask("Hvor mange penge bruger kommunerne på innovation?")
    assert money.refused and "men giver ikke noget beløb" in money.answer
    far = service.ask("Hvad er hovedstaden i Frankrig?")
    assert far.refused and "nærmest i afsnittet" not in far.answer
