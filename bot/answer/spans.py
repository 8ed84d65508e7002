"""Extractive answers: the few spans of the retrieved chunks that best answer the question, verbatim.

Each sentence of the top chunks is scored by the cosine of its precomputed e5 passage vector with the query
vector, plus the IDF-weighted share of the question's content words it holds (stemmed, compound-aware), plus
a small bonus when it holds what the question asks for (a number for "hvor mange ...") and a small prior
from the chunk's retrieval rank. A span may run over the next sentence when the first is short, ends with
":" or is cut inside an interview quote; an attributed quote “...” (Kommunal topleder) of modest length is
cited whole. Spans are then picked by maximal marginal relevance, skipping near-duplicates (the report
prints several quotes twice, once as a call-out box). What of this does not depend on the question (the
sentences, the candidate spans they form, their vectors and surface facts) is worked out once per chunk in
bot/answer/layout.py; here each ask only measures them against its question.
"""
from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from bot.question.asks import Asks, holds
from bot.question.filters import speaker_mentioned
from bot.answer.layout import CandidateLayout, ChunkLayouts, folded, heading_lines
from bot.answer.retrieval import ChunkMatrix, Query, ScoredChunk
from bot.question.terms import COMPOUND_LETTERS, stem_set, term_matches
from ingest.types import Chunk

LEXICAL_WEIGHT = 0.04  # weight of IDF-weighted term coverage next to the cosine (e5 cosines span ~0.75-0.92); 0.04 beat 0.08 on both independent sets
NARRATIVE_PENALTY = 0.03  # a narrative sentence about the asked-for speakers, next to their own quotes
BARE_PENALTY = 0.05  # a bare web address or a figure's source line, for a question that asks for neither
KIND_BONUS = 0.03  # the sentence holds what is asked for (a number, an amount, a date, a name)
KIND_OVERLAP = 0.15  # ... and this share of the question's (rarity-weighted) words, in Danish
RANK_PRIOR = 0.02  # the best-retrieved chunk's sentences get this much more than the last one's
CHUNKS_SCANNED = 10
MMR_LAMBDA = 0.5
DUPLICATE_COSINE = 0.95
DUPLICATE_FUZZ = 85

@dataclass
class Span:
    """A citable stretch of one chunk: `start`/`end` are offsets into chunk.text."""

    chunk: Chunk
    start: int
    end: int
    score: float
    vector: np.ndarray | None
    speaker: str | None = None
    sentence_scores: list[float] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)  # what the learned ranker reads (bot/answer/features.py)

    @property
    def text(self) -> str:
        return self.chunk.text[self.start:self.end]


