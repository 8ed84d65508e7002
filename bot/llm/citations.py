"""From the model's claimed quotes to citations: every quote is checked in code, none is taken on trust.

A quote is looked for in the passage the model cited; a quote the model attributed to the wrong passage
number is accepted from the passage that really holds it. The shown quote is always the passage's own span
(bot.quotes), and with a store at hand it must also be in the original report (verify_in_document).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from bot.llm.parse import ModelQuote
from bot.quotes import QuoteCheck, verify_in_document, verify_quote
from bot.types import Citation
from ingest.types import Chunk

_CLAIMED_QUOTE_WORDS = 5
_INLINE_QUOTE = re.compile(r"([\"“„«»])([^\"“”„«»\n]{12,}?)([\"”“»«])")


@dataclass
class VerifiedQuotes:
    citations: list[Citation]
    cited_as: list[int]  # passage number the model used for each citation (1-based)
    dropped: int = 0
    passage_of: list[int] = field(default_factory=list)  # passage that really holds each citation


def _best_check(quote: str, passages: Sequence[Chunk], cited: int) -> tuple[int, QuoteCheck]:
    """(0-based passage index, check): the cited passage first, then the others."""
    order = ([cited - 1] if 1 <= cited <= len(passages) else []) + \
        [i for i in range(len(passages)) if i != cited - 1]
    best: tuple[int, QuoteCheck] | None = None
    for i in order:
        check = verify_quote(quote, passages[i].text)
        if check.status == "kept":
            return i, check
        if check.status == "repaired" and (best is None or check.score > best[1].score):
            best = (i, check)
    return best if best else (-1, QuoteCheck("dropped", None, None, None, 0.0))


def _in_report(quote: str, chunk: Chunk, store: Any) -> bool:
    documents = getattr(store, "documents", None) if store is not None else None
    doc = documents.get(chunk.doc_id) if documents is not None else None
    if doc is None:  # no store to check against: the chunk is the report text we have
        return True
    return verify_in_document(quote, doc.clean_text, doc.raw_text)


def verify_model_quotes(quotes: Sequence[ModelQuote], passages: Sequence[Chunk], store: Any,
                        max_quotes: int) -> VerifiedQuotes:
    """Citations (numbered later) for the model's quotes that survive checking; counts the dropped ones."""
    result = VerifiedQuotes([], [])
    spans: list[tuple[int, int, int]] = []
    for model_quote in quotes:
        index, check = _best_check(model_quote.quote, passages, model_quote.passage)
        if check.status == "dropped" or check.quote is None or check.start is None or check.end is None:
            result.dropped += 1
            continue
        chunk = passages[index]
        if not _in_report(check.quote, chunk, store):
            result.dropped += 1
            continue
        if any(i == index and check.start < e and s < check.end for i, s, e in spans):
            continue  # the same words twice: one citation
        if len(result.citations) >= max_quotes:
            continue
        spans.append((index, check.start, check.end))
        result.citations.append(Citation(
            n=0, quote=check.quote, section=chunk.section, page=chunk.page, speaker=chunk.speaker,
            chunk_id=chunk.id, text=chunk.text, start=chunk.start + check.start, doc_id=chunk.doc_id))
        result.cited_as.append(model_quote.passage)
        result.passage_of.append(index + 1)
    return result


def number_citations(verified: VerifiedQuotes, marker_order: list[int]) -> dict[int, list[int]]:
    """Number citations 1..n in the order the answer first cites their passages (the rest after, in list
    order); returns passage number -> citation numbers, for renumbering the answer's markers."""
    def rank(k: int) -> tuple[int, int]:
        for p in (verified.cited_as[k], verified.passage_of[k]):
            if p in marker_order:
                return marker_order.index(p), k
        return len(marker_order), k

    order = sorted(range(len(verified.citations)), key=rank)
    verified.citations = [verified.citations[k] for k in order]
    verified.cited_as = [verified.cited_as[k] for k in order]
    verified.passage_of = [verified.passage_of[k] for k in order]
    mapping: dict[int, list[int]] = {}
    for n, citation in enumerate(verified.citations, start=1):
        citation.n = n
        for p in {verified.cited_as[n - 1], verified.passage_of[n - 1]}:
            mapping.setdefault(p, []).append(n)
    return mapping


def guard_inline_quotes(answer: str, passages: Sequence[Chunk]) -> tuple[str, int]:
    """Quotation marks in the prose claim report words: a quoted stretch found in a passage is replaced by
    the passage's own words; one that is not found loses its quotation marks. Returns (text, unverified)."""
    unverified = 0

    def check(match: re.Match) -> str:
        nonlocal unverified
        for chunk in passages:
            found = verify_quote(match.group(2), chunk.text)
            if found.status != "dropped" and found.quote:
                return f"{match.group(1)}{' '.join(found.quote.split())}{match.group(3)}"
        if len(match.group(2).split()) >= _CLAIMED_QUOTE_WORDS:  # a short term in marks (a translation) is no quote
            unverified += 1
        return match.group(2)

    return _INLINE_QUOTE.sub(check, answer), unverified
