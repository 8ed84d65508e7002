"""Scale bench: 50 users x 10 questions through `POST /api/ask`, on one `serve` process and on `--workers N`
(one per core), side by side in one run. The questions come from the eval bank's train and dev splits
(eval/bank/splits.json; the sealed test split is never read), so the server meets questions the bench's own
45 were not tuned on, and none repeats within a run (query vectors are cached per process): the bank's 434
distinct ones, then numbered variants of them."""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

from eval.bench.load import run_load_sync
from eval.bench.processes import ServeProcess, bench_env

USERS, PER_USER = 50, 10
SPLITS = ("train", "dev")


def bank_questions(n: int, seed: int = 13) -> list[str]:
    """`n` distinct single questions of the bank's train and dev splits, in a fixed shuffled order."""
    from eval.questions import load_question_sets, split_files

    paths = [p for split in SPLITS for p in split_files(split) if "bank" in p.parts]
    texts = list(dict.fromkeys(q.question for q in load_question_sets(paths)))
    random.Random(seed).shuffle(texts)
    if not texts:
        raise RuntimeError(f"no questions in the bank's {'+'.join(SPLITS)} splits")
    # Past the bank's distinct questions (434), variants "question (2)": still new to every query cache.
    rounds = -(-n // len(texts))
    return [q if r == 0 else f"{q} ({r + 1})" for r in range(rounds) for q in texts][:n]


def bench_scale(store: Path, work: Path, workers: list[int], users: int = USERS,
                per_user: int = PER_USER) -> dict[str, Any]:
    """One fresh server per worker count, the same questions for each; p50, p95, throughput, cores used."""
    questions = bank_questions(users * per_user)
    results: dict[str, Any] = {"users": users, "per_user": per_user, "questions": "eval bank train+dev",
                               "cores": os.cpu_count()}
    for count in workers:
        try:
            results[f"workers_{count}"] = _one(store, work, count, questions, users, per_user)
        except Exception as err:  # one worker count failing still reports the other
            results[f"workers_{count}"] = {"workers": count, "error": f"{type(err).__name__}: {str(err)[:300]}"}
    return results


def _one(store: Path, work: Path, count: int, questions: list[str], users: int, per_user: int) -> dict[str, Any]:
    env = bench_env(store, RAPPORTBOT_FEEDBACK_DB=str(work / f"feedback-{count}.sqlite"))
    server = ServeProcess(env, log_dir=work, workers=count)
    try:
        server.start(timeout_s=240)  # N workers load N models at once on the same cores
        run_load_sync(server.url, questions[:20], 4, 5, request_timeout_s=60)  # warm every worker's caches
        cpu_before, load_before = server.cpu_s(), os.getloadavg()[0]
        load = run_load_sync(server.url, questions, users, per_user, request_timeout_s=60, total_timeout_s=600)
        cpu_used = server.cpu_s() - cpu_before
        summary = load.summary()
        return {
            "workers": count, "p50_ms": summary["p50_ms"], "p95_ms": summary["p95_ms"],
            "throughput_rps": summary["throughput_rps"], "errors": summary["errors"],
            "requests": summary["requests"], "server_cores": round(cpu_used / load.wall_s, 2) if load.wall_s else None,
            "healthy_s": round(server.healthy_after_s or 0.0, 2), "peak_rss_mb": round(server.peak_rss_mb() or 0, 1),
            "loadavg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "error_samples": summary["error_samples"]}
    finally:
        server.stop()


def scale_table(scale: dict[str, Any]) -> list[str]:
    """Markdown rows: one column per worker count."""
    runs = [v for k, v in scale.items() if k.startswith("workers_") and isinstance(v, dict)]
    if not runs:
        return []
    head = f"{scale.get('users')} users x {scale.get('per_user')} questions ({scale.get('questions')}), {scale.get('cores')} cores"
    rows = [("p50", "p50_ms", "ms"), ("p95", "p95_ms", "ms"), ("throughput", "throughput_rps", "req/s"),
            ("errors", "errors", ""), ("CPU cores the server used", "server_cores", ""),
            ("start to healthy", "healthy_s", "s"), ("peak RSS, all processes", "peak_rss_mb", "MB"),
            ("load average before, after", "loadavg_1min", "")]
    lines = ["", f"Scale: {head}", "", "| | " + " | ".join(f"{r['workers']} worker(s)" for r in runs) + " |",
             "|---|" + "---:|" * len(runs)]
    for label, key, unit in rows:
        lines.append(f"| {label} | " + " | ".join(f"{r.get(key)} {unit}".strip() if "error" not in r else r["error"][:80]
                                                  for r in runs) + " |")
    return lines
