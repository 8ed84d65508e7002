"""Extractive answers on the real store: the right passages, verbatim, in the question's language."""
from __future__ import annotations

import re

import pytest

from bot.service import AnswerService


@pytest.fixture(scope="module")
def service(store_settings) -> AnswerService:
    return AnswerService(store_settings)


def _assert_verbatim(service: AnswerService, answer) -> None:
    for citation in answer.citations:
        clean = service.store.documents[citation.doc_id].clean_text
        assert clean[citation.start:citation.start + len(citation.quote)] == citation.quote
        assert citation.quote in citation.text or citation.quote.split()[0] in citation.text


def _quotes(answer) -> str:
    return " ".join(" ".join(c.quote.split()) for c in answer.citations)


@pytest.mark.parametrize("question, lead", [
    ("Hvor mange topledere blev interviewet?", "Ifølge rapporten:"),
    ("How many leaders were interviewed?", "According to the report"),
])
def test_count_question_quotes_the_numbers(service, question, lead):
    answer = service.ask(question)
    assert not answer.refused and answer.mode == "extractive"
    assert answer.answer.startswith(lead)
    quotes = _quotes(answer)
    assert "24" in quotes or re.search(r"interviewet (14|fem) \w+ topledere", quotes), quotes
    _assert_verbatim(service, answer)


@pytest.mark.parametrize("question", [
    "Hvilke seks opmærksomhedspunkter trækker analysen frem?",
    "Which six points of attention does the report highlight?",
])
def test_list_question_returns_the_six_points(service, question):
    answer = service.ask(question)
    assert not answer.refused
    assert len(answer.citations) == 6
    assert [c.quote.split()[0] for c in answer.citations] == [f"#{n}" for n in range(1, 7)]
    assert "flyvehøjde" in answer.citations[0].quote
    _assert_verbatim(service, answer)


def test_four_dimensions_of_the_new_synthesis(service):
    answer = service.ask("Hvad er de fire dimensioner i den nye syntese?")
    assert not answer.refused
    text = _quotes(answer).lower()
    assert sum(word in text for word in ["performance", "compliance", "emergen", "resilien"]) >= 3, text


def test_quote_question_cites_the_interview_quote_whole_with_its_speaker(service):
    answer = service.ask("Hvad sagde en regional topleder om hverdagsinnovation?")
    assert not answer.refused
    hit = [c for c in answer.citations if "Hverdagsinnovation er blevet normalt" in c.quote]
    assert hit and hit[0].speaker == "Regional topleder"
    assert hit[0].quote.startswith("“") and hit[0].quote.endswith("”")  # the whole attributed quote
    _assert_verbatim(service, answer)


def test_regional_leaders_filter_gives_regional_quotes(service):
    answer = service.ask("Hvad sagde de regionale topledere om innovation?")
    assert not answer.refused and answer.citations
    # Their own quotes, or narrative that reports them ("De regionale topledere giver udtryk for ...").
    assert all(c.speaker == "Regional topleder" or "regionale topledere" in " ".join(c.quote.lower().split())
               for c in answer.citations)
    assert any(c.speaker == "Regional topleder" for c in answer.citations)


def test_citations_are_distinct_and_at_most_max_quotes(service):
    for question in ["Hvad er radikal innovation?", "Hvorfor er risikovilligheden lav?",
                     "What do the leaders say about technology?"]:
        answer = service.ask(question)
        quotes = [" ".join(c.quote.split()) for c in answer.citations]
        assert 1 <= len(quotes) <= service.settings.answer.max_quotes
        assert len(set(quotes)) == len(quotes)
        assert [c.n for c in answer.citations] == list(range(1, len(quotes) + 1))
        assert all(f"[{c.n}]" in answer.answer for c in answer.citations)
        _assert_verbatim(service, answer)


def test_lead_line_only_restates_the_top_quote(service):
    answer = service.ask("Hvad er radikal innovation?")
    lead = answer.answer.split("\n")[0].removeprefix("Ifølge rapporten:").removesuffix("[1]").strip(" …")
    assert lead and lead.rstrip(" .…") in " ".join(answer.citations[0].quote.split())


def test_the_asked_for_kind_counts_next_to_the_question_subject(service):
    # Any sentence with a percentage would do for "hvor mange procent"; the one about diagnoses is the answer.
    answer = service.ask("Hvor mange procent taler en kommunal topleder om, når det gælder væksten i diagnoser?")
    assert not answer.refused
    assert "10-15 pct." in " ".join(answer.citations[0].quote.split()), answer.citations[0].quote
    _assert_verbatim(service, answer)
