"""Ingest benchmarks: a cold ingest into a fresh store, then an unchanged re-ingest, each a real
`rapportbot ingest` subprocess measured for wall time and its own peak RSS."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from eval.bench.processes import bench_env, run_measured


def _one(store: Path) -> tuple[float, float]:
    run = run_measured(["ingest"], bench_env(store), timeout_s=600)
    if run.returncode != 0:
        raise RuntimeError(f"ingest exited {run.returncode}: {run.stderr.strip()[-300:]}")
    return round(run.wall_s, 2), round(run.peak_rss_mb, 1)


def bench_ingest(store: Path) -> dict[str, Any]:
    """Cold (fresh store) and warm (unchanged content: nothing re-embedded) ingest of the bundled report."""
    cold_s, cold_rss = _one(store)
    warm_s, warm_rss = _one(store)
    return {"cold_s": cold_s, "cold_peak_rss_mb": cold_rss, "warm_s": warm_s, "warm_peak_rss_mb": warm_rss}
