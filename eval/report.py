"""report.md and PNG plots (matplotlib, Agg backend: no display needed) for one evaluation run."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.metrics import HEADLINE

PLOTTED = ("hit@5", "support", "coverage", "decision_accuracy")
# baselines never refuse, so their decision accuracy is just the answerable share: show refusal recall instead
PLOTTED_BASELINES = ("hit@5", "support", "quote_support", "coverage", "refusal_recall")
TABLE = ("n", "hit@1", "hit@5", "mrr", "support", "quote_support", "evidence_recall", "coverage", "verbatim_rate",
         "refusal_precision", "refusal_recall", "decision_accuracy", "answer_chars_median", "latency_p50_ms",
         "latency_p95_ms")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.0 else f"{value:.1f}"
    return str(value)


def _table(rows: dict[str, dict[str, Any]], columns: tuple[str, ...] = TABLE, first: str = "group") -> list[str]:
    lines = ["| " + " | ".join((first, *columns)) + " |", "|" + "---|" * (len(columns) + 1)]
    for name, metrics in rows.items():
        lines.append("| " + " | ".join((name, *(_cell(metrics.get(c)) for c in columns))) + " |")
    return lines


# One line per plotted metric, printed under its plot and in report.md (full definitions: eval/metrics.py).
METRIC_NOTES = {
    "hit@5": "hit@5: a gold passage is among the first 5 retrieved chunks (answerable questions)",
    "support": "support: the answer cites a gold passage (answerable questions)",
    "quote_support": "quote_support: the quote itself, not just its chunk, holds a gold passage",
    "coverage": "coverage: share of the must-mention terms found in the answer and its quotes",
    "decision_accuracy": "decision_accuracy: share of questions rightly answered or refused",
    "refusal_recall": "refusal_recall: share of out-of-scope questions refused",
}
THRESHOLDS = Path(__file__).with_name("thresholds.json")


def reference_lines(path: Path = THRESHOLDS) -> dict[str, dict[str, float]]:
    """{"floor": {metric: value}, "target": {...}} from eval/thresholds.json (`minimum` and `target`)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"floor": {}, "target": {}}
    return {"floor": dict(data.get("minimum") or {}), "target": dict(data.get("target") or {})}


