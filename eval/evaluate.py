"""One evaluation run: ask, score, optionally run the baselines and the LLM judge, compare with a baseline
and write results.jsonl, summary.json, report.md and the plots into the run directory."""
from __future__ import annotations

import hashlib
import json
import subprocess
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eval.compare import compact, compare, load_baseline
from eval.metrics import HEADLINE, summarise
from eval.questions import Question, load_question_sets
from eval.report import render_markdown, write_plots
from eval.runner import HttpSource, Result, ServiceSource, run_questions
from ingest.settings import BUNDLED_REPORT, PROJECT_ROOT, Settings

DEFAULT_QUESTIONS = PROJECT_ROOT / "eval" / "questions.yaml"
DEFAULT_BASELINE = PROJECT_ROOT / "eval" / "baseline.json"
REPORTS_DIR = PROJECT_ROOT / "eval" / "reports"


def default_out_dir() -> Path:
    return REPORTS_DIR / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def questions_sha(questions: list[Question]) -> str:
    payload = json.dumps([q.model_dump() for q in questions], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _shown(path: Path | str) -> str:
    """A path as shown in summaries: relative to the project when inside it (so committed baselines are portable)."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _modes(results: list[Result]) -> str:
    counts = Counter(r.answer.mode for r in results if r.answer is not None)
    return ", ".join(f"{mode} ({n})" for mode, n in counts.most_common()) or "-"


def _score_baselines(questions: list[Question], settings: Settings, report_path: Path, store: Any,
                     progress: bool) -> dict[str, Any]:
    from eval.baselines import build_baselines

    out = {}
    for baseline in build_baselines(settings, report_path, store=store):
        results = run_questions(questions, baseline, str(report_path), progress=progress,
                                label=f"baseline {baseline.name}")
        out[baseline.name] = summarise([r.score for r in results])
    return out


def evaluate(settings: Settings, questions_path: Path | list[Path] = DEFAULT_QUESTIONS,
             out_dir: Path | None = None, *,
             url: str | None = None, token: str | None = None, limit: int | None = None,
             with_baselines: bool = False, baseline: Path | None | str = "default", judge: bool | None = None,
             progress: bool = True, report_path: Path = BUNDLED_REPORT, service: Any | None = None,
             judge_settings: Settings | None = None) -> dict[str, Any]:
    """Run the evaluation and write its files; returns summary.json's content.

    baseline: "default" compares with eval/baseline.json when it exists; None compares with nothing.
    judge: None = when an LLM is configured in `judge_settings` (default: `settings`), so extractive answers
    can be judged by the configured LLM too.
    """
    paths = questions_path if isinstance(questions_path, list) else [questions_path]
    questions = load_question_sets(paths)
    questions = questions[:limit] if limit else questions
    baseline_path = DEFAULT_BASELINE if baseline == "default" else baseline
    previous = None
    if baseline_path is not None and (baseline != "default" or DEFAULT_BASELINE.is_file()):
        previous = load_baseline(baseline_path)  # before asking: a wrong path should fail fast
    out_dir = Path(out_dir) if out_dir else default_out_dir()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    source = HttpSource(url, token) if url else ServiceSource(settings, service=service)
    judge_settings = judge_settings or settings
    use_judge = judge_settings.llm.enabled if judge is None else judge
    llm_judge = None
    if use_judge:
        from eval.judge import LLMJudge

        llm_judge = LLMJudge(judge_settings)
    results = run_questions(questions, source, str(report_path), progress=progress, judge=llm_judge)
    scores = [r.score for r in results]
    summary: dict[str, Any] = {
        "run": {"started": started, "questions_file": ", ".join(_shown(p) for p in paths),
                "questions_sha": questions_sha(questions), "source": url or "in-process AnswerService",
                "out_dir": _shown(out_dir), "mode": _modes(results), "commit": _git_commit(),
                "report": _shown(report_path), "judge": bool(llm_judge),
                "judge_failures": llm_judge.failures if llm_judge else 0},
        "metrics": summarise(scores),
    }
    summary["headline"] = {m: summary["metrics"]["all"].get(m) for m in HEADLINE}
    summary["questions"] = {s.id: compact(s) for s in scores}
    if with_baselines:
        store = getattr(getattr(source, "service", None), "store", None)
        summary["baselines"] = _score_baselines(questions, settings, report_path, store, progress)
    if previous is not None:
        summary["comparison"] = compare(summary, previous)
    write_run(out_dir, summary, results)
    if isinstance(source, HttpSource):
        source.close()
    return summary


def write_run(out_dir: Path, summary: dict[str, Any], results: list[Result]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "results.jsonl").open("w", encoding="utf-8") as handle:
        for result in results:
            handle.write(json.dumps(result.record(), ensure_ascii=False) + "\n")
    plots = write_plots(summary, [r.score.latency_ms for r in results if r.score.error is None], out_dir)
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    (out_dir / "report.md").write_text(render_markdown(summary, results, plots), encoding="utf-8")
