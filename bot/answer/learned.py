"""Learned scoring: which candidate span answers, and whether the report answers at all.

The hand-set weights of bot/answer/spans.py and the thresholds of bot/answer/refusal.py were each tuned one
question at a time, and on question sets written apart from them most of their gains disappeared. Here two
LightGBM models, fitted by `rapportbot train` (eval/train.py) on the train split of the question bank, do
those two jobs instead:
  - the span ranker (LambdaRank) scores every candidate span from its measurements (span_features in
    bot/answer/spans.py: e5 cosines of the sentence, its neighbours and its chunk, BM25 and IDF overlap,
    the asked-for kind being present, speaker and section matches, position, length, heading, caption and
    list shape, the chunk's retrieval rank) plus features relative to the question's other candidates;
  - the refusal classifier gives P(the report answers this) from the question's measurements
    (bot/answer/refusal.Measures: closeness, peak, coverage, words the report never uses, the kind check as
    one feature among others) and the ranker's best score; it refuses below a threshold chosen on dev.
The models are small text files in bot/answer/models/, loaded once. Training writes the feature names into
models.json; a model whose names differ from the code's is not used (the hand rules answer instead, and
`rapportbot train` says so).
"""
from __future__ import annotations

import json
import operator
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.answer.refusal import Measures
from bot.answer.spans import Span
from bot.question.asks import Asks

MODEL_DIR = Path(__file__).parent / "models"
KINDS = ("count", "amount", "percent", "age", "date", "name", "person")
RELATIVE = ("cos_span", "cos_first", "cos_context", "overlap_span", "hand_score", "bm25_chunk", "fused_chunk")
SPAN_BASE = (
    "cos_span", "cos_first", "cos_max", "cos_context", "cos_chunk", "cos_chunk_best_sentence", "bm25_chunk",
    "fused_chunk", "chunk_rank", "overlap_span", "overlap_first", "overlap_chunk_best", "kind_held", "list_items",
    "list_enough", "caption", "url", "says_nothing", "heading_start", "position", "first_in_chunk", "sentences",
    "chars", "words", "ends_colon", "leans_back", "quote", "speaker_kind", "speaker_wanted", "speaker_match",
    "speaker_named", "section_wanted", "bullet", "digits", "hand_score",
)


def question_flags(asks: Asks, query: Any) -> dict[str, float]:
    """What is asked, as features both models read."""
    question = query.question
    flags = {f"ask_{kind}": float(asks.kind == kind) for kind in KINDS}
    flags.update({
        "ask_list": float(asks.is_list), "ask_list_size": float(asks.list_size or 0),
        "english": float(query.language == "en"), "followup": float(question.is_followup),
        "about_report": float(question.about_report), "wants_address": float(question.wants_address),
        "wants_source": float(question.wants_source),
    })
    return flags


def span_rows(spans: list[Span], asks: Asks, query: Any, names: tuple[str, ...] | list[str]) -> np.ndarray:
    """One feature row per span, in `names` order: its own measurements, the question's flags, and how it
    stands against the question's other candidates (gap to the best, rank)."""
    if not spans:
        return np.zeros((0, len(names)), dtype=np.float64)
    flags = question_flags(asks, query)
    features = [s.features for s in spans]
    relative: dict[str, np.ndarray] = {}
    for name in RELATIVE:
        values = np.array([f.get(name, 0.0) for f in features])
        order = (-values).argsort(kind="stable").argsort(kind="stable")
        relative[f"{name}_gap"] = values.max() - values
        relative[f"{name}_rank"] = order
    # Filled a column at a time (a row of dict look-ups per span was ~5% of a warm ask): a span's own
    # measurement first, else the question's flag, else 0.
    keys = [f.keys() for f in features]
    everywhere = set(keys[0]).intersection(*keys[1:])
    anywhere = set().union(*keys)
    own = [n for n in names if n in everywhere and n not in relative]
    rows = np.empty((len(spans), len(names)), dtype=np.float64)
    if own:
        measured = operator.itemgetter(*own)
        columns = np.array([measured(f) for f in features], dtype=np.float64).reshape(len(spans), len(own))
        column_of = {n: columns[:, i] for i, n in enumerate(own)}
    for i, name in enumerate(names):
        if name in relative:
            rows[:, i] = relative[name]
        elif name in everywhere:
            rows[:, i] = column_of[name]
        elif name in anywhere:
            rows[:, i] = [f.get(name, flags.get(name, 0.0)) for f in features]
        else:
            rows[:, i] = flags.get(name, 0.0)
    return rows


