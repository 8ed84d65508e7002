"""Named people: the report lists its interviewees by name but quotes them anonymously.

"Hvad mener Christian Boel om ...?" cannot be answered from the report: no quote is attributed to anyone by
name, and answering with an anonymous quote would present it as that person's. Such a question gets that
explanation, in the user's language, with the person's own entry in the list of interviewees as the one
passage shown. A question about the person's role ("Hvilken stilling har Stefan Hermann?") is an ordinary
question: the list answers it.
"""
from __future__ import annotations

import re
from typing import Any

from bot.answer.compose import in_quote_marks, make_citation
from bot.llm.prompts import refusal_phrase
from bot.question.parse import Question
from bot.types import Answer

_EXPLAINED = {
    "da": ("{name} er blandt dem, rapporten har interviewet, men rapporten citerer de interviewede anonymt og "
           "siger ikke, hvad {name} selv har sagt eller mener. Her står {name} i listen over de interviewede:"),
    "en": ("{name} is among the people the report interviewed, but the report quotes its interviewees "
           "anonymously and does not say what {name} personally said or thinks. This is {name}'s entry in its "
           "list of interviewees (in Danish):"),
}


def _entry(store: Any, name: str) -> tuple[Any, Any, int, int] | None:
    """(document, chunk, start, end) of `name`'s entry in a list: from the name to the end of its item."""
    pattern = re.compile(r"\s+".join(map(re.escape, name.split())), re.IGNORECASE)
    for doc_id, document in store.documents.items():
        clean = getattr(document, "clean_text", None) or ""
        for match in pattern.finditer(clean):
            line_start = clean.rfind("\n", 0, match.start()) + 1
            if not clean[line_start:match.start()].strip(" \t") in ("•", "-", "–", "*"):
                continue  # the name in running text, not an entry of the list
            stops = [i for i in (clean.find("\n\n", match.end()), clean.find("•", match.end())) if i != -1]
            end = min(stops) if stops else len(clean)
            chunk = next((c for c in store.chunks if c.doc_id == doc_id and c.start <= match.start() < c.end),
                         None)
            if chunk is not None:
                return document, chunk, match.start(), end
    return None


def named_person_answer(store: Any, question: Question) -> Answer | None:
    """The explanation for a question about what a listed interviewee said or thinks, else None."""
    if not question.asks_opinion or not question.names:
        return None
    language = "en" if question.language == "en" else "da"
    for name in question.names:
        found = _entry(store, name)
        if found is None:
            continue
        _, chunk, start, end = found
        citation = make_citation(store, 1, chunk, start, end, None, nearest=True)
        if citation is None:
            continue
        text = (f"{refusal_phrase(language)} {_EXPLAINED[language].format(name=name)}\n\n"
                f"[1] {in_quote_marks(' '.join(citation.quote.split()))}")
        return Answer(question=question.raw, language=language, mode="extractive", refused=True, answer=text,
                      citations=[citation])
    return None
