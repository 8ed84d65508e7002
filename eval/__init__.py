"""Evaluation of answer quality: the question bank, metrics, reports and the CI gate (`rapportbot eval`);
speed and load benchmarks live in `eval.bench`."""
