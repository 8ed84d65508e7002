"""Per-question scores and their aggregates. Definitions (also in eval/README.md):

- hit@k: a gold evidence string occurs (matching form, eval.matching) in one of the first k retrieved
  chunks (chunk section title + text). MRR: mean of 1/rank of the first such chunk (0 if none retrieved).
- support: the answer is not a refusal and a gold evidence is within what it cites: a cited chunk contains
  it, or the citation's quote overlaps it by at least min(len(evidence), 40) characters in matching form.
  quote_support: the same with the quote alone (the chunk does not count). evidence_recall: share of the
  gold evidence strings supported (matters for list questions). Citations marked `nearest` never count.
- context_hit: a gold evidence string occurs in one of the passages the answer lists as `retrieved` (what an
  LLM is handed: at most RAPPORTBOT_LLM_CONTEXT_CHARS of whole chunks); context_chars: their length.
- quote_hit: the answer is not a refusal and at least 80% of the words of one gold evidence string stand in
  the quotes it shows (words case-folded, NFKC, dashes dropped; counted with repeats). Unlike support, a cited
  chunk that holds the evidence does not count: the reader sees the quotes, not the chunk.
- verbatim: a quote occurs in the original report file in matching form (parts around an elision "..." in
  order). verbatim_rate = verbatim quotes / all quotes shown, over all questions (refusals' too).
- coverage: share of must_mention terms found (case-folded, whitespace collapsed) in answer text + quotes;
  a term "a|b" is found when either is.
- refusal: positive = refused. precision = refused out-of-scope / refused; recall = refused out-of-scope /
  out-of-scope; decision_accuracy = share of questions whose refuse/answer decision is right.
- answer_chars: length of the answer text. latency_ms: wall-clock time of one ask, p50/p95; their noise
  (latency_p50_noise_ms, ...): half-width of the 95% bootstrap interval over this run's latencies.
Retrieval, support, coverage and judge scores are averaged over answerable questions only.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from typing import Iterable

import numpy as np
from pydantic import BaseModel

from bot.types import Answer
from eval.matching import _DASHES, contains_folded, fold, is_verbatim, overlap_chars
from eval.questions import Question

HIT_KS = (1, 3, 5)
QUOTE_OVERLAP_CHARS = 40
QUOTE_HIT_SHARE = 0.8
HEADLINE = ("quote_hit", "support", "verbatim_rate", "decision_accuracy", "hit@5")


class QuestionScore(BaseModel):
    id: str
    lang: str
    kind: str
    topic: str | None = None
    answerable: bool
    refused: bool
    decision_correct: bool
    first_hit_rank: int | None = None
    hits: dict[str, bool] = {}
    reciprocal_rank: float | None = None
    supported: bool | None = None
    quote_supported: bool | None = None
    quote_hit: bool | None = None
    context_hit: bool | None = None
    context_chars: int = 0
    evidence_recall: float | None = None
    quotes: int = 0
    verbatim_quotes: int = 0
    unverified_quotes: list[str] = []
    coverage: float | None = None
    missing_terms: list[str] = []
    answer_chars: int = 0
    latency_ms: float = 0.0
    faithfulness: float | None = None
    correctness: float | None = None
    error: str | None = None


def _haystack(section: str | None, text: str) -> str:
    return fold(f"{section or ''} {text}")


def first_hit_rank(answer: Answer, evidence: list[str]) -> int | None:
    """1-based rank of the first retrieved chunk holding a gold evidence string."""
    for rank, item in enumerate(answer.retrieved, start=1):
        hay = _haystack(item.section, item.text)
        if any(contains_folded(hay, e) for e in evidence):
            return rank
    return None


def evidence_supported(evidence: str, citation, quote_only: bool = False) -> bool:
    """One gold evidence string within one citation (see module doc)."""
    if not quote_only and contains_folded(_haystack(citation.section, citation.text), evidence):
        return True
    needed = min(len(fold(evidence)), QUOTE_OVERLAP_CHARS)
    return needed > 0 and overlap_chars(citation.quote, evidence) >= needed


_WORD = re.compile(r"\w+")


def words_of(text: str) -> list[str]:
    """The words of `text` as quote_hit compares them: NFKC, case-folded, dashes and soft hyphens dropped."""
    return _WORD.findall(_DASHES.sub("", unicodedata.normalize("NFKC", text)).casefold())


def quote_hit(evidence: list[str], quotes: list[str], share: float = QUOTE_HIT_SHARE) -> bool:
    """At least `share` of one evidence string's words stand in `quotes` (see module doc)."""
    shown = Counter(w for q in quotes for w in words_of(q))
    for item in evidence:
        wanted = Counter(words_of(item))
        total = sum(wanted.values())
        if total and sum(min(n, shown[w]) for w, n in wanted.items()) >= share * total:
            return True
    return False


def term_found(term: str, text: str) -> bool:
    return any(alt.strip() and alt.strip().casefold() in text for alt in term.split("|"))


def _collapsed(text: str) -> str:
    return re.sub(r"\s+", " ", text).casefold()


