"""The one shape of a conversation's history, shared by every client and the eval.

A history is a list of `{"role": "user"|"assistant", "content": text}` messages, oldest first; an assistant
message may also carry `"citations"`: the earlier answer's citations (`bot.types.HistoryCitation`), so that a
follow-up pointing into that answer ("uddyb nummer tre", "the second one") is resolved against what the
answer cited, not by re-reading its prose. The page, `/api/ask`, `/v1/chat/completions` (from the
`rapportbot` object an earlier reply carried, when the client echoes it) and the interactive CLI build it
here, and so does the eval's conversation runner, so all of them hand the service the same thing.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from bot.types import Answer

HISTORY_EXCHANGES = 6  # earlier question/answer pairs kept: enough for "back to the list", bounded work


def citation_items(citations: Iterable[Any]) -> list[dict]:
    """The lean form of an answer's citations (dicts or Citation objects) as a history turn carries them."""
    items = []
    for c in citations:
        get = c.get if isinstance(c, dict) else (lambda key, c=c: getattr(c, key, None))
        if not isinstance(get("quote"), str) or not isinstance(get("n"), int):
            continue
        items.append({"n": get("n"), "quote": get("quote"), "section": get("section"), "page": get("page"),
                      "speaker": get("speaker"), "chunk_id": get("chunk_id"), "nearest": bool(get("nearest"))})
    return items


# "[2] “quote” — section, s. 12" as /v1 writes citations out (bot/web/render.py: citations_markdown).
_CITATION_LINE = re.compile(r"^\[(\d{1,2})\]\s+[“\"”](.+?)[”\"]\s+—\s+(.+)$")


def citations_from_markdown(text: str) -> list[dict]:
    """The citations a /v1 reply wrote out, read back from a client that echoes only the message content."""
    found = []
    for line in text.splitlines():
        match = _CITATION_LINE.match(line.strip())
        if match:
            # "Afsnit, s. 12, Kommunal topleder": the section title is what stands before the page
            section = re.split(r",\s+(?:s|p)\.\s+\d", match.group(3), maxsplit=1)[0].strip() or None
            found.append({"n": int(match.group(1)), "quote": match.group(2), "section": section, "page": None,
                          "speaker": None, "chunk_id": None, "nearest": False})
    return found


def assistant_turn(answer: Answer | dict) -> dict:
    """An earlier answer (an Answer or its JSON contract) as an assistant history message."""
    data = answer.model_dump(mode="json") if isinstance(answer, Answer) else answer
    turn: dict = {"role": "assistant", "content": str(data.get("answer") or "")}
    citations = citation_items(data.get("citations") or [])
    if citations:
        turn["citations"] = citations
    return turn


def history_turns(exchanges: Iterable[tuple[str, Answer | dict]]) -> list[dict]:
    """(question, answer) pairs, oldest first, as the history the service reads (the last few only)."""
    history: list[dict] = []
    for question, answer in list(exchanges)[-HISTORY_EXCHANGES:]:
        history += [{"role": "user", "content": question}, assistant_turn(answer)]
    return history
