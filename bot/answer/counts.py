"""Count questions ("Hvor mange topledere blev interviewet?", "How many leaders were interviewed?"): the
report's sentences that put a number on the thing the question counts, the total first.

Why: a report often gives a whole and its parts in different words ("samtaler med 24 udvalgte topledere";
"interviewet fem statslige / fem regionale / 14 kommunale topledere"). e5 links the question's verb to the
parts' verb and ranks the total lower, so ranking alone cites the parts. Here every sentence of the report
close to the question (within COUNT_WINDOW of the best cosine: one product with the precomputed sentence
vectors, no extra embedding) that holds "<number> [up to two words] <noun>" with the counted noun is a
candidate; the largest number comes first (the whole), then the parts.

The counted noun is read from the question ("hvor mange <noun>", "antallet af <noun>"), compound-aware
("ledere" counts "topledere"); the more of the question's other words the quantified phrase holds, the
better ("hvor mange regionale topledere" / "... kommer fra regionerne" -> "fem regionale topledere", not
the 24). An English question shares no
words with the Danish text, so its counted noun is the one that most of the close sentences quantify.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.question.asks import NUMBER_WORDS
from bot.answer.spans import Span
from bot.answer.retrieval import ChunkMatrix, Query, allowed_chunk_ids
from bot.question.terms import STOP_WORDS, stem, term_matches

COUNT_WINDOW = 0.06  # cosine below the report's best sentence within which a sentence may hold the count
MAX_COUNT_SPANS = 4

_WORD_VALUES = {**{k: v for k, v in NUMBER_WORDS.items() if k.isascii()}, "én": 1, "elleve": 11, "tolv": 12,
                "tyve": 20}
_WORDS = "|".join(sorted((w for w in _WORD_VALUES if not w.isascii() or w not in {"two", "three", "four", "five",
                          "six", "seven", "eight", "nine", "ten"}), key=len, reverse=True))
# "<number> [up to two lower-case words] <lower-case word>"; a year is not a count.
_QUANTITY = re.compile(rf"(?<![\w.,])(\d+|{_WORDS})\s+((?:[a-zæøå][\w-]*\s+){{0,2}}[a-zæøå][\w-]*)")


@dataclass(frozen=True)
class Quantity:
    value: int
    words: tuple[str, ...]  # stems of the quantified phrase; the last is its noun


def quantities(text: str) -> list[Quantity]:
    """Every "<number> <phrase>" in `text` ("24 udvalgte topledere" -> 24, [udvalgt, topled])."""
    found = []
    for match in _QUANTITY.finditer(" ".join(text.split())):
        number, phrase = match.group(1), match.group(2).split()
        value = int(number) if number.isdigit() else _WORD_VALUES.get(number.lower())
        if value is None or (number.isdigit() and 1900 <= value <= 2100):
            continue
        # Stop at a function word: "to af toplederne" quantifies nothing named.
        words = []
        for word in phrase:
            if word.lower() in STOP_WORDS:
                break
            words.append(stem(word.lower()))
        if words:
            found.append(Quantity(value, tuple(words)))
    return found


def _match(nouns: list[str], context: list[str], quantity: Quantity) -> int:
    """0 unless the phrase's noun is one the question counts; else 1 plus how many of the question's other
    words the phrase holds ("hvor mange ... fra kommunerne": "14 kommunale topledere" beats "24 udvalgte")."""
    noun = quantity.words[-1]
    if not any(_same_head(t, noun) for t in nouns):
        return 0
    stems = frozenset(quantity.words[:-1])
    return 1 + sum(term_matches(t, stems) for t in context if not _same_head(t, noun))


def _same_head(term: str, noun: str) -> bool:
    """The same noun, or one is the other's compound head ("ledere" / "topledere"); not a mere shared
    start ("regionale" is not "regioner")."""
    if term == noun:
        return True
    shorter, longer = sorted((term, noun), key=len)
    return len(shorter) >= 3 and longer.endswith(shorter)


def _nearby_spans(store: Any, query: Query) -> list[Span]:
    """Sentences of the whole report within COUNT_WINDOW of the best one, as spans scored by cosine."""
    index = ChunkMatrix.of(store)
    if query.vector is None or index.sentence_matrix is None:
        return []
    sims = index.sentence_matrix @ query.vector
    rows = np.flatnonzero(sims >= float(sims.max()) - COUNT_WINDOW)
    # "Hvor mange ... sagde de regionale topledere": the question's filters hold here as in retrieval.
    allowed = allowed_chunk_ids(index.chunks, query.filters, index.section_titles)
    spans = []
    for row in rows.tolist():
        place = index.sentence_at(row)
        if place is not None and (allowed is None or place[0].id in allowed):
            chunk, start, end = place
            spans.append(Span(chunk=chunk, start=start, end=end, score=float(sims[row]),
                              vector=index.sentence_matrix[row], speaker=None))
    return spans


def count_spans(store: Any, query: Query) -> tuple[list[Span], bool]:
    """Spans that put a number on what the question counts, the largest number first, and whether the
    counted noun came from the question's own words (False: inferred from the close sentences)."""
    terms = list(query.question.counted)
    context = list(query.question.terms)
    nearby = sorted(_nearby_spans(store, query), key=lambda s: s.score, reverse=True)
    held = [(span, quantities(span.text)) for span in nearby]
    held = [(span, qs) for span, qs in held if qs]
    own = bool(terms) and any(_match(terms, context, q) for _, qs in held for q in qs)
    # The noun most close sentences put a number on (ties: the closer sentence's), among those the
    # question names, if any: "hvor mange ledere" -> the four sentences on "topledere", not one on
    # "250 ledere" in a course; an English question names none the Danish text shares.
    votes: dict[str, tuple[int, float]] = {}
    for span, qs in held:
        # In the sentence's own order, not a set's: a set of str iterates by hash, which PYTHONHASHSEED
        # changes run to run, and the first noun counted wins a tie.
        for noun in dict.fromkeys(q.words[-1] for q in qs if not own or _match(terms, context, q)):
            n, best = votes.get(noun, (0, span.score))
            votes[noun] = (n + 1, max(best, span.score))
    if not votes:
        return [], own
    noun = max(votes, key=lambda word: votes[word])
    scored = []
    for span, qs in held:
        fitting = [q for q in qs if q.words[-1] == noun]
        if fitting:
            best = max(fitting, key=lambda q: (_match([noun], context, q), q.value))
            scored.append((_match([noun], context, best), best.value, span))
    level = max(m for m, _, _ in scored)
    chosen = sorted(((v, s) for m, v, s in scored if m == level), key=lambda item: (-item[0], -item[1].score))
    return [span for _, span in chosen[:MAX_COUNT_SPANS]], own
