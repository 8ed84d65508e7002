"""Suggested follow-ups fit the answer and get answered: for every example question of both page languages,
each suggestion is in the question's language and, asked, is answered (not refused)."""
from __future__ import annotations

import pytest

from bot.web.chat import ChatLogic, load_metadata
from bot.web.holder import ServiceHolder
from bot.web.texts import texts
from ingest.settings import BUNDLED_METADATA

EXAMPLES = list(dict.fromkeys(texts("da")["examples"] + texts("en")["examples"]))


@pytest.fixture(scope="module")
def logic(answer_service, store_settings):
    return ChatLogic(store_settings, ServiceHolder(lambda: answer_service), None, None,
                     load_metadata(None, BUNDLED_METADATA))


@pytest.mark.parametrize("question", EXAMPLES)
def test_every_suggestion_is_answered_in_the_questions_language(question, logic, answer_service):
    answer = answer_service.ask(question)
    suggestions = logic.followups(answer, [{"question": question}])
    assert 1 <= len(suggestions) <= 3, suggestions
    assert all(s.casefold() != question.casefold() for s in suggestions)
    for suggestion in suggestions:
        followed = answer_service.ask(suggestion)
        assert not followed.refused, (suggestion, followed.answer[:200])
        assert followed.language == answer.language, suggestion


def test_the_next_list_item_is_suggested_as_a_leaders_question(logic, answer_service):
    answer = answer_service.ask("Hvad er de seks opmærksomhedspunkter?")
    assert "Hvad betyder det, at styringslogikken hæmmer innovationsarbejdet?" in logic.followups(answer, [])


def test_an_english_question_quoting_the_report_stays_english(answer_service):
    assert answer_service.ask("What does the section “Dem har vi talt med” say?").language == "en"