class TermWeights:
    """Inverse document frequency of question terms over the chunks (compound-aware), cached per store.

    A term of five letters or more also matches a report word that starts or ends with it, or that it starts
    or ends with (bot/question/terms.term_matches). Scanning the whole vocabulary for that, once for every new
    question term, was ~10% of a warm ask; the vocabulary sorted as written and reversed finds the words a
    term starts or ends by bisection, and the term's own prefixes and suffixes find the words it holds."""

    def __init__(self, index: ChunkMatrix):
        self.n = len(index.chunks)
        self.chunk_stems = [stem_set(c.text) for c in index.chunks]
        vocabulary: dict[str, set[int]] = {}
        for i, stems in enumerate(self.chunk_stems):
            for word in stems:
                vocabulary.setdefault(word, set()).add(i)
        self.vocabulary = vocabulary
        self.words = frozenset(vocabulary)
        long_words = [word for word in vocabulary if len(word) >= COMPOUND_LETTERS]
        self._forward = sorted(long_words)
        self._backward = sorted(word[::-1] for word in long_words)
        self._idf: dict[str, float] = {}
        self._df: dict[str, int] = {}
        self._related: dict[str, frozenset[str]] = {}

    def related_words(self, term: str) -> frozenset[str]:
        """The report's words of five letters or more that start or end with `term`, or that `term` starts
        or ends with: those term_matches accepts as part of a compound (`term`: five letters or more)."""
        found = self._related.get(term)
        if found is None:
            if len(self._related) > 50_000:
                self._related.clear()
            found = self._related[term] = frozenset(self._compounds_of(term))
        return found

    def _compounds_of(self, term: str) -> set[str]:
        found = set(_starting_with(self._forward, term))
        found.update(word[::-1] for word in _starting_with(self._backward, term[::-1]))
        for size in range(COMPOUND_LETTERS, len(term) + 1):
            for part in (term[:size], term[-size:]):
                if part in self.vocabulary:
                    found.add(part)
        return found

    def matching(self, terms: list[str], stems: frozenset[str]) -> list[bool]:
        """[term_matches(t, stems) for t in terms], looking up the report's words instead of comparing each."""
        unknown: frozenset[str] | None = None  # the words of `stems` the report never uses (a question's own, say)
        found = []
        for term in terms:
            if term in stems:
                found.append(True)
            elif len(term) < COMPOUND_LETTERS or term.isdigit():
                found.append(False)
            elif not self.related_words(term).isdisjoint(stems):
                found.append(True)
            else:
                if unknown is None:
                    unknown = stems - self.words
                found.append(bool(unknown) and term_matches(term, unknown))  # compared one by one
        return found

    def document_frequency(self, term: str) -> int:
        # Memoised: question terms recur.
        if term not in self._df:
            if len(self._df) > 50_000:
                self._df.clear()
            self._df[term] = self._count_chunks(term)
        return self._df[term]

    def _count_chunks(self, term: str) -> int:
        if term in self.vocabulary and (len(term) < COMPOUND_LETTERS or term.isdigit()):
            return len(self.vocabulary[term])
        hits: set[int] = set(self.vocabulary.get(term, ()))
        if len(term) >= COMPOUND_LETTERS and not term.isdigit():
            for word in self.related_words(term):
                hits |= self.vocabulary[word]
        return len(hits)

    def idf(self, term: str) -> float:
        if term not in self._idf:
            self._idf[term] = math.log(1 + self.n / (1 + self.document_frequency(term)))
        return self._idf[term]


def _starting_with(ordered: list[str], prefix: str) -> Iterator[str]:
    """The words of sorted `ordered` that start with `prefix` (they sit together, from its bisection point)."""
    for i in range(bisect.bisect_left(ordered, prefix), len(ordered)):
        if not ordered[i].startswith(prefix):
            return
        yield ordered[i]


_weights_cache: dict[int, tuple[ChunkMatrix, TermWeights]] = {}


def term_weights(store: Any) -> TermWeights:
    index = ChunkMatrix.of(store)
    cached = _weights_cache.get(id(index))
    if cached is None or cached[0] is not index:
        cached = _weights_cache[id(index)] = (index, TermWeights(index))
        if len(_weights_cache) > 4:
            _weights_cache.pop(next(iter(_weights_cache)))
    return cached[1]


class TermOverlap:
    """lexical_overlap for one question's terms, their weights looked up once rather than for every sentence."""

    def __init__(self, terms: list[str], weights: TermWeights):
        self.terms = terms
        self.weights = weights
        self.idfs = [weights.idf(t) for t in terms]
        self.total = sum(self.idfs)

    def __call__(self, stems: frozenset[str]) -> float:
        if not self.terms:
            return 0.0
        found = sum(idf for idf, held in zip(self.idfs, self.weights.matching(self.terms, stems)) if held)
        return found / self.total if self.total else 0.0


def lexical_overlap(terms: list[str], weights: TermWeights, text: str,
                    stems: frozenset[str] | None = None) -> float:
    """IDF-weighted share of `terms` present in `text` (0..1); `stems`: its stems, when already known."""
    if not terms:
        return 0.0
    return TermOverlap(terms, weights)(stem_set(text) if stems is None else stems)


