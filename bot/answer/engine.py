"""The extractive answer engine: question -> retrieval -> spans -> refusal check -> answer with citations."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.question.asks import Asks
from bot.answer.compose import compose_answer, compose_list, make_citation
from bot.answer.counts import count_spans
from bot.answer.spans import Span, score_spans, select_spans
from bot.question.followup import ResolvedQuestion
from bot.question.parse import Question
from bot.answer.lists import MAX_ITEMS, structured_list
from bot.llm.prompts import refusal_phrase
from bot.answer.learned import LearnedModels, load_models
from bot.answer.refusal import Measures, Verdict, measure, rule_verdict
from bot.answer.retrieval import Query, ScoredChunk, embed, retrieve
from bot.types import Answer, Citation

EXTRACTIVE_POOL = 12  # chunks whose sentences compete for the quotes (the top_k of them go to the LLM)
SCORE_MARGIN = 0.05  # further quotes must score within this of the best one
NEAREST_SHOWN = 3
_NEAREST_INTRO = {"da": "De nærmeste steder i rapporten er:", "en": "The nearest passages in the report are:"}


@dataclass
class Prepared:
    """A question made ready: resolved follow-up, language, filters, query vector and retrieved chunks."""

    question: str
    resolved: ResolvedQuestion
    query: Query
    hits: list[ScoredChunk]  # the top settings.retrieval.top_k: shown as `retrieved`, handed to the LLM
    question_for_llm: str
    pool: list[ScoredChunk]  # hits and a few more: candidates for extractive quotes
    counts: list[Span] = field(default_factory=list)  # a count question: sentences quantifying its noun
    counted_by_question: bool = False  # ... and the noun came from the question's own words


@dataclass
class EngineResult:
    answer: Answer
    verdict: Verdict | None
    spans: list[Span]
    passages: list[ScoredChunk] = field(default_factory=list)  # what an LLM reads, and the answer's `retrieved`


def passages_for(pool: list[ScoredChunk], spans: list[Span], budget: int) -> list[ScoredChunk]:
    """The chunks an LLM is handed: by their best span's score (the ranker knows better than the fusion which
    chunk holds the answer), then the pool's order, as many whole chunks as fit in `budget` characters (the
    first always). A model reads a short context more carefully, and a shorter prompt costs less."""
    best: dict[str, float] = {}
    for span in spans:
        best[span.chunk.id] = max(best.get(span.chunk.id, float("-inf")), span.score)
    order = sorted(range(len(pool)), key=lambda i: (-best.get(pool[i].chunk.id, float("-inf")), i))
    chosen: list[ScoredChunk] = []
    used = 0
    for i in order:
        size = len(pool[i].chunk.text)
        if chosen and used + size > budget:
            continue
        chosen.append(pool[i])
        used += size
    return chosen


def prepare(store: Any, settings: Any, question: Question) -> Prepared:
    """Embed and retrieve for a parsed question; a count question also gathers the sentences counting its noun."""
    query = Query(question, vector=embed(store, question.text))
    pool = retrieve(store, settings, query, k=max(settings.retrieval.top_k, EXTRACTIVE_POOL))
    counts, counted_by_question = ([], False)
    if question.asks.kind == "count":
        counts, counted_by_question = count_spans(store, query)
        pool = _with_count_chunks(pool, counts, settings.retrieval.top_k)
    return Prepared(question=question.raw, resolved=question.resolved, query=query,
                    hits=pool[: settings.retrieval.top_k], question_for_llm=question.standalone, pool=pool, counts=counts, counted_by_question=counted_by_question)


def _with_count_chunks(pool: list[ScoredChunk], counts: list[Span], top_k: int) -> list[ScoredChunk]:
    """The chunks holding the count (the total may sit in a chunk retrieval ranked low) among the top_k, so
    the LLM reads them too; the best-retrieved chunk stays first."""
    have = {h.chunk.id for h in pool[:top_k]}
    extra: list[ScoredChunk] = []
    for span in counts:
        if span.chunk.id not in have:
            have.add(span.chunk.id)
            found = next((h for h in pool if h.chunk.id == span.chunk.id), None)
            extra.append(found or ScoredChunk(chunk=span.chunk, score=0.0, sentence=span.score))
    if not extra:
        return pool
    rest = [h for h in pool if h not in extra]
    return rest[:1] + extra + rest[1:]


def _citations(store: Any, spans: list[Span], nearest: bool = False) -> list[Citation]:
    citations: list[Citation] = []
    for span in spans:
        citation = make_citation(store, len(citations) + 1, span.chunk, span.chunk.start + span.start,
                                 span.chunk.start + span.end, span.speaker, nearest=nearest)
        if citation is not None:
            citations.append(citation)
    return citations


def _with_counts(counts: list[Span], chosen: list[Span], limit: int) -> list[Span]:
    """A count question: the total first, then the best-scoring span, then the parts, then the rest."""
    ordered = [counts[0], *chosen[:1], *counts[1:], *chosen[1:]]
    kept: list[Span] = []
    for span in ordered:
        if not any(span.chunk.id == k.chunk.id and span.start < k.end and k.start < span.end for k in kept):
            kept.append(span)
    return kept[:limit]


def refusal_text(language: str, citations: list[Citation]) -> str:
    from bot.answer.compose import quote_lines

    text = refusal_phrase(language)
    if citations:
        text += f" {_NEAREST_INTRO['en' if language == 'en' else 'da']}\n\n{quote_lines(citations)}"
    return text


# Refusals no model overturns: nothing to look up, nothing close (no answerable bank question met it), or a
# request to write verse.
HARD_REFUSALS = frozenset({"empty", "task", "far"})


@dataclass
class Candidates:
    """A prepared question's scored candidate spans and its measurements (what both models read)."""

    spans: list[Span]
    measures: Measures | None
    counts: list[Span]


