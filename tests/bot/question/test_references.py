"""Follow-ups that point into an earlier answer: the grammar of references and the items they pick. Pure
functions on history dicts as every client sends them (bot/history.py); no store needed."""
from __future__ import annotations

import pytest

from bot.question.followup import looks_like_followup, resolve_followup
from bot.question.parse import parse_question
from bot.question.references import Pointer, enumerated, find_pointer, resolve_reference

SIX = [f"#{n} {title}" for n, title in enumerate(
    ["Innovationsarbejdet taber flyvehøjde i en presset drift", "Styringslogikken hæmmer innovationsarbejdet",
     "Spredningen af gode løsninger halter stadig", "Klimadagsordenen er en bunden innovationsopgave",
     "Teknologi og digitalisering fremmer innovation",
     "De store udfordringer skal løses med innovation i samarbejde"], start=1)]
LIST_TURN = [{"role": "user", "content": "Hvad er de seks opmærksomhedspunkter?"},
             {"role": "assistant", "content": "Rapporten nævner 6: ...",
              "citations": [{"n": n, "quote": q, "section": f"Seks opmærksomhedspunkter > {q}"}
                            for n, q in enumerate(SIX, start=1)]}]
ENUMERATING = ("Toplederne i undersøgelsen fremhæver særligt tre udfordringer i arbejdet med at give den digitale "
               "transformation flyvehøjde: Mangel på kompetencer i egen organisation, udfordringer med at dele data "
               "på tværs af områder og organisationer samt udfordringen med at få alle borgere og virksomheder med "
               "på den teknologiske bølge.")


@pytest.mark.parametrize("question, pointer", [
    ("uddyb nummer to", Pointer(positions=(2,))),
    ("og punkt 5?", Pointer(positions=(5,))),
    ("nr 1 uddyb", Pointer(positions=(1,))),
    ("og nr. 3", Pointer(positions=(3,))),
    ("Tell me more about the second one.", Pointer(positions=(2,))),
    ("Tilbage til listen: hvad går det sjette punkt ud på?", Pointer(positions=(6,))),
    ("OK. And the third problem on your list?", Pointer(positions=(3,))),
    ("og de to næste?", Pointer(relative="next", count=2)),
    ("and the last one?", Pointer(relative="last")),
    ("uddyb den foerste", Pointer(positions=(1,))),
])
def test_pointers_are_read_in_both_languages(question, pointer):
    assert find_pointer(question) == pointer


@pytest.mark.parametrize("question", [
    "Which scandal do leaders point to as a reason for low appetite for risk?",
    "What's the number one strategic priority for these people?",
    "Hvad siger rapporten om den første innovationsbølge og dens enheder?",
    "Are good ideas actually spreading from one agency or town hall to the next?",
    "Who was the one top leader who said no to being interviewed, and why?",
    "hvad skete der det sidste år?",
])
def test_words_that_only_look_like_pointers_point_at_nothing(question):
    assert find_pointer(question) is None


def test_an_enumerating_quote_lists_its_items():
    assert enumerated(ENUMERATING) == [
        "Mangel på kompetencer i egen organisation",
        "udfordringer med at dele data på tværs af områder og organisationer",
        "udfordringen med at få alle borgere og virksomheder med på den teknologiske bølge"]
    assert enumerated("Når toplederne taler om klima, bæredygtighed og den grønne omstilling, spiller de en rolle.") == []


def test_a_list_item_is_picked_and_narrows_to_its_section():
    question = parse_question("uddyb nummer to", LIST_TURN)
    assert question.text.startswith(SIX[1]) and question.is_followup
    assert question.filters.section_query == SIX[1] and question.filters.section_number is None
    assert not question.asks.is_list  # it asks about one item, not for the six again


def test_the_latest_list_wins_over_a_later_answer_that_is_no_list():
    switch = [{"role": "user", "content": "Noget andet – hvornår blev interviewene gennemført?"},
              {"role": "assistant", "content": "...", "citations": [
                  {"n": 1, "quote": "Alle interviews er gennemført i perioden fra 8. november til 9. december 2019."}]}]
    reference = resolve_reference("Tilbage til listen: hvad går det sjette punkt ud på?", LIST_TURN + switch)
    assert reference is not None and reference.text == SIX[5]
    after_two = LIST_TURN + [{"role": "user", "content": "uddyb nummer to"}, {"role": "assistant", "content": "."}]
    assert resolve_reference("og de to næste?", after_two).positions == (3, 4)


def test_an_enumeration_inside_a_quote_is_the_list_pointed_at():
    history = [{"role": "user", "content": "What problems do the bosses run into when they go digital?"},
               {"role": "assistant", "content": "...", "citations": [
                   {"n": 1, "quote": "Det skaber store udfordringer, at der er udvalgte grupper af borgere."},
                   {"n": 2, "quote": ENUMERATING}]}]
    resolved = resolve_followup("Tell me more about the second one.", history)
    assert "dele data" in resolved.text and "andet" in resolved.text
    assert "bosses" in resolved.text  # the listing question keeps the topic


def test_without_citations_a_pointer_falls_back_to_nothing_or_the_plain_follow_up():
    history = [{"role": "user", "content": "Hvad er de seks opmærksomhedspunkter?"},
               {"role": "assistant", "content": "Rapporten nævner 6 ..."}]
    assert resolve_reference("uddyb nummer to", history) is None
    assert resolve_followup("uddyb nummer to", history).is_followup


def test_pronouns_and_ellipsis_carry_the_topic_and_a_switch_does_not():
    history = [{"role": "user", "content": "Hvad sagde de kommunale topledere om risikovillighed?"},
               {"role": "assistant", "content": "..."}]
    for question in ["hvorfor?", "Hvem var det, der sagde det med tsunamien?", "kan du sige det kortere?",
                     "Why did that one council boss stop using it?", "any downsides?"]:
        resolved = resolve_followup(question, history)
        assert resolved.is_followup and "risikovillighed" in resolved.text, question
    assert parse_question("giv et eksempel på det", history).filters.speaker == "Kommunal topleder"
    for question in ["Noget andet – hvornår blev interviewene egentlig gennemført?",
                     "OK, new question: which hospital directors took part?",
                     "Switching topics: what does it say about family doctors?"]:
        assert not looks_like_followup(question), question
        assert not resolve_followup(question, history).is_followup
