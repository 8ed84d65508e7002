"""Reading model replies: the asked-for shape and the shapes real models drift into."""
from __future__ import annotations

import pytest

from bot.llm.parse import MalformedReply, parse_reply, passage_markers, renumber_markers, streamed_answer
from bot.llm.prompts import refusal_phrase

REFUSALS = [refusal_phrase("da"), refusal_phrase("en")]
Q1 = "Der er jo virkelig sket en modning af innovationsdagsordenen."
Q2 = "Kulturen forblev, som den var."


@pytest.mark.parametrize("reply", [
    f'Svar [1] og [2].\nQUOTES:\n[1] "{Q1}"\n[2] "{Q2}"',
    f'Svar [1] og [2].\n\n**Citater:**\n- [1]: “{Q1}”\n- [2]: „{Q2}“',
    f'Svar [1] og [2].\nQuotes: [1] "{Q1}"\n[2] "{Q2}"',
    f'Svar [1] og [2].\n### Kilder\n- "{Q1}" [1]\n- "{Q2}" (passage 2)',
    f'Svar [1] og [2].\n\n[1] "{Q1}"\n[2] "{Q2}"',
    f'```json\n{{"answer": "Svar [1] og [2].", "quotes": [{{"passage": 1, "quote": "{Q1}"}}, '
    f'{{"passage": 2, "quote": "{Q2}"}}], "refused": false}}\n```',
    f'<think>Passage 1 and 2.</think>\nSvar [1] og [2].\nQUOTES:\n[1] "{Q1}"\n[2] "{Q2}"',
], ids=["asked", "bold-heading", "heading-inline", "trailing-numbers", "no-heading", "json-fence", "think"])
def test_reply_shapes(reply: str) -> None:
    parsed = parse_reply(reply, REFUSALS)
    assert parsed.answer == "Svar [1] og [2]." and not parsed.refused
    assert [(q.passage, q.quote) for q in parsed.quotes] == [(1, Q1), (2, Q2)]


def test_quotes_in_the_prose_are_the_last_resort() -> None:
    parsed = parse_reply(f"Lederne siger “{Q1}” [1], og “{Q2}” [2].", REFUSALS)
    assert parsed.inline and [(q.passage, q.quote) for q in parsed.quotes] == [(1, Q1), (2, Q2)]


@pytest.mark.parametrize("reply", ["Rapporten svarer ikke på det.", "rapporten svarer ikke på det", "The report does not say.",
                                   '{"answer": "The report does not say.", "quotes": [], "refused": true}',
                                   "Rapporten svarer ikke på det. Den handler om innovation."])
def test_refusals(reply: str) -> None:
    parsed = parse_reply(reply, REFUSALS)
    assert parsed.refused and parsed.quotes == []


@pytest.mark.parametrize("reply", ["", "   ", "<think>only thinking", "QUOTES:\n[1] \"x\"", "...", "```\n```"])
def test_replies_without_an_answer_are_malformed(reply: str) -> None:
    with pytest.raises(MalformedReply):
        parse_reply(reply, REFUSALS)


def test_streamed_answer_stops_at_the_quote_list() -> None:
    full = f'Svar [1].\nQUOTES:\n[1] "{Q1}"'
    seen = [streamed_answer(full[:i]) for i in range(len(full) + 1)]
    assert all(b.startswith(a) or len(b) < len(a) for a, b in zip(seen, seen[1:]))
    assert max(seen, key=len) == "Svar [1]." and seen[-1] == "Svar [1]."
    assert not any("QUO" in s for s in seen)


def test_streamed_answer_reads_the_json_answer_field() -> None:
    full = '{"answer": "Hun sagde \\"ja\\" [1]\\nog gik.", "quotes": []}'
    final = 'Hun sagde "ja" [1]\nog gik.'
    seen = [streamed_answer(full[:i]) for i in range(len(full) + 1)]
    assert all(final.startswith(s.rstrip()) for s in seen)  # a half-read escape never shows
    assert seen[-1] == final and seen[21] == "Hun sagde"


def test_markers_are_renumbered_and_dropped_ones_removed() -> None:
    answer = "A [3], B [1, 3] og C [2]. D [5]."
    assert passage_markers(answer) == [3, 1, 2, 5]
    assert renumber_markers(answer, {3: [1], 1: [2], 5: [3, 4]}) == "A [1], B [2][1] og C. D [3][4]."


def test_spelled_out_passage_markers_become_numbers() -> None:
    parsed = parse_reply(f'Svar [Passage 1] og [kilde 1, 2].\nQUOTES:\n[1] "{Q1}"', REFUSALS)
    assert parsed.answer == "Svar [1] og [1, 2]." and passage_markers(parsed.answer) == [1, 2]
