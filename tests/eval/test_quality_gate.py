"""CI quality gate: the whole question set, extractive mode, real store. Fails when a headline metric drops
below eval/thresholds.json (ratchet the numbers up as the engine improves; never down to get green).
The run's report is kept in tests/artifacts/eval-gate/ for a look at what went wrong."""
from __future__ import annotations

from eval.compare import below_thresholds, load_thresholds
from eval.evaluate import DEFAULT_QUESTIONS, evaluate
from ingest.settings import PROJECT_ROOT

THRESHOLDS = PROJECT_ROOT / "eval" / "thresholds.json"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts" / "eval-gate"
INDEPENDENT = sorted((PROJECT_ROOT / "eval").glob("questions_independent_*.yaml"))
INDEPENDENT_THRESHOLDS = PROJECT_ROOT / "eval" / "thresholds_independent.json"


def test_headline_metrics_meet_the_thresholds(eval_service, store_settings):
    minimum = load_thresholds(THRESHOLDS)
    assert {"support", "verbatim_rate", "decision_accuracy", "hit@5"} <= set(minimum)
    assert minimum["verbatim_rate"] == 1.0
    summary = evaluate(store_settings, DEFAULT_QUESTIONS, ARTIFACTS, baseline=None, progress=False,
                       service=eval_service)
    metrics = summary["metrics"]["all"]
    assert metrics["errors"] == 0
    assert summary["run"]["mode"].startswith("extractive")
    below = below_thresholds(metrics, minimum)
    assert not below, f"quality gate failed ({'; '.join(below)}); see {ARTIFACTS / 'report.md'}"


def test_questions_written_apart_from_the_calibration_meet_their_floors(eval_service, store_settings):
    """The rules were calibrated on eval/questions.yaml; three sets written from the report alone tell whether
    they carry over (a rule that only fits the calibration questions shows here)."""
    minimum = load_thresholds(INDEPENDENT_THRESHOLDS)
    summary = evaluate(store_settings, INDEPENDENT, ARTIFACTS.parent / "eval-gate-independent", baseline=None,
                       progress=False, service=eval_service)
    metrics = summary["metrics"]["all"]
    assert len(INDEPENDENT) == 3 and metrics["errors"] == 0 and metrics["n"] == 220
    below = below_thresholds(metrics, minimum)
    assert not below, f"independent sets below their floors ({'; '.join(below)})"
