"""Server benchmarks: `rapportbot serve` start to healthy, 1/10/50 concurrent users on loopback, peak RSS."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from eval.bench.ask import load_questions, unseen
from eval.bench.load import run_load_sync
from eval.bench.processes import ServeProcess, bench_env


def bench_serve(store: Path, work: Path, user_counts: tuple[int, ...], per_user: int,
                results: dict[str, Any]) -> dict[str, Any]:
    """Start serve, time it to healthy, run each load level once, read VmHWM; fills results["load"]."""
    # Enough distinct questions that no request repeats one (the server caches query vectors).
    base = [q["question"] for q in load_questions()]
    needed = sum(user_counts) * per_user
    questions = [q for round_no in range(1 + needed // len(base)) for q in unseen(base, round_no)]
    offset = 0
    env = bench_env(store, RAPPORTBOT_FEEDBACK_DB=str(work / "feedback.sqlite"))
    results["load"] = {}
    with ServeProcess(env, log_dir=work) as server:
        healthy_s = round(server.healthy_after_s or 0.0, 2)
        idle_rss = server.peak_rss_mb()
        for users in user_counts:
            # Bounded: at most users x per_user requests and 10 minutes per level.
            level = questions[offset:offset + users * per_user]
            offset += users * per_user
            cpu_before, load_before = server.cpu_s(), os.getloadavg()[0]
            load = run_load_sync(server.url, level, users, per_user, request_timeout_s=60, total_timeout_s=600)
            cpu_used = server.cpu_s() - cpu_before
            # Cores the server used and the machine's load: on shared cores, the load explains the figures.
            results["load"][str(users)] = {**load.summary(), "per_user": per_user,
                                           "server_cores": round(cpu_used / load.wall_s, 2) if load.wall_s else None,
                                           "loadavg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
        peak = server.peak_rss_mb()
        traceback_in_log = "Traceback" in server.log_text()
    return {"healthy_s": healthy_s, "idle_rss_mb": None if idle_rss is None else round(idle_rss, 1),
            "peak_rss_mb": None if peak is None else round(peak, 1), "traceback_in_log": traceback_in_log}
