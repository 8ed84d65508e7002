"""When the report does not answer: say so, and show only the nearest passages.

A similarity threshold alone cannot tell a near miss ("Hvor mange penge bruger kommunerne på innovation?",
in the report's own words) from a real question: both reach e5 cosines of 0.85-0.90. So several checks, any
of which refuses:
  1. too far: the best sentence's cosine with the question is below `FAR` (nothing in the report is close);
  2. wrong kind: the question asks for a count, amount, percentage, age, date or name (bot/question/asks.py) and no
     good candidate span holds one that is about the question's subject (Danish: the span must also hold half
     of the content words of the clause that asks, or, for a count, put a number on the noun the question
     counts, "hvor mange topledere" / "24 udvalgte topledere", whatever verb it uses; English: the span must
     be among the three best, and for an amount, percentage or date one of the five sentences closest to the
     question's subject alone must hold one too: "how much did the municipalities spend on robot
     lawnmowers?" meets amounts near "spend", none near "robot lawnmowers"). "Who" asks for a person or a
     group, often no name ("politikerne"): it refuses nothing;
  3. off subject (Danish): the question's own content words (stemmed, compound-aware, weighted by rarity in
     the report, so "innovation" counts little and "løn" much) are mostly absent from the best chunks;
  4. flat (English): an English question shares no words with the Danish text, so the cross-lingual check
     is how far the best sentence's cosine stands out among all the report's sentences (a z-score): a
     question the report speaks to has a peak, one it does not meets a flat field. A flatter question
     (z 2.4-3.0) still passes when one of its subject words has a Danish relative in the report
     (bot/question/cognates.py: "culture" / "nulfejlskultur", "experiment" / "eksperiment"). The question's subject
     alone, without its frame ("what do the leaders say about ..."), is tested too, as the frame meets the
     whole report halfway and can lift a question about the weather; a flat subject refuses only when none of
     its words has a Danish relative in the report (alone, the flat subject refused more answerable questions
     than out-of-scope ones on the question sets written apart from the calibration);
  5. foreign (English): a question neither close (cosine < 0.85) nor clearly peaked (z < 4.0) must have
     lexical evidence across the languages: a subject word with a Danish relative in the report, or a number
     the best chunks print too ("per 1,000 inhabitants"); "sourdough bread", "the Eiffel Tower", "my
     password" have none, and e5 alone puts them as near the report as many real questions.
(An earlier check on the question's cosine with the report's mean vector was dropped: short in-scope
English questions, "Which four dimensions does the New Synthesis have?", scored as low as off-topic ones.)
A request to write a poem, a song or a story is refused as such (the report answers questions, it does not
write verse). Greetings and "what can you do?" are not questions about the report: they get a short reply instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.answer.retrieval import ChunkMatrix, Query, ScoredChunk, embed
from bot.answer.spans import Span, lexical_overlap, term_weights
from bot.question.asks import Asks, holds
from bot.question.cognates import cognate_evidence
from bot.question.parse import numbers_of
from bot.question.terms import stem_set

FAR = 0.80  # best-sentence cosine below this: refused whatever the words say
FAR_EN = 0.79  # cross-lingual cosines run lower: an English question against the Danish text
MIN_COVERAGE = 0.36  # share (IDF-weighted) of a Danish question's content words found in the best chunks
KIND_OVERLAP = 0.5  # a Danish span holding the asked-for kind must also hold this share of the question's words
KIND_SPANS = 8  # how many of the best spans may hold the asked-for kind (Danish)
KIND_SPANS_EN = 3  # English: no word overlap to check, so the span must be among the very best
CLOSE_EN = 0.85  # English: a best sentence this close is an answer, peak or not
MIN_PEAK_EN = 3.0  # English: z-score of the best sentence's cosine among all the report's sentences
STRONG_PEAK_EN = 4.0  # English: a peak this clear needs no lexical evidence (bot/question/cognates.py)
MIN_COGNATE_EN = 0.75  # English: below this, no subject word has a Danish relative in the report
MIN_PEAK_COGNATE_EN = 2.4  # English: a lower peak passes when a subject word has a Danish relative
SUBJECT_SENTENCES = 5  # English kind check: the report sentences closest to the subject alone that may hold it
COVERAGE_CHUNKS = 12  # all chunks the extractive pool holds


@dataclass(frozen=True)
class Verdict:
    refused: bool
    reason: str  # "empty" | "far" | "task" | "kind" | "subject" | "flat" | "flat subject" | "foreign" | ""
    best_cosine: float
    coverage: float
    peak: float | None = None


def judge(store: Any, query: Query, asks: Asks, hits: list[ScoredChunk], spans: list[Span],
          quantified: bool = False) -> Verdict:
    """Does the report answer `query`? `spans` are all scored candidate spans; `quantified`: a sentence
    close to the question puts a number on the very thing the question counts (bot/answer/counts.py)."""
    if not hits or not spans:
        return Verdict(True, "far", 0.0, 0.0)
    ranked = sorted(spans, key=lambda s: s.score, reverse=True)
    cosines = [float(s.vector @ query.vector) for s in ranked if s.vector is not None and query.vector is not None]
    best_cosine = max(cosines, default=max((h.dense or 0.0 for h in hits), default=0.0))
    question = query.question
    terms = list(question.terms)
    weights = term_weights(store)
    top_text = " ".join(h.chunk.text for h in hits[:COVERAGE_CHUNKS])
    # The union of the chunks' (cached) stems is exactly the stems of the joined text, which no cache holds:
    # each question's top chunks differ, and stemming ~10k characters again cost ~10% of a warm ask.
    top_stems = frozenset().union(*(stem_set(h.chunk.text) for h in hits[:COVERAGE_CHUNKS]))
    coverage = lexical_overlap(terms, weights, top_text, stems=top_stems) if terms else 1.0
    english = query.language == "en"
    peak = ChunkMatrix.of(store).peakedness(query.vector) if english else None

    def verdict(reason: str) -> Verdict:
        return Verdict(bool(reason), reason, best_cosine, coverage, peak)

    if not terms:
        # Nothing but function words and punctuation ("?", "* * *", "$(rm -rf /)"): no subject to look up, so
        # whatever retrieval returns would be unrelated.
        return verdict("empty")
    if query.vector is not None and best_cosine < (FAR_EN if english else FAR):
        return verdict("far")
    if question.creative_task:
        return verdict("task")
    if asks.kind and asks.kind != "person" and not (asks.kind == "count" and quantified):
        if english:
            held = (any(holds(asks.kind, s.text, question.given) for s in ranked[:KIND_SPANS_EN])
                    and (asks.kind not in ("amount", "percent", "date") or _subject_holds(store, query, asks.kind)))
        else:
            # Words the report never uses are the subject check's business; here they would only dilute. Only
            # the clause that asks for the kind counts ("Hvornår blev arbejdet sat i gang, og var det meningen
            # ...?": the date is asked of the first clause).
            known = [t for t in question.kind_terms
                     if weights.document_frequency(t) > 0]
            held = any(holds(asks.kind, s.text, question.given)
                       and (not known or lexical_overlap(known, weights, s.text)
                            >= KIND_OVERLAP)
                       for s in ranked[:KIND_SPANS])
        if not held:
            return verdict("kind")
    if english:
        # Lexical evidence across the languages: a subject word with a Danish relative in the report, or a
        # number of the question's ("per 1,000 inhabitants") that the best chunks print too.
        cognate = cognate_evidence(store, question.subject)
        if question.numbers & numbers_of(top_text):
            cognate = 1.0
        if best_cosine < CLOSE_EN and peak is not None and peak < MIN_PEAK_EN:
            # A question in the report's own terms ("culture" / "nulfejlskultur") may meet a flatter field:
            # the Danish text says it in its own way.
            if peak < MIN_PEAK_COGNATE_EN or cognate is None or cognate < MIN_COGNATE_EN:
                return verdict("flat")
        # The frame ("what do the top leaders think about ...") meets the whole report halfway and can lift a
        # question about the weather over the checks above; its subject alone then meets a flat field, and
        # no subject word has a Danish relative in the report.
        subject_peak = _subject_peak(store, query)
        if subject_peak is not None and subject_peak < MIN_PEAK_EN and cognate is not None and cognate < MIN_COGNATE_EN:
            return verdict("flat subject")
        if best_cosine < CLOSE_EN and (peak is None or peak < STRONG_PEAK_EN):
            # Neither close nor clearly peaked: then some word of the subject must have a Danish relative in
            # the report ("culture" / "nulfejlskultur"); "sourdough bread" or "the Eiffel Tower" has none.
            if cognate is not None and cognate < MIN_COGNATE_EN:
                return verdict("foreign")
    elif terms and coverage < MIN_COVERAGE and not quantified:  # a quantified count noun is the subject
        return verdict("subject")
    return verdict("")






def second_look(question: Any) -> str | None:
    """The text the English checks embed besides the question: its subject alone, when it differs."""
    subject = question.subject
    if question.language != "en" or not subject or subject == " ".join(question.words):
        return None
    return subject


def _subject_vector(store: Any, query: Query) -> Any | None:
    if query.subject_vector is not None:
        return query.subject_vector
    subject = second_look(query.question) if query.language == "en" else None
    return None if subject is None else embed(store, subject)


def _subject_holds(store: Any, query: Query, kind: str) -> bool:
    """English: does one of the report's sentences closest to the question's subject alone hold the asked-for
    kind? "How much did the municipalities spend on robot lawnmowers?": the sentence on robot lawnmowers
    holds no amount, though an amount elsewhere is close to "how much did the municipalities spend"."""
    vector = _subject_vector(store, query)
    index = ChunkMatrix.of(store)
    if vector is None or index.sentence_matrix is None:
        return True
    for row in np.argsort(-(index.sentence_matrix @ vector))[:SUBJECT_SENTENCES].tolist():
        place = index.sentence_at(row)
        if place is not None and holds(kind, place[0].text[place[1]:place[2]]):
            return True
    return False


def _subject_peak(store: Any, query: Query) -> float | None:
    """Peakedness of the question's subject alone (its frame taken out, Question.subject)."""
    vector = _subject_vector(store, query)
    return None if vector is None else ChunkMatrix.of(store).peakedness(vector)


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