def candidates(store: Any, prepared: Prepared, asks: Asks) -> Candidates:
    """Every candidate span of the pool, hand-scored and measured; shared by answering and `rapportbot train`."""
    query, hits = prepared.query, prepared.pool
    spans = score_spans(store, query, hits, asks)
    counts = prepared.counts if asks.kind == "count" else []
    measures = measure(store, query, asks, hits, spans, quantified=bool(counts) and prepared.counted_by_question) \
        if hits and spans else None
    return Candidates(spans, measures, counts)


def decide(found: Candidates, asks: Asks, query: Any, models: LearnedModels | None) -> Verdict:
    """Refuse or answer: the hand rules, or (learned) the classifier with the hard refusals kept."""
    if found.measures is None:
        return Verdict(True, "far", 0.0, 0.0)
    rules = rule_verdict(found.measures, query.vector is not None)
    if models is None or rules.reason in HARD_REFUSALS:
        return rules
    scores = models.score_spans(found.spans, asks, query)
    probability = models.answer_probability(found.measures, asks, query, scores)
    refused = probability < models.threshold
    return Verdict(refused, "model" if refused else "", rules.best_cosine, rules.coverage, rules.peak,
                   answer_probability=probability)


def extractive_answer(store: Any, settings: Any, prepared: Prepared, asks: Asks) -> EngineResult:
    query, hits = prepared.query, prepared.pool
    language = query.language
    models = load_models() if settings.answer.scorer == "learned" else None
    found = candidates(store, prepared, asks)
    spans, counts = found.spans, found.counts
    verdict = decide(found, asks, query, models)
    passages = passages_for(prepared.pool, spans, settings.llm.context_chars)
    if verdict.refused:
        nearest = _citations(store, select_spans(spans, NEAREST_SHOWN, margin=float("inf")), nearest=True)
        answer = Answer(question=prepared.question, language=language, mode="extractive", refused=True,
                        answer=refusal_text(language, nearest), citations=nearest)
        return EngineResult(answer, verdict, spans, passages)
    items = structured_list(store, hits, asks)
    if items:
        citations = []
        for item in items[:MAX_ITEMS]:
            chunk_speaker = None
            citation = make_citation(store, len(citations) + 1, item.chunk, item.start, item.end, chunk_speaker)
            if citation is not None:
                citation.section = item.section
                citations.append(citation)
        if citations:
            answer = Answer(question=prepared.question, language=language, mode="extractive", refused=False,
                            answer=compose_list(language, citations), citations=citations)
            return EngineResult(answer, verdict, spans, passages)
    limit = settings.answer.max_quotes
    if asks.list_size:
        limit = max(limit, min(asks.list_size, MAX_ITEMS))
    # A list's items may be spread over passages that each score a little lower: look a little wider.
    if models is not None:
        chosen = select_spans(spans, limit, margin=models.margin * (2 if asks.is_list else 1), diverse=False)
    else:
        chosen = select_spans(spans, limit, margin=SCORE_MARGIN * (2 if asks.is_list else 1))
    if counts:
        chosen = _with_counts(counts, chosen, limit)
    citations = _citations(store, chosen)
    if not citations:
        answer = Answer(question=prepared.question, language=language, mode="extractive", refused=True,
                        answer=refusal_text(language, []))
        return EngineResult(answer, verdict, spans, passages)
    answer = Answer(question=prepared.question, language=language, mode="extractive", refused=False,
                    answer=compose_answer(language, citations), citations=citations)
    return EngineResult(answer, verdict, spans, passages)