def score_spans(store: Any, query: Query, hits: list[ScoredChunk], asks: Asks) -> list[Span]:
    """Every candidate span of the top chunks with its score (not yet de-duplicated)."""
    terms = list(query.question.terms)
    if query.filters.speaker:
        # "Hvad sagde en kommunal topleder om KL ...": the speaker words are the filter's business; the
        # subject is the rest, and their quotes rarely name their own kind of leader.
        speaker_words = stem_set(query.filters.speaker + " topledere ledere")
        terms = [t for t in terms if not term_matches(t, speaker_words)] or terms
    overlap_of = TermOverlap(terms, term_weights(store))
    layouts = ChunkLayouts.of(store)  # what does not depend on the question, worked out once per chunk
    wants_address = query.question.wants_address
    spans: list[Span] = []
    scanned = hits[:CHUNKS_SCANNED]
    for rank, hit in enumerate(scanned):
        chunk = hit.chunk
        layout = layouts.layout(chunk)
        if layout.only_headings:
            continue
        vectors = layout.vectors if query.vector is not None else None
        prior = RANK_PRIOR * (1 - rank / max(1, len(scanned)))
        scores, cosines, overlaps = [], [], []
        for j, text in enumerate(layout.texts):
            facts = layout.facts[j]
            cosine = float(vectors[j] @ query.vector) if vectors is not None else (hit.dense or 0.0)
            overlap = overlap_of(layout.stems[j])
            cosines.append(cosine)
            overlaps.append(overlap)
            score = cosine + LEXICAL_WEIGHT * overlap + prior
            # What is asked for, about what is asked: "hvor mange procent ... væksten i diagnoser" wants the
            # percentage next to "diagnoser", not any percentage (English shares no words to tell).
            if asks.kind and holds(asks.kind, text) and (query.language == "en" or overlap >= KIND_OVERLAP):
                score += KIND_BONUS
            if facts.caption and not query.question.wants_source:
                score -= BARE_PENALTY
            if facts.url:
                score += KIND_BONUS if wants_address else (-BARE_PENALTY if facts.says_nothing else 0.0)
            if asks.list_size and facts.items >= asks.list_size:
                score += KIND_BONUS  # "hvilke fire ...": a sentence that names that many things
            scores.append(score)
        best_overlap = max(overlaps)
        for candidate in layout.candidates:
            span = Span(chunk=chunk, start=candidate.start, end=candidate.end, score=scores[candidate.first],
                        vector=candidate.vector if vectors is not None else None, speaker=candidate.speaker,
                        sentence_scores=[scores[k] for k in candidate.members])
            span.features = span_features(query, asks, hit, rank, span, candidate, cosines, overlaps, best_overlap,
                                          overlap_of)
            spans.append(span)
    wanted = query.filters.speaker
    if wanted and any(s.speaker == wanted for s in spans):
        # "Hvad sagde de regionale topledere om ...": their own quoted words first; narrative that reports
        # them ("flere af de kommunale topledere udtrykker ...") competes a step behind; other narrative not.
        spans = [s for s in spans if s.speaker == wanted or (s.speaker is None and speaker_mentioned(wanted, s.text))]
        for span in spans:
            if span.speaker is None:
                span.score -= NARRATIVE_PENALTY
    return spans


def span_features(query: Query, asks: Asks, hit: ScoredChunk, rank: int, span: Span, candidate: CandidateLayout,
                  cosines: list[float], overlaps: list[float], best_overlap: float,
                  overlap_of: TermOverlap) -> dict[str, float]:
    """The raw measurements of one candidate span the learned ranker reads: those against the question here
    (`cosines`, `overlaps`: of each sentence of its chunk), with those of the span alone
    (bot/answer/layout.surface_features); question-relative features are added over all candidates in
    bot/answer/learned.span_rows. Names are the model file's feature names."""
    text = candidate.text
    j, members = candidate.first, candidate.members
    question = query.question
    vector = query.vector
    context = float(candidate.context @ vector) if candidate.context is not None and vector is not None else cosines[j]
    span_cosine = float(span.vector @ vector) if span.vector is not None and vector is not None else cosines[j]
    wanted = query.filters.speaker
    return {
        "cos_span": span_cosine, "cos_first": cosines[j], "cos_max": max(cosines[k] for k in members),
        "cos_context": context,
        "cos_chunk": hit.dense or 0.0, "cos_chunk_best_sentence": hit.sentence or 0.0,
        "bm25_chunk": hit.lexical or 0.0, "fused_chunk": hit.score, "chunk_rank": float(rank),
        "overlap_span": overlap_of(candidate.stems) if len(members) > 1 else overlaps[j],
        "overlap_first": overlaps[j], "overlap_chunk_best": best_overlap,
        "kind_held": float(bool(asks.kind) and holds(asks.kind, text, question.given)),
        "list_enough": float(bool(asks.list_size) and candidate.facts.items >= (asks.list_size or 0)),
        "speaker_wanted": float(bool(wanted)), "speaker_match": float(bool(wanted) and span.speaker == wanted),
        "speaker_named": float(bool(wanted) and speaker_mentioned(wanted, text)),
        "section_wanted": float(query.filters.section_query is not None or query.filters.section_number is not None),
        "hand_score": span.score,
        **candidate.surface,
    }