FLAGS = (*[f"ask_{kind}" for kind in KINDS], "ask_list", "ask_list_size", "english", "followup", "about_report",
         "wants_address", "wants_source")


def span_feature_names() -> list[str]:
    return [*SPAN_BASE, *[f"{n}_{k}" for n in RELATIVE for k in ("gap", "rank")], *FLAGS]


def refusal_row(measures: Measures, asks: Asks, query: Any, ranked: np.ndarray,
                names: tuple[str, ...] | list[str]) -> np.ndarray:
    """The refusal classifier's one row: the question's measurements, its flags and the ranker's best
    scores (`ranked`: the learned span scores, best first)."""
    values = measures.features() | question_flags(asks, query)
    values["rank_best"] = float(ranked[0]) if len(ranked) else -10.0
    values["rank_gap2"] = float(ranked[0] - ranked[1]) if len(ranked) > 1 else 0.0
    values["rank_top3"] = float(np.mean(ranked[:3])) if len(ranked) else -10.0
    return np.array([[values.get(n, 0.0) for n in names]], dtype=np.float64)


def refusal_feature_names() -> list[str]:
    return [*Measures.FEATURES, *FLAGS, "rank_best", "rank_gap2", "rank_top3"]


@dataclass
class LearnedModels:
    """The fitted ranker and classifier with what training chose on dev (models.json)."""

    ranker: Any
    refusal: Any
    meta: dict

    @property
    def threshold(self) -> float:
        return float(self.meta["refusal_threshold"])

    @property
    def margin(self) -> float:
        return float(self.meta["quote_margin"])

    def score_spans(self, spans: list[Span], asks: Asks, query: Any) -> np.ndarray:
        """Learned scores of `spans`; also written to each span's `score` (what select_spans reads)."""
        if not spans:
            return np.zeros(0)
        scores = self.ranker.predict(span_rows(spans, asks, query, self.meta["span_features"]), num_threads=1)
        for span, score in zip(spans, scores):
            span.score = float(score)
        return scores

    def answer_probability(self, measures: Measures, asks: Asks, query: Any, scores: np.ndarray) -> float:
        ranked = np.sort(scores)[::-1]
        row = refusal_row(measures, asks, query, ranked, self.meta["refusal_features"])
        return float(self.refusal.predict(row, num_threads=1)[0])


_lock = threading.Lock()
_loaded: dict[Path, LearnedModels | None] = {}


def load_models(directory: Path = MODEL_DIR) -> LearnedModels | None:
    """The models in `directory`, loaded once; None when absent or fitted for other feature names."""
    directory = Path(directory)
    with _lock:
        if directory not in _loaded:
            _loaded[directory] = _read(directory)
        return _loaded[directory]


def _read(directory: Path) -> LearnedModels | None:
    meta_path = directory / "models.json"
    if not meta_path.is_file():
        return None
    import lightgbm

    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("span_features") != span_feature_names() or meta.get("refusal_features") != refusal_feature_names():
        return None
    ranker = lightgbm.Booster(model_file=str(directory / "span_ranker.txt"))
    refusal = lightgbm.Booster(model_file=str(directory / "refusal.txt"))
    return LearnedModels(ranker=ranker, refusal=refusal, meta=meta)