def score_answer(question: Question, answer: Answer, folded_report: str, latency_ms: float) -> QuestionScore:
    """Scores of one answer against its question's gold labels."""
    answering = [c for c in answer.citations if not c.nearest]
    score = QuestionScore(
        id=question.id, lang=question.lang or answer.language, kind=question.kind, topic=question.topic,
        answerable=question.answerable, refused=answer.refused,
        decision_correct=answer.refused != question.answerable,
        answer_chars=len(answer.answer), latency_ms=latency_ms,
        context_chars=sum(len(r.text) for r in answer.retrieved),
    )
    quotes = [c.quote for c in answer.citations]
    verbatim = [is_verbatim(q, folded_report) for q in quotes]
    score.quotes, score.verbatim_quotes = len(quotes), sum(verbatim)
    score.unverified_quotes = [q for q, ok in zip(quotes, verbatim) if not ok]
    if not question.answerable:
        return score
    text = _collapsed(answer.answer + " " + " ".join(quotes))
    score.missing_terms = [t for t in question.must_mention if not term_found(t, text)]
    if question.must_mention:
        score.coverage = 1 - len(score.missing_terms) / len(question.must_mention)
    if not question.evidence:  # e.g. exported feedback not yet labelled: nothing to check retrieval against
        return score
    rank = first_hit_rank(answer, question.evidence)
    score.first_hit_rank = rank
    score.context_hit = rank is not None
    score.hits = {f"hit@{k}": rank is not None and rank <= k for k in HIT_KS}
    score.reciprocal_rank = 1.0 / rank if rank else 0.0
    cited = [] if answer.refused else answering
    found = [e for e in question.evidence if any(evidence_supported(e, c) for c in cited)]
    score.supported = bool(found)
    score.quote_supported = any(evidence_supported(e, c, quote_only=True) for e in question.evidence for c in cited)
    score.evidence_recall = len(found) / len(question.evidence)
    score.quote_hit = not answer.refused and quote_hit(question.evidence, [c.quote for c in answering])
    return score


def _mean(values: Iterable[float | bool | None]) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return round(sum(kept) / len(kept), 4) if kept else None


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def latency_noise(latencies: list[float], percentile: float, rounds: int = 400) -> float | None:
    """Half-width of the 95% bootstrap interval of a latency percentile, from this run's own latencies:
    how far that percentile moves by chance alone. A comparison calls a latency change worse only beyond it."""
    if len(latencies) < 2:
        return None
    rng = np.random.default_rng(0)
    samples = rng.choice(np.asarray(latencies, dtype=float), size=(rounds, len(latencies)), replace=True)
    low, high = np.percentile(np.percentile(samples, percentile, axis=1), [2.5, 97.5])
    return round(float(high - low) / 2, 2)


def aggregate(scores: list[QuestionScore]) -> dict[str, float | int | None]:
    """All metrics over one group of questions (see module doc)."""
    ok = [s for s in scores if s.error is None]
    answerable = [s for s in ok if s.answerable]
    out_of_scope = [s for s in ok if not s.answerable]
    refused = [s for s in ok if s.refused]
    latencies = [s.latency_ms for s in ok]
    chars = [s.answer_chars for s in ok]
    quotes = sum(s.quotes for s in ok)
    result: dict[str, float | int | None] = {
        "n": len(scores), "errors": len(scores) - len(ok), "answerable": len(answerable),
        "out_of_scope": len(out_of_scope),
    }
    for k in HIT_KS:
        result[f"hit@{k}"] = _mean(s.hits.get(f"hit@{k}") for s in answerable)
    result["mrr"] = _mean(s.reciprocal_rank for s in answerable)
    result["support"] = _mean(s.supported for s in answerable)
    result["quote_support"] = _mean(s.quote_supported for s in answerable)
    result["quote_hit"] = _mean(s.quote_hit for s in answerable)
    result["context_hit"] = _mean(s.context_hit for s in answerable)
    result["context_chars_max"] = max((s.context_chars for s in ok), default=None)
    result["evidence_recall"] = _mean(s.evidence_recall for s in answerable)
    result["coverage"] = _mean(s.coverage for s in answerable)
    result["quotes"] = quotes
    result["verbatim_rate"] = _ratio(sum(s.verbatim_quotes for s in ok), quotes)
    true_refusals = sum(1 for s in refused if not s.answerable)
    result["refusal_precision"] = _ratio(true_refusals, len(refused))
    result["refusal_recall"] = _ratio(true_refusals, len(out_of_scope))
    result["decision_accuracy"] = _mean(s.decision_correct for s in ok)
    result["answer_chars_mean"] = round(float(np.mean(chars)), 1) if chars else None
    result["answer_chars_median"] = round(float(np.median(chars)), 1) if chars else None
    result["latency_p50_ms"] = round(float(np.percentile(latencies, 50)), 2) if latencies else None
    result["latency_p95_ms"] = round(float(np.percentile(latencies, 95)), 2) if latencies else None
    result["latency_p50_noise_ms"] = latency_noise(latencies, 50)
    result["latency_p95_noise_ms"] = latency_noise(latencies, 95)
    result["faithfulness"] = _mean(s.faithfulness for s in answerable)
    result["correctness"] = _mean(s.correctness for s in answerable)
    return result


def summarise(scores: list[QuestionScore]) -> dict[str, object]:
    """Aggregates overall and by language, kind and topic."""
    groups: dict[str, dict[str, list[QuestionScore]]] = {"lang": defaultdict(list), "kind": defaultdict(list),
                                                          "topic": defaultdict(list)}
    for s in scores:
        groups["lang"][s.lang].append(s)
        groups["kind"][s.kind].append(s)
        groups["topic"][s.topic or "-"].append(s)
    return {
        "all": aggregate(scores),
        **{f"by_{name}": {key: aggregate(items) for key, items in sorted(group.items())}
           for name, group in groups.items()},
    }
