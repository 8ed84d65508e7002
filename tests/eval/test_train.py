"""`rapportbot train` rebuilds the committed models: the same choices and dev figures, from the bank alone.

Training runs the train and dev questions through the real answer path on the shared store, so this test
is the whole pipeline (about a minute on 2 cores). Equal dev figures mean the committed models are what the
committed bank and code produce; a change to the features or the bank without `make train` fails here.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answer.learned import MODEL_DIR
from eval.train import bank_fingerprint, span_grade, train


def test_span_grades_follow_the_share_of_evidence_words():
    evidence = ["Analysen baserer sig på samtaler med 24 udvalgte topledere"]
    assert span_grade("Analysen af offentlige toplederes innovationsdagsorden baserer sig på samtaler med 24 "
                      "udvalgte topledere (niveau 1 og 2).", evidence) == 3
    assert span_grade("Analysen baserer sig på samtaler.", evidence) in (1, 2)
    assert span_grade("Klimaet er en dagsorden for alle.", evidence) == 0
    assert span_grade("anything", []) == 0


@pytest.mark.long
@pytest.mark.timeout(1200)  # minutes of work by design; the suite-wide 300 s is for everything else
def test_training_reproduces_the_committed_models(store_settings, tmp_path: Path):
    committed = json.loads((MODEL_DIR / "models.json").read_text(encoding="utf-8"))
    assert committed["bank"] == bank_fingerprint(), "the bank changed since the models were fitted: run `make train`"
    meta = train(store_settings, tmp_path, progress=False)
    assert meta["train_questions"] == committed["train_questions"]
    # The same bank and code on a store built here give the same model files (checked across PYTHONHASHSEEDs).
    # Twice CI found other dev figures (decisions 0.874, near misses refused 0.712): not another CPU, as first
    # thought, but count_spans breaking a tie in a set's hash order; the seed-independence test in
    # tests/bot/answer/test_counts.py guards that now. Two questions of each figure's own denominator stay as
    # slack for float paths of another CPU. A stale bank fails the fingerprint check above; a renamed or
    # dropped feature fails load_models' name check.
    assert abs(meta["refusal_threshold"] - committed["refusal_threshold"]) <= 0.05
    assert abs(meta["quote_margin"] - committed["quote_margin"]) <= 0.2
    assert (meta["dev_answerable"], meta["dev_with_evidence"]) == (committed["dev_answerable"],
                                                                   committed["dev_with_evidence"])
    denominators = {"decision_accuracy": committed["dev_questions"], "quote_hit": committed["dev_with_evidence"],
                    "quote_hit_if_answered": committed["dev_with_evidence"],
                    "answerable_refused": committed["dev_answerable"],
                    "out_of_scope_refused": committed["dev_questions"] - committed["dev_answerable"]}
    assert set(denominators) == set(committed["dev"])
    for name, value in committed["dev"].items():
        slack = 2 / denominators[name] + 1e-9
        assert abs(meta["dev"][name] - value) <= slack, (name, meta["dev"][name], value, denominators[name])
    assert {p.name for p in tmp_path.iterdir()} == {"span_ranker.txt", "refusal.txt", "models.json"}