_NUMBERS = re.compile(r"\d+|\b(?:en|to|tre|fire|fem|seks|syv|otte|ni|ti|elleve|tolv)\b", re.IGNORECASE)


# A first sentence that leans on the one before it (narrower than the ranker's `leans_back` feature: "Den
# strategiske dagsorden ..." opens with an article, not a reference back).
_LEANS_ON_BEFORE = re.compile(r"^\W*(?:det\s+(?:er|var)\s+(?:også|netop|derfor|her)|dette|denne|disse|derfor|dermed|"
                              r"herved|også|men|samtidig|således|endvidere|desuden|heller\s+ikke|this|these|"
                              r"however|also)\b", re.IGNORECASE)


def readable(span: Span) -> Span:
    """The span as it is quoted: without a heading it opens with ("Dem har vi talt med Analysen baserer sig
    ..." reads as one run-on sentence), and one sentence earlier when its first sentence leans on the one
    before ("Det er også den dagsorden ..."), unless that one is a heading."""
    chunk = span.chunk
    sentences = [(s, e) for s, e in chunk.sentences if chunk.text[s:e].strip()]
    at = next((i for i, (s, e) in enumerate(sentences) if s <= span.start < e), None)
    if at is None:
        return span
    headings = heading_lines(chunk)

    def is_heading(i: int) -> bool:
        return folded(chunk.text[sentences[i][0]:sentences[i][1]]) in headings

    start = span.start
    if is_heading(at) and at + 1 < len(sentences) and sentences[at + 1][0] < span.end:
        start = sentences[at + 1][0]
    elif at > 0 and _LEANS_ON_BEFORE.match(chunk.text[span.start:span.end].lstrip()) and not is_heading(at - 1):
        start = sentences[at - 1][0]
    if start == span.start:
        return span
    return Span(chunk=chunk, start=start, end=span.end, score=span.score, vector=span.vector, speaker=span.speaker,
                sentence_scores=span.sentence_scores, features=span.features)


def _same_words(a: Span, b: Span) -> bool:
    if a.chunk.id == b.chunk.id and a.start < b.end and b.start < a.end:
        return True  # overlapping spans of one chunk
    if set(_NUMBERS.findall(a.text.lower())) != set(_NUMBERS.findall(b.text.lower())):
        return False  # "interviewet fem statslige" and "interviewet 14 kommunale" say different things
    if a.vector is not None and b.vector is not None and float(a.vector @ b.vector) >= DUPLICATE_COSINE:
        return True
    return fuzz.partial_ratio(a.text, b.text) >= DUPLICATE_FUZZ and min(len(a.text), len(b.text)) > 30


def select_spans(spans: list[Span], limit: int, margin: float, diverse: bool = True) -> list[Span]:
    """Up to `limit` spans by maximal marginal relevance (`diverse`; else by score alone, near-duplicates
    skipped), each within `margin` of the best score."""
    # The same span can come from several sentences (a whole quote): keep its best score.
    unique: dict[tuple[str, int, int], Span] = {}
    for span in spans:
        key = (span.chunk.id, span.start, span.end)
        if key not in unique or unique[key].score < span.score:
            unique[key] = span
    pool = sorted(unique.values(), key=lambda s: s.score, reverse=True)
    if not pool:
        return []
    best = pool[0].score
    chosen: list[Span] = [pool[0]]
    candidates = [s for s in pool[1:] if s.score >= best - margin]
    while candidates and len(chosen) < limit:
        if not diverse:
            pick = candidates.pop(0)
            if not any(_same_words(pick, c) for c in chosen):
                chosen.append(pick)
            continue

        def mmr(span: Span) -> float:
            redundancy = max((float(span.vector @ c.vector) for c in chosen
                              if span.vector is not None and c.vector is not None), default=0.0)
            return MMR_LAMBDA * span.score - (1 - MMR_LAMBDA) * redundancy

        candidates.sort(key=mmr, reverse=True)
        pick = candidates.pop(0)
        if any(_same_words(pick, c) for c in chosen):
            continue
        chosen.append(pick)
    return chosen
