"""The eval report's plots and text: every kind plotted (out_of_scope too), floors and targets drawn, each
metric explained, latency changes within the run's noise not called worse."""
from __future__ import annotations

from eval.report import METRIC_NOTES, PLOTTED, reference_lines, render_markdown, write_plots


def _group(n: int, **values: float | None) -> dict:
    return {"n": n, **{m: 0.9 for m in PLOTTED}, **values}


def _summary() -> dict:
    kinds = {"fact": _group(10), "out_of_scope": _group(5, **{"hit@5": None, "support": None, "coverage": None,
                                                                 "decision_accuracy": 0.6})}
    allm = {"n": 15, "answerable": 10, "out_of_scope": 5, "errors": 0, **_group(15)}
    return {"run": {"started": "now", "questions_file": "q.yaml", "source": "store", "mode": "extractive"},
            "metrics": {"all": allm, "by_kind": kinds, "by_lang": {"da": _group(15)}, "by_topic": {}},
            "comparison": {"against": "baseline.json", "worse": [], "better": [], "metric_deltas": {
                "latency_p50_ms": {"before": 50.0, "after": 58.0, "delta": 8.0, "worse": False, "noise": 8.49}}}}


def test_plots_show_every_kind_with_floors_targets_and_notes(tmp_path, monkeypatch):
    import matplotlib.axes

    drawn: list[tuple[str, float]] = []
    labels: list[str] = []
    real_axhline, real_set_xticks = matplotlib.axes.Axes.axhline, matplotlib.axes.Axes.set_xticks

    def axhline(self, y=0, *args, **kwargs):
        drawn.append((kwargs.get("label", ""), y))
        return real_axhline(self, y, *args, **kwargs)

    def set_xticks(self, ticks, tick_labels=None, **kwargs):
        labels.extend(tick_labels or [])
        return real_set_xticks(self, ticks, tick_labels, **kwargs)

    # Spies on matplotlib's own calls (the PNG is still drawn for real): which groups and lines it got.
    monkeypatch.setattr(matplotlib.axes.Axes, "axhline", axhline)
    monkeypatch.setattr(matplotlib.axes.Axes, "set_xticks", set_xticks)
    plots = write_plots(_summary(), [10.0, 20.0, 30.0], tmp_path)
    assert (tmp_path / "metrics_by_kind.png").read_bytes()[:4] == b"\x89PNG"
    assert any(label.startswith("out_of_scope") for label in labels)
    floors, targets = reference_lines()["floor"], reference_lines()["target"]
    assert ("floor support 0.92", floors["support"]) in drawn
    assert ("target decision_accuracy 0.95", targets["decision_accuracy"]) in drawn

    report = render_markdown(_summary(), [], plots)
    for metric in PLOTTED:
        assert f"- {METRIC_NOTES[metric]}" in report
    assert "| latency_p50_ms | 50.0 | 58.0 | +8.000 (within noise ±8.5) |" in report
    assert "(worse)" not in report
