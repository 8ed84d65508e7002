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
    reason: str  # "empty" | "far" | "task" | "kind" | "subject" | "flat" | "flat subject" | "foreign" | "model" | ""
    best_cosine: float
    coverage: float
    peak: float | None = None
    answer_probability: float | None = None  # the learned classifier's P(the report answers this)
    rule_reason: str = ""  # what the hand rules said, when the classifier decided


@dataclass(frozen=True)
class Measures:
    """Everything the checks above look at, measured once per question: the hand rules (rule_verdict) read
    some of it, the learned refusal classifier (bot/answer/learned.py) all of it."""

    no_terms: bool
    creative_task: bool
    english: bool
    best_cosine: float
    top3_cosine: float
    cosine_spread: float  # best minus tenth-best candidate cosine
    best_hand_score: float
    coverage: float
    coverage_top3: float
    unknown_terms: int  # question words the report never uses
    terms: int
    max_missing_idf: float  # the rarest question word missing from the three best chunks
    peak: float | None
    subject_peak: float | None
    cognate: float | None
    numbers_asked: bool
    numbers_found: bool
    kind_checked: bool  # a kind is asked for that the kind check tests
    kind_held: bool
    quantified: bool
    names_known: bool  # the question names a person ("Christian Boel") the report prints
    names_unknown: bool  # ... or one it does not

    RULES = ("far", "kind", "subject", "flat", "flat subject", "foreign")
    FEATURES = ("q_english", "q_best_cosine", "q_top3_cosine", "q_cosine_spread", "q_best_hand_score", "q_coverage",
                "q_coverage_top3", "q_unknown_terms", "q_terms", "q_unknown_share", "q_max_missing_idf", "q_peak",
                "q_subject_peak", "q_cognate", "q_numbers_asked", "q_numbers_found", "q_kind_checked", "q_kind_held",
                "q_quantified", "q_names_known", "q_names_unknown", *(f"q_rule_{r.replace(' ', '_')}" for r in RULES))

    def features(self) -> dict[str, float]:
        def value(x: float | bool | None, missing: float = -1.0) -> float:
            return missing if x is None else float(x)

        return {
            "q_english": value(self.english), "q_best_cosine": self.best_cosine, "q_top3_cosine": self.top3_cosine,
            "q_cosine_spread": self.cosine_spread, "q_best_hand_score": self.best_hand_score,
            "q_coverage": self.coverage, "q_coverage_top3": self.coverage_top3,
            "q_unknown_terms": float(self.unknown_terms), "q_terms": float(self.terms),
            "q_unknown_share": self.unknown_terms / self.terms if self.terms else 0.0,
            "q_max_missing_idf": self.max_missing_idf, "q_peak": value(self.peak, 0.0),
            "q_subject_peak": value(self.subject_peak, 0.0), "q_cognate": value(self.cognate),
            "q_numbers_asked": value(self.numbers_asked), "q_numbers_found": value(self.numbers_found),
            "q_kind_checked": value(self.kind_checked), "q_kind_held": value(self.kind_held),
            "q_quantified": value(self.quantified), "q_names_known": value(self.names_known),
            "q_names_unknown": value(self.names_unknown),
            **{f"q_rule_{r.replace(' ', '_')}": float(rule_verdict(self).reason == r) for r in self.RULES},
        }