def _bar_chart(groups: dict[str, dict[str, Any]], title: str, path: Path,
               plotted: tuple[str, ...] = PLOTTED, lines: dict[str, dict[str, float]] | None = None) -> None:
    """Grouped bars; a metric that does not apply to a group (None: support of out-of-scope questions) gets
    "n/a" instead of a bar; floors (dashed) and targets (dotted) in the metric's colour; notes underneath."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    lines = lines if lines is not None else reference_lines()
    names = list(groups)
    width = 0.8 / len(plotted)
    fig, ax = plt.subplots(figsize=(max(7.0, 1.4 * len(names) + 2), 5.6))
    x = np.arange(len(names))
    for i, metric in enumerate(plotted):
        values = [groups[n].get(metric) for n in names]
        bars = ax.bar(x + i * width, [v if v is not None else 0 for v in values], width, label=metric)
        colour = bars.patches[0].get_facecolor() if bars.patches else None
        for at, value in zip(x + i * width, values):
            if value is None:
                ax.text(at, 0.02, "n/a", ha="center", va="bottom", fontsize=7, color="0.4")
        for kind, style in (("floor", "--"), ("target", ":")):
            level = (lines.get(kind) or {}).get(metric)
            if level is not None:
                ax.axhline(level, linestyle=style, linewidth=1, color=colour,
                           label=f"{kind} {metric} {level:g}")
    ax.set_xticks(x + width * (len(plotted) - 1) / 2, [f"{n}\n(n={groups[n]['n']})" for n in names])
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4, fontsize=7, frameon=False)
    notes = "\n".join(METRIC_NOTES.get(m, m) for m in plotted)
    fig.text(0.01, 0.01, notes + "\nDashed: CI floor; dotted: target (eval/thresholds.json).", fontsize=7,
             va="bottom", ha="left", color="0.25")
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _latency_histogram(latencies: list[float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(latencies or [0.0], bins=30)
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Answer latency")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_plots(summary: dict[str, Any], latencies: list[float], out: Path) -> list[str]:
    """metrics_by_kind.png, metrics_by_lang.png, latency.png and, with baselines, baselines.png."""
    metrics = summary["metrics"]
    # Every kind, out_of_scope included: its answerable-only metrics show "n/a", its decision accuracy a bar.
    files = {"metrics_by_kind.png": lambda p: _bar_chart(metrics["by_kind"], "Metrics by kind", p),
             "metrics_by_lang.png": lambda p: _bar_chart(metrics["by_lang"], "Metrics by language", p),
             "latency.png": lambda p: _latency_histogram(latencies, p)}
    if summary.get("baselines"):
        systems = {"rapportbot": metrics["all"], **{n: b["all"] for n, b in summary["baselines"].items()}}
        files["baselines.png"] = lambda p: _bar_chart(systems, "rapportbot vs baselines", p, PLOTTED_BASELINES)
    for name, draw in files.items():
        draw(out / name)
    return list(files)


def render_markdown(summary: dict[str, Any], results: list[Any], plots: list[str]) -> str:
    run, metrics = summary["run"], summary["metrics"]
    allm = metrics["all"]
    lines = [f"# rapportbot evaluation - {run['started']}", "",
             f"Questions: `{run['questions_file']}` ({allm['n']}: {allm['answerable']} answerable, "
             f"{allm['out_of_scope']} out of scope). Source: {run['source']}. Mode: {run.get('mode') or '-'}. "
             f"Errors: {allm['errors']}.", "", "## Headline", ""]
    lines += ["| metric | value |", "|---|---|"] + [f"| {m} | {_cell(allm.get(m))} |" for m in HEADLINE]
    lines += ["", "Definitions: eval/README.md. Retrieval, support and coverage are over answerable questions.", ""]
    comparison = summary.get("comparison")
    if comparison:
        lines += [f"## Against {comparison['against']}", ""]
        if comparison["metric_deltas"]:
            lines += ["| metric | before | after | delta |", "|---|---|---|---|"]
            for m, d in comparison["metric_deltas"].items():
                flag = " (worse)" if d["worse"] else (
                    f" (within noise ±{d['noise']:.1f})" if d.get("noise") and d["delta"] else "")
                lines.append(f"| {m} | {_cell(d['before'])} | {_cell(d['after'])} | {d['delta']:+.3f}{flag} |")
        else:
            lines.append("Different question set: only questions with the same id are compared.")
        lines += ["", f"Questions that got worse: {len(comparison['worse'])}"
                      f" (better: {len(comparison['better'])})", ""]
        lines += [f"- `{w['id']}`: {'; '.join(w['reasons'])}" for w in comparison["worse"]]
        if comparison["better"]:
            lines += ["", "Better: " + ", ".join(f"`{b['id']}`" for b in comparison["better"])]
        lines.append("")
    if summary.get("baselines"):
        systems = {"rapportbot": allm, **{n: b["all"] for n, b in summary["baselines"].items()}}
        lines += ["## Baselines side by side", "", *_table(systems, first="system"), "",
                  "lexical = BM25 over our chunks, dense = e5 over our chunks, naive = raw text in 1000/200-character "
                  "chunks with e5; each cites its top 4 chunks and never refuses.", ""]
    for title, key in (("By language", "by_lang"), ("By kind", "by_kind"), ("By topic", "by_topic")):
        lines += [f"## {title}", "", *_table(metrics[key]), ""]
    if allm.get("faithfulness") is not None or allm.get("correctness") is not None:
        lines += ["## LLM judge", "", f"Faithfulness (share of claims backed by the quotes): "
                  f"{_cell(allm.get('faithfulness'))}; correctness vs gold: {_cell(allm.get('correctness'))}.", ""]
    lines += ["## Plots", ""]
    for p in plots:
        lines += [f"![{p}]({p})", ""]
        plotted = PLOTTED_BASELINES if p == "baselines.png" else PLOTTED if p.startswith("metrics_") else ()
        lines += [f"- {METRIC_NOTES[m]}" for m in plotted]
        if plotted:
            lines += ["- dashed lines: CI floors, dotted: targets (eval/thresholds.json); n/a: the metric does not "
                      "apply to that group (out-of-scope questions have no gold passage)", ""]
        elif p == "latency.png":
            lines += ["- wall-clock time of one ask per question, warm, in-process", ""]
    lines += ["## Questions to look at", ""] + _failures(results) + [""]
    return "\n".join(lines)


def _failures(results: list[Any]) -> list[str]:
    rows = []
    for r in results:
        s = r.score
        problems = []
        if s.error:
            problems.append(f"error: {s.error}")
        elif not s.decision_correct:
            problems.append("refused although answerable" if s.refused else "answered although out of scope")
        elif s.answerable and not s.supported:
            problems.append(f"gold passage not cited (retrieval rank {s.first_hit_rank or '-'})")
        if s.unverified_quotes:
            problems.append(f"{len(s.unverified_quotes)} quote(s) not verbatim")
        if s.missing_terms and not s.error:
            problems.append("missing terms: " + ", ".join(s.missing_terms))
        if problems:
            rows.append(f"- `{s.id}` ({s.lang}, {s.kind}) {r.question.question} - {'; '.join(problems)}")
    return rows or ["None."]
