"""Comparison with a baseline: metric deltas on the same set, per-question regressions with reasons."""
from __future__ import annotations

import json

import pytest

from eval.compare import compare, load_baseline
from ingest.errors import InputError


def summary(questions: dict, sha: str = "abc", support: float = 0.9) -> dict:
    return {"run": {"questions_sha": sha},
            "metrics": {"all": {"support": support, "verbatim_rate": 1.0, "decision_accuracy": 1.0, "hit@5": 0.9,
                                "latency_p50_ms": 50.0}},
            "questions": questions}


GOOD = {"kind": "fact", "lang": "da", "refused": False, "decision_correct": True, "supported": True, "hit@5": True,
        "rank": 1, "coverage": 1.0, "unverified_quotes": 0, "error": None}


def test_regressions_and_improvements_with_reasons():
    before = summary({"a": GOOD, "b": GOOD, "c": {**GOOD, "supported": False}, "gone": GOOD})
    after = summary({
        "a": GOOD,
        "b": {**GOOD, "refused": True, "decision_correct": False, "supported": False, "hit@5": False, "rank": None,
              "coverage": 0.5, "unverified_quotes": 1},
        "c": GOOD,
        "new": {**GOOD, "supported": False},
    }, support=0.8)
    result = compare(after, before)
    assert result["worse"] == [{"id": "b", "reasons": [
        "now refused", "gold passage no longer cited", "gold passage fell out of the top 5 (rank 1 -> -)",
        "key-term coverage 1.00 -> 0.50", "1 quote(s) not verbatim"]}]
    assert result["better"] == [{"id": "c", "fixed": ["gold passage no longer cited"]}]
    assert result["metric_deltas"]["support"] == {"before": 0.9, "after": 0.8, "delta": -0.1, "worse": True}
    assert result["metric_deltas"]["verbatim_rate"]["worse"] is False


def test_different_question_sets_compare_only_shared_ids():
    result = compare(summary({"a": {**GOOD, "supported": False}}, sha="new"), summary({"a": GOOD}, sha="old"))
    assert result["same_question_set"] is False and result["metric_deltas"] == {}
    assert result["worse"][0]["id"] == "a"


def test_load_baseline_from_file_or_run_dir(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps(summary({"a": GOOD})), encoding="utf-8")
    assert load_baseline(tmp_path)["questions"]["a"] == GOOD
    assert load_baseline(tmp_path / "summary.json")["source_path"].endswith("summary.json")
    (tmp_path / "other.json").write_text('{"x": 1}', encoding="utf-8")
    with pytest.raises(InputError, match="not an eval summary"):
        load_baseline(tmp_path / "other.json")
    with pytest.raises(InputError, match="no baseline there"):
        load_baseline(tmp_path / "missing")


def test_thresholds(tmp_path):
    from eval.compare import below_thresholds, load_thresholds

    path = tmp_path / "t.json"
    path.write_text('{"minimum": {"support": 0.8, "hit@5": 0.9, "faithfulness": 0.5}}', encoding="utf-8")
    minimum = load_thresholds(path)
    assert below_thresholds({"support": 0.85, "hit@5": 0.89, "faithfulness": None}, minimum) == [
        "hit@5 = 0.89 < 0.9", "faithfulness = None < 0.5"]
    path.write_text('{"minimum": {"support": "high"}}', encoding="utf-8")
    with pytest.raises(InputError, match="must map metric names to numbers"):
        load_thresholds(path)


def test_a_latency_change_within_the_runs_noise_is_not_worse():
    before, after = summary({}), summary({})
    before["metrics"]["all"]["latency_p50_noise_ms"] = 6.0
    after["metrics"]["all"].update(latency_p50_ms=58.0, latency_p50_noise_ms=6.0)  # +8 ms, band ±8.5
    within = compare(after, before)["metric_deltas"]["latency_p50_ms"]
    assert within["delta"] == 8.0 and within["noise"] == 8.49 and within["worse"] is False
    after["metrics"]["all"]["latency_p50_ms"] = 70.0
    assert compare(after, before)["metric_deltas"]["latency_p50_ms"]["worse"] is True


def test_latency_noise_is_measured_from_the_runs_own_latencies():
    from eval.metrics import latency_noise

    steady, jumpy = [50.0 + (i % 3) for i in range(100)], [10.0 + (i * 37 % 90) for i in range(100)]
    assert latency_noise(steady, 50) < 1.0 < latency_noise(jumpy, 50)
    assert latency_noise([50.0], 50) is None
