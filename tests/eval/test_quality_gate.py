"""CI quality gate: every split of the question bank, extractive mode, real store. Fails when a headline
metric drops below its split's floor in eval/thresholds_splits.json (ratchet the floors up as the engine
improves; never down to get green).

The sealed test split is scored like the others but, as `rapportbot eval --split test` does, its run goes to
a temporary folder and a failure names only the metric, never a question: nobody learns the test questions
from a red run. The train and dev runs are kept in tests/artifacts/ for a look at what went wrong.
"""
from __future__ import annotations

import json
import shutil

import pytest

from eval.compare import below_thresholds
from eval.evaluate import evaluate
from eval.questions import split_files
from ingest.settings import PROJECT_ROOT

THRESHOLDS = PROJECT_ROOT / "eval" / "thresholds_splits.json"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"


def test_every_split_has_floors_and_verbatim_is_one():
    floors = json.loads(THRESHOLDS.read_text(encoding="utf-8"))["minimum"]
    assert set(floors) == {"train", "dev", "test"}
    for split, minimum in floors.items():
        assert {"quote_hit", "decision_accuracy", "verbatim_rate"} <= set(minimum), split
        assert minimum["verbatim_rate"] == 1.0


@pytest.mark.long
@pytest.mark.timeout(1200)  # minutes of work by design; the suite-wide 300 s is for everything else
@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_each_split_meets_its_floors(eval_service, store_settings, split, tmp_path):
    minimum = json.loads(THRESHOLDS.read_text(encoding="utf-8"))["minimum"][split]
    out = tmp_path / "sealed" if split == "test" else ARTIFACTS / f"eval-gate-{split}"
    summary = evaluate(store_settings, split_files(split), out, baseline=None, progress=False, service=eval_service)
    if split == "test":
        shutil.rmtree(out, ignore_errors=True)
    metrics = summary["metrics"]["all"]
    assert metrics["errors"] == 0 and summary["run"]["mode"].startswith("extractive")
    below = below_thresholds(metrics, minimum)
    where = "" if split == "test" else f"; see {out / 'report.md'}"
    assert not below, f"{split} split below its floors ({'; '.join(below)}){where}"
