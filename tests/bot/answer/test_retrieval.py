"""Retrieval, language detection, filters and follow-ups, against the real store of the bundled report."""
from __future__ import annotations

import time

import pytest

from bot.question.filters import filters_for, parse_filters
from bot.question.followup import resolve_followup
from bot.question.parse import parse_question
from bot.question.language import detect_language
from bot.answer.retrieval import HybridRetriever, Query, embed, retrieve


@pytest.fixture(scope="module")
def store(store_settings):
    from ingest.store import ReportStore

    return ReportStore.open(store_settings)


def _query(store, text: str, language: str | None = None) -> Query:
    question = parse_question(text)
    assert language is None or question.language == language
    return Query(question, vector=embed(store, text))


@pytest.mark.parametrize("text, expected", [
    ("Hvad er COI?", "da"), ("What is COI?", "en"), ("hej", "da"), ("hello", "en"),
    ("Hvor mange topledere blev interviewet?", "da"), ("How many leaders were interviewed?", "en"),
    ("hvad kan du?", "da"), ("what can you do?", "en"), ("og hvad med regionerne?", "da"),
    ("and the state leaders?", "en"), ("hvorfor?", "da"), ("why?", "en"), ("COI", "da"), ("", "da"),
])
def test_language_of_short_questions(text, expected):
    assert detect_language(text) == expected


def test_speaker_and_section_filters_are_read_from_the_question():
    assert parse_filters("Hvad sagde de regionale topledere om teknologi?").speaker == "Regional topleder"
    assert parse_filters("What did the municipal leaders say about climate?").speaker == "Kommunal topleder"
    assert parse_filters("what did the state leaders say about risk?").speaker == "Statslig topleder"
    assert parse_filters("Hvordan samarbejder kommuner og regioner?").speaker is None
    assert parse_filters("i afsnittet om klima, hvad står der?").section_query == "klima"
    assert parse_filters("Hvad står der i punkt #3?").section_number == 3
    # A follow-up's bare sector word switches the speaker only when the earlier question asked for one.
    assert filters_for("og hvad med regionerne?", "Hvad sagde de kommunale topledere om teknologi?").speaker \
        == "Regional topleder"
    assert filters_for("og hvad med regionerne?", "Hvordan arbejder kommunerne med klima?").speaker is None


def test_a_standing_part_of_the_report_named_in_either_language_is_a_section_filter(store, store_settings):
    assert parse_filters("Why does the foreword argue that small steps are not enough?").section_query == "forord"
    assert parse_filters("Hvad står der i forordet om tillid?").section_query == "forord"
    assert parse_filters("What does the appendix list?").section_query == "bilag"
    hits = retrieve(store, store_settings, _query(store, "What does the foreword say about trust?", "en"))
    assert hits and all(h.chunk.section == "Forord" for h in hits)
    # The report has no appendix text: the filter matches nothing and is dropped.
    assert retrieve(store, store_settings, _query(store, "What does the appendix list?", "en"))


def test_followups_combine_with_the_topic_question():
    history = [{"role": "user", "content": "Hvad sagde de kommunale topledere om teknologi?"},
               {"role": "assistant", "content": "..."}]
    for followup in ["og hvad med regionerne?", "uddyb det", "hvorfor?", "and the state leaders?", "Hvad betyder det?"]:
        resolved = resolve_followup(followup, history)
        assert resolved.is_followup, followup
        assert "teknologi" in resolved.text
    for standalone in ["Hvad er den nye syntese?", "Hvordan arbejder kommunerne med klima?"]:
        assert not resolve_followup(standalone, history).is_followup
    chained = history + [{"role": "user", "content": "og hvad med regionerne?"}, {"role": "assistant", "content": "."}]
    assert resolve_followup("og staten?", chained).previous == "Hvad sagde de kommunale topledere om teknologi?"
    assert not resolve_followup("og hvad med regionerne?", None).is_followup


def test_danish_and_english_questions_find_the_same_passage(store, store_settings):
    for text in ["Hvilke seks opmærksomhedspunkter trækker analysen frem?",
                 "Which six points of attention does the report highlight?"]:
        hits = retrieve(store, store_settings, _query(store, text))
        assert len(hits) == store_settings.retrieval.top_k
        assert any("opmærksomhedspunkt" in h.chunk.text or h.chunk.section.split(" > ")[-1].startswith("#")
                   for h in hits[:5]), text
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_compound_words_are_found(store, store_settings):
    hits = retrieve(store, store_settings, _query(store, "Hvad siger rapporten om dagsorden for klima?"))
    assert any("klimadagsorden" in h.chunk.text.lower() for h in hits)


def test_speaker_filter_keeps_that_speakers_quotes(store, store_settings):
    hits = retrieve(store, store_settings, _query(store, "Hvad sagde de regionale topledere om innovation?"))
    assert hits
    # Their quotes, or narrative that reports what the regional leaders said.
    assert all(h.chunk.speaker == "Regional topleder" or "Regional topleder" in h.chunk.text
               or "regionale topledere" in " ".join(h.chunk.text.lower().split()) for h in hits)
    assert any(h.chunk.speaker == "Regional topleder" or "Regional topleder" in h.chunk.text for h in hits)


def test_a_filter_that_matches_nothing_falls_back_to_no_filter(store, store_settings):
    query = _query(store, "i afsnittet om æblekager, hvad siger toplederne om risikovillighed?")
    assert query.filters.section_query
    hits = retrieve(store, store_settings, query)
    assert hits and any("risikovillig" in h.chunk.text.lower() for h in hits)


def test_numbered_section_filter(store, store_settings):
    hits = retrieve(store, store_settings, _query(store, "Hvad står der i punkt #3?"))
    assert hits and all("#3" in h.chunk.section for h in hits)


def test_rerank_setting_reorders_by_best_sentence(store, store_settings):
    settings = store_settings.model_copy(deep=True)
    settings.retrieval.rerank = True
    hits = retrieve(store, settings, _query(store, "Hvad er radikal innovation?"))
    assert hits and all(h.sentence is not None for h in hits)


def test_langchain_retriever_returns_documents(store, store_settings):
    retriever = HybridRetriever(store=store, settings=store_settings)
    docs = retriever.invoke("What is the new synthesis?")
    assert docs and docs[0].metadata["chunk_id"] == docs[0].id
    assert all(d.page_content for d in docs)


def test_plain_retrieve_is_fast_enough_to_skip_langchain_overhead(store, store_settings):
    """Informative comparison (printed, not asserted as a timing): the service calls `retrieve` directly."""
    query = _query(store, "Hvad er radikal innovation?")
    retrieve(store, store_settings, query)
    started = time.perf_counter()
    for _ in range(5):
        retrieve(store, store_settings, query)
    print(f"retrieve: {(time.perf_counter() - started) / 5 * 1000:.2f} ms per call (vector given)")
