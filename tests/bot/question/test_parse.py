"""The one parsed question: made once per ask from the raw text and its history, read by the answer rooms."""
from __future__ import annotations

from bot.question.parse import numbers_of, parse_question
from bot.question.terms import stem


def test_a_plain_question_is_parsed_once_into_its_parts():
    question = parse_question("Hvor mange regionale topledere blev interviewet?")
    assert question.language == "da" and not question.is_followup
    assert question.asks.kind == "count"
    assert question.counted == (stem("regionale"), stem("topledere"))
    assert stem("interviewet") in question.terms
    assert question.filters.speaker  # "regionale topledere" names a speaker group


def test_a_followup_carries_its_topic_and_the_new_speaker():
    history = [{"role": "user", "content": "Hvad sagde de kommunale topledere om teknologi?"},
               {"role": "assistant", "content": "..."}]
    question = parse_question("og hvad med regionerne?", history)
    assert question.is_followup and question.previous == "Hvad sagde de kommunale topledere om teknologi?"
    assert "teknologi" in question.text and question.focus == "og hvad med regionerne?"
    assert question.filters.speaker and "region" in question.filters.speaker.lower()


def test_an_english_followup_of_a_danish_question_keeps_its_own_language_when_clear():
    history = [{"role": "user", "content": "Hvad siger rapporten om klima?"}]
    assert parse_question("and what did the state leaders say about it?", history).language == "en"


def test_questions_about_the_whole_report_search_with_its_title_but_ask_the_model_without_it():
    question = parse_question("Hvad handler rapporten om?", report_titles="Analyse af innovationsdagsorden")
    assert question.about_report and question.text.endswith("Analyse af innovationsdagsorden")
    assert question.standalone == "Hvad handler rapporten om?"


def test_flags_read_off_the_wording():
    assert parse_question("Write me a poem about innovation").creative_task
    assert parse_question("Hvad er COI's hjemmeside?").wants_address
    assert parse_question("Hvad er kilden til figur 3?").wants_source
    assert not parse_question("Hvad er radikal innovation?").creative_task


def test_numbers_are_digits_only_and_years_are_left_out():
    assert numbers_of("per 1,000 inhabitants in 2019") == {"1000"}
    assert parse_question("How many staff per 1,000 inhabitants?").numbers == {"1000"}
