"""`rapportbot bench [--quick] [--out DIR]`: ingest, ask, batch and server figures as JSON and Markdown.

Every stage runs on a fresh store built by the cold-ingest stage in a temporary directory, so a bench
run never touches the user's store. A stage that fails is recorded with its message; the others go on.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from ingest.settings import PROJECT_ROOT

DEFAULT_OUT = PROJECT_ROOT / ".rapportbot" / "bench"
USER_COUNTS = (1, 10, 50)


def register(subparsers: argparse._SubParsersAction) -> object:
    parser = subparsers.add_parser("bench", help="measure speed and memory (ingest, ask, batch, server)",
                                   description="Measure ingest, ask latency, batch and the server under load.")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and requests (a smoke run)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"results directory (default: {DEFAULT_OUT.relative_to(PROJECT_ROOT)}/<UTC time>/)")
    parser.add_argument("--llm-url", default=None,
                        help="time LLM mode against this OpenAI-compatible base URL (default: a stand-in "
                             "server on loopback that answers at once)")
    parser.add_argument("--store", type=Path, default=None,
                        help="skip the ingest stage and measure over this existing store (left untouched)")
    parser.add_argument("--no-profile", action="store_true", help="skip the pyinstrument profile")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker count compared with one process in the scale stage (default: one per core)")
    parser.add_argument("--only", choices=("scale",), default=None,
                        help="run only this stage (over --store, or a fresh cold ingest)")
    return sys.modules[__name__]


def _stage(results: dict[str, Any], name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    print(f"bench: {name} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    try:
        results[name] = fn()
    except Exception as err:  # a failed stage is a result too; the rest still runs
        results[name] = {"error": f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"}
    print(f"bench: {name} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return results[name]


def run(args: argparse.Namespace, settings: object) -> int:
    from eval.bench.ask import bench_batch, bench_extractive, bench_llm, profile_extractive
    from eval.bench.ingest import bench_ingest
    from eval.bench.report import machine_facts, markdown_table, utc_stamp, write_results
    from eval.bench.serve import bench_serve

    stamp = utc_stamp()
    out_dir = Path(args.out) if args.out else DEFAULT_OUT / stamp
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"started_utc": stamp, "quick": bool(args.quick), "machine": machine_facts(),
                               "notes": []}
    rounds = 1 if args.quick else 3
    per_user = 3 if args.quick else 10
    work = Path(tempfile.mkdtemp(prefix="rapportbot-bench-"))
    store = work / "store"
    try:
        if args.store:
            shutil.copytree(args.store, store, symlinks=True)  # a copy: serve and ask must not touch the original
            results["notes"].append(f"ingest not measured: ran over a copy of {args.store}")
        else:
            _stage(results, "ingest", lambda: bench_ingest(store))
        if not (store.exists() and any(store.iterdir())):
            results["notes"].append("cold ingest failed; later stages had no store")
        from eval.bench.scale import bench_scale

        many = args.workers or os.cpu_count() or 1
        scale_counts = sorted({1, many})
        if args.only == "scale":
            _stage(results, "scale", lambda: bench_scale(store, work, scale_counts,
                                                         per_user=3 if args.quick else 10))
            return _finish(results, out_dir, work)
        _stage(results, "ask", lambda: {"extractive": bench_extractive(store, rounds)})
        if args.llm_url:
            results["ask"]["llm"] = _stage({}, "ask.llm", lambda: bench_llm(store, args.llm_url, rounds))
            results["notes"].append(f"LLM mode timed against {args.llm_url}.")
        else:
            from eval.bench.fake_llm import BenchLLM

            with BenchLLM() as stand_in:
                results["ask"]["llm"] = _stage({}, "ask.llm", lambda: bench_llm(store, stand_in.base_url, rounds))
            results["notes"].append("LLM mode timed against a stand-in server that answers at once (our overhead: "
                                    "prompt, HTTP, parsing, quote checks); a real model adds its own time.")
        if not args.no_profile:
            _stage(results, "profile", lambda: profile_extractive(store, out_dir, rounds))
        _stage(results, "batch", lambda: bench_batch(store, work))
        _stage(results, "serve", lambda: bench_serve(store, work, USER_COUNTS, per_user, results))
        _stage(results, "scale", lambda: bench_scale(store, work, scale_counts, per_user=per_user))
        results["notes"].append(f"server load: each simulated user asks {per_user} questions back to back (no think "
                                "time) over HTTP on 127.0.0.1; no question repeats (query vectors are cached); "
                                "the load generator runs on the same cores as the server.")
        results["notes"].append("in-process ask latency: warm service (models loaded), each timed question "
                                "asked for the first time.")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _finish(results, out_dir, work)


def _finish(results: dict[str, Any], out_dir: Path, work: Path) -> int:
    from eval.bench.report import markdown_table, write_results

    json_path, md_path = write_results(results, out_dir)
    print(markdown_table(results))
    print(f"bench: results in {json_path} and {md_path}", file=sys.stderr)
    failed = [name for name, value in results.items() if isinstance(value, dict) and value.get("error")]
    return 1 if failed else 0
