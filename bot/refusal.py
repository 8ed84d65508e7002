"""When the report does not answer: say so, and show only the nearest passages.

A similarity threshold alone cannot tell a near miss ("Hvor mange penge bruger kommunerne på innovation?",
in the report's own words) from a real question: both reach e5 cosines of 0.85-0.90. So three checks, any of
which refuses:
  1. too far: the best sentence's cosine with the question is below `FAR` (nothing in the report is close);
  2. wrong kind: the question asks for a count, amount, percentage, date or name and none of the best
     candidate sentences holds one (bot/asks.py);
  3. off subject: the question's own content words (stemmed, compound-aware, weighted by rarity in the
     report) are mostly absent from the best chunks, and the best sentence is not very close either
     (`CLOSE`). Danish only: an English question shares no words with the Danish text, so for English the
     cross-lingual check is the dense one, with its own threshold (`FAR_EN`).
Greetings and "what can you do?" are not questions about the report: they get a short reply instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.asks import Asks, holds
from bot.extractive import Span, lexical_overlap, term_weights
from bot.retrieval import Query, ScoredChunk
from bot.terms import content_terms

FAR = 0.80  # best-sentence cosine below this: refused whatever the words say
FAR_EN = 0.80
CLOSE = 0.88  # at or above this the off-subject check is waived (paraphrases with other words)
MIN_COVERAGE = 0.5  # share (IDF-weighted) of the question's content words found in the best chunks
KIND_SPANS = 8  # how many of the best spans may hold the asked-for kind
COVERAGE_CHUNKS = 3


@dataclass(frozen=True)
class Verdict:
    refused: bool
    reason: str  # "far" | "kind" | "subject" | "" (answered)
    best_cosine: float
    coverage: float


def judge(store: Any, query: Query, asks: Asks, hits: list[ScoredChunk], spans: list[Span]) -> Verdict:
    """Does the report answer `query`? `spans` are all scored candidate spans, best first."""
    ranked = sorted(spans, key=lambda s: s.score, reverse=True)
    cosines = [float(s.vector @ query.vector) for s in ranked if s.vector is not None and query.vector is not None]
    best_cosine = max(cosines, default=max((h.dense or 0.0 for h in hits), default=0.0))
    terms = content_terms(query.text)
    top_text = " ".join(h.chunk.text for h in hits[:COVERAGE_CHUNKS])
    coverage = lexical_overlap(terms, term_weights(store), top_text) if terms else 1.0
    if not hits:
        return Verdict(True, "far", 0.0, 0.0)
    far = FAR_EN if query.language == "en" else FAR
    if query.vector is not None and best_cosine < far:
        return Verdict(True, "far", best_cosine, coverage)
    if asks.kind and not any(holds(asks.kind, s.text) for s in ranked[:KIND_SPANS]):
        return Verdict(True, "kind", best_cosine, coverage)
    if query.language == "da" and coverage < MIN_COVERAGE and (query.vector is None or best_cosine < CLOSE):
        return Verdict(True, "subject", best_cosine, coverage)
    return Verdict(False, "", best_cosine, coverage)


# --- greetings and "what can you do?" -------------------------------------------------------------------

_GREETING = re.compile(
    r"^\s*(hej|hejsa|hallo|halløj|goddag|god\s+(morgen|dag|aften)|dav|hi|hello|hey|good\s+(morning|afternoon|evening)|"
    r"tak|mange\s+tak|thanks|thank\s+you)\b[\s!.,]*(med\s+dig|der|there|you)?[\s!.,]*$", re.IGNORECASE)
_CAPABILITIES = re.compile(
    r"^\s*(hvad\s+kan\s+du(\s+(gøre|hjælpe\s+med|svare\s+på))?|hvem\s+er\s+du|hvad\s+er\s+du|hvordan\s+virker\s+du|"
    r"hjælp|help|what\s+can\s+you\s+do|who\s+are\s+you|what\s+are\s+you|how\s+do\s+you\s+work|"
    r"what\s+do\s+you\s+know|hvad\s+ved\s+du)\s*[?!.]*\s*$", re.IGNORECASE)

_SMALLTALK = {
    "da": ("Hej! Jeg svarer på spørgsmål om rapporten {title}. Svarene citerer rapporten ordret, med afsnit og "
           "side, og jeg siger det, når rapporten ikke svarer. Prøv fx: \"Hvor mange topledere blev interviewet?\" "
           "eller \"Hvilke seks opmærksomhedspunkter fremhæver rapporten?\""),
    "en": ("Hello! I answer questions about the report {title} (in Danish). Answers quote the report verbatim, "
           "with section and page, and I say so when the report does not answer. Try: \"How many leaders were "
           "interviewed?\" or \"Which six points of attention does the report highlight?\""),
}


def smalltalk_reply(question: str, language: str, title: str) -> str | None:
    """A short reply about the report for greetings and capability questions, else None."""
    if _GREETING.match(question) or _CAPABILITIES.match(question):
        return _SMALLTALK["en" if language == "en" else "da"].format(title=f"“{title}”")
    return None