def measure(store: Any, query: Query, asks: Asks, hits: list[ScoredChunk], spans: list[Span],
            quantified: bool = False) -> Measures:
    """The measurements behind every check of the module doc. `spans` are all scored candidate spans;
    `quantified`: a sentence close to the question puts a number on the very thing the question counts
    (bot/answer/counts.py)."""
    question = query.question
    terms = list(question.terms)
    english = query.language == "en"
    ranked = sorted(spans, key=lambda s: s.score, reverse=True)
    cosines = sorted((float(s.vector @ query.vector) for s in spans if s.vector is not None and query.vector is not None),
                     reverse=True)
    best_cosine = cosines[0] if cosines else max((h.dense or 0.0 for h in hits), default=0.0)
    weights = term_weights(store)
    top_text = " ".join(h.chunk.text for h in hits[:COVERAGE_CHUNKS])
    top3_text = " ".join(h.chunk.text for h in hits[:3])
    # The union of the chunks' (cached) stems is exactly the stems of the joined text, which no cache holds:
    # each question's top chunks differ, and stemming ~10k characters again cost ~10% of a warm ask.
    chunk_stems = [stem_set(h.chunk.text) for h in hits[:COVERAGE_CHUNKS]]
    top_stems = frozenset().union(*chunk_stems)
    coverage = lexical_overlap(terms, weights, top_text, stems=top_stems) if terms else 1.0
    top3_stems = frozenset().union(*chunk_stems[:3])
    missing = [weights.idf(t) for t, held in zip(terms, weights.matching(terms, top3_stems)) if not held]
    kind_checked = bool(asks.kind) and asks.kind != "person" and not (asks.kind == "count" and quantified)
    kind_held = True
    if kind_checked:
        if english:
            kind_held = (any(holds(asks.kind, s.text, question.given) for s in ranked[:KIND_SPANS_EN])
                         and (asks.kind not in ("amount", "percent", "date") or _subject_holds(store, query, asks.kind)))
        else:
            # Words the report never uses are the subject check's business; here they would only dilute. Only
            # the clause that asks for the kind counts ("Hvornår blev arbejdet sat i gang, og var det meningen
            # ...?": the date is asked of the first clause).
            known = [t for t in question.kind_terms if weights.document_frequency(t) > 0]
            kind_held = any(holds(asks.kind, s.text, question.given)
                            and (not known or lexical_overlap(known, weights, s.text) >= KIND_OVERLAP)
                            for s in ranked[:KIND_SPANS])
    cognate = cognate_evidence(store, question.subject) if english else None
    # Most questions give no number: then the best chunks' ~10k characters need no searching for one.
    numbers_found = bool(question.numbers) and bool(question.numbers & numbers_of(top_text))
    index = ChunkMatrix.of(store)
    names = question.names
    printed = _report_text(store)
    known = [n for n in names if n.casefold() in printed]
    return Measures(
        no_terms=not terms, creative_task=question.creative_task, english=english, best_cosine=best_cosine,
        top3_cosine=float(np.mean(cosines[:3])) if cosines else best_cosine,
        cosine_spread=(cosines[0] - cosines[min(9, len(cosines) - 1)]) if cosines else 0.0,
        best_hand_score=ranked[0].score if ranked else 0.0, coverage=coverage,
        coverage_top3=lexical_overlap(terms, weights, top3_text, stems=top3_stems) if terms else 1.0,
        unknown_terms=sum(1 for t in terms if weights.document_frequency(t) == 0), terms=len(terms),
        max_missing_idf=max(missing, default=0.0), peak=index.peakedness(query.vector),
        # English only: a Danish question's words tell the same more cheaply (coverage), and it costs an embedding.
        subject_peak=_subject_peak(store, query) if english else None, cognate=cognate, numbers_asked=bool(question.numbers),
        numbers_found=numbers_found, kind_checked=kind_checked, kind_held=kind_held, quantified=quantified,
        names_known=bool(known), names_unknown=len(known) < len(names))


_printed: dict[int, tuple[Any, str]] = {}


def _report_text(store: Any) -> str:
    """The store's documents' text, case-folded, lines joined (cached per store)."""
    cached = _printed.get(id(store))
    if cached is None or cached[0] is not store:
        text = " ".join(getattr(d, "clean_text", "") or "" for d in store.documents.values())
        cached = _printed[id(store)] = (store, " ".join(text.split()).casefold())
        if len(_printed) > 4:
            _printed.pop(next(iter(_printed)))
    return cached[1]


def rule_verdict(m: Measures, has_vector: bool = True) -> Verdict:
    """The hand rules of the module doc, in order, on measured values."""
    def verdict(reason: str) -> Verdict:
        return Verdict(bool(reason), reason, m.best_cosine, m.coverage, m.peak if m.english else None)

    if m.no_terms:
        # Nothing but function words and punctuation ("?", "* * *", "$(rm -rf /)"): no subject to look up, so
        # whatever retrieval returns would be unrelated.
        return verdict("empty")
    if has_vector and m.best_cosine < (FAR_EN if m.english else FAR):
        return verdict("far")
    if m.creative_task:
        return verdict("task")
    if m.kind_checked and not m.kind_held:
        return verdict("kind")
    if m.english:
        # Lexical evidence across the languages: a subject word with a Danish relative in the report, or a
        # number of the question's ("per 1,000 inhabitants") that the best chunks print too.
        cognate = 1.0 if m.numbers_found else m.cognate
        peak = m.peak
        if m.best_cosine < CLOSE_EN and peak is not None and peak < MIN_PEAK_EN:
            # A question in the report's own terms ("culture" / "nulfejlskultur") may meet a flatter field:
            # the Danish text says it in its own way.
            if peak < MIN_PEAK_COGNATE_EN or cognate is None or cognate < MIN_COGNATE_EN:
                return verdict("flat")
        # The frame ("what do the top leaders think about ...") meets the whole report halfway and can lift a
        # question about the weather over the checks above; its subject alone then meets a flat field, and
        # no subject word has a Danish relative in the report.
        if m.subject_peak is not None and m.subject_peak < MIN_PEAK_EN and cognate is not None and cognate < MIN_COGNATE_EN:
            return verdict("flat subject")
        if m.best_cosine < CLOSE_EN and (peak is None or peak < STRONG_PEAK_EN):
            # Neither close nor clearly peaked: then some word of the subject must have a Danish relative in
            # the report ("culture" / "nulfejlskultur"); "sourdough bread" or "the Eiffel Tower" has none.
            if cognate is not None and cognate < MIN_COGNATE_EN:
                return verdict("foreign")
    elif m.terms and m.coverage < MIN_COVERAGE and not m.quantified:  # a quantified count noun is the subject
        return verdict("subject")
    return verdict("")


def judge(store: Any, query: Query, asks: Asks, hits: list[ScoredChunk], spans: list[Span],
          quantified: bool = False) -> Verdict:
    """Does the report answer `query`, by the hand rules? (bot/answer/learned.py decides by a model.)"""
    if not hits or not spans:
        return Verdict(True, "far", 0.0, 0.0)
    return rule_verdict(measure(store, query, asks, hits, spans, quantified), query.vector is not None)


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
