"""Compare a run with a baseline (eval/baseline.json or an earlier run's summary.json / run directory):
headline metric deltas and the questions that got worse, each with its reasons."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.metrics import HEADLINE
from ingest.errors import InputError

COMPARED = (*HEADLINE, "hit@1", "mrr", "quote_support", "evidence_recall", "coverage", "refusal_precision",
            "refusal_recall", "latency_p50_ms", "latency_p95_ms")
LOWER_IS_BETTER = {"latency_p50_ms", "latency_p95_ms"}


def load_thresholds(path: str | Path) -> dict[str, float]:
    """The `minimum` floors of a thresholds file (eval/thresholds.json)."""
    path = Path(path)
    try:
        minimum = json.loads(path.read_text(encoding="utf-8"))["minimum"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as err:
        raise InputError(f"{path}: not a thresholds file with a 'minimum' object ({type(err).__name__})") from None
    if not isinstance(minimum, dict) or not all(isinstance(v, (int, float)) for v in minimum.values()):
        raise InputError(f"{path}: 'minimum' must map metric names to numbers")
    return minimum


def below_thresholds(metrics: dict[str, Any], minimum: dict[str, float]) -> list[str]:
    """One line per metric under its floor (a metric that could not be computed counts as under)."""
    return [f"{name} = {metrics.get(name)} < {floor}" for name, floor in minimum.items()
            if metrics.get(name) is None or metrics[name] < floor]


def load_baseline(path: str | Path) -> dict[str, Any]:
    """A summary.json, a run directory holding one, or the committed eval/baseline.json."""
    path = Path(path)
    file = path / "summary.json" if path.is_dir() else path
    if not file.is_file():
        raise InputError(f"{path}: no baseline there (expected a summary.json or a run directory)")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{file}: not a JSON summary ({err})") from None
    if not isinstance(data, dict) or "metrics" not in data or "questions" not in data:
        raise InputError(f"{file}: not an eval summary (needs 'metrics' and 'questions')")
    data.setdefault("source_path", str(file))
    return data


def compact(score: Any) -> dict[str, Any]:
    """What a later run compares per question."""
    return {"kind": score.kind, "lang": score.lang, "refused": score.refused,
            "decision_correct": score.decision_correct, "supported": score.supported,
            "hit@5": score.hits.get("hit@5"), "rank": score.first_hit_rank, "coverage": score.coverage,
            "unverified_quotes": len(score.unverified_quotes), "error": score.error}


def _reasons(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    reasons = []
    if after.get("error") and not before.get("error"):
        reasons.append(f"error: {after['error']}")
    if before.get("decision_correct") and not after.get("decision_correct"):
        reasons.append("now refused" if after.get("refused") else "no longer refused")
    if before.get("supported") and after.get("supported") is False:
        reasons.append("gold passage no longer cited")
    if before.get("hit@5") and after.get("hit@5") is False:
        reasons.append(f"gold passage fell out of the top 5 (rank {before.get('rank')} -> {after.get('rank') or '-'})")
    if (before.get("coverage") or 0) > (after.get("coverage") or 0) + 1e-9 and after.get("coverage") is not None:
        reasons.append(f"key-term coverage {before['coverage']:.2f} -> {after['coverage']:.2f}")
    if (after.get("unverified_quotes") or 0) > (before.get("unverified_quotes") or 0):
        reasons.append(f"{after['unverified_quotes']} quote(s) not verbatim")
    return reasons


def latency_band(now: float | None, then: float | None) -> float | None:
    """Noise of the difference of two latency percentiles, each with its bootstrap half-width; a baseline
    without one (an older summary) is taken to be as noisy as this run."""
    if now is None:
        return None
    then = now if then is None else then
    return round((now ** 2 + then ** 2) ** 0.5, 2)


def compare(current: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """Metric deltas (only when both ran the same question set) and per-question regressions/improvements."""
    same_set = current["run"].get("questions_sha") == baseline.get("run", {}).get("questions_sha")
    deltas = {}
    if same_set:
        now, then = current["metrics"]["all"], baseline["metrics"]["all"]
        for metric in COMPARED:
            a, b = then.get(metric), now.get(metric)
            if a is None or b is None:
                continue
            delta = round(b - a, 4)
            worse = delta > 0 if metric in LOWER_IS_BETTER else delta < 0
            deltas[metric] = {"before": a, "after": b, "delta": delta, "worse": worse and abs(delta) > 1e-9}
            noise = latency_band(now.get(f"{metric[:-3]}_noise_ms"), then.get(f"{metric[:-3]}_noise_ms")) \
                if metric in LOWER_IS_BETTER else None
            if noise is not None:
                # Timings move with the machine's load: only a change beyond the runs' own noise counts.
                deltas[metric]["noise"] = noise
                deltas[metric]["worse"] = deltas[metric]["worse"] and abs(delta) > noise
    worse_questions, better_questions = [], []
    for qid, after in current["questions"].items():
        before = baseline["questions"].get(qid)
        if before is None:
            continue
        reasons = _reasons(before, after)
        if reasons:
            worse_questions.append({"id": qid, "reasons": reasons})
        fixed = _reasons(after, before)  # what the baseline did worse than this run
        if fixed and not reasons:
            better_questions.append({"id": qid, "fixed": fixed})
    return {"against": baseline.get("source_path"), "same_question_set": same_set, "metric_deltas": deltas,
            "worse": worse_questions, "better": better_questions}
