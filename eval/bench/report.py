"""Bench results: the machine they came from, the targets, JSON and a Markdown table."""
from __future__ import annotations

import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# metric key -> (label, unit, target, "<=" or "==")
TARGETS: dict[str, tuple[str, str, float | None, str]] = {
    "ingest.cold_s": ("Cold ingest (fresh store)", "s", 15.0, "<="),
    "ingest.cold_peak_rss_mb": ("Cold ingest peak RSS", "MB", 600.0, "<="),
    "ingest.warm_s": ("Re-ingest, unchanged", "s", 1.0, "<="),
    "ingest.warm_peak_rss_mb": ("Re-ingest peak RSS", "MB", 600.0, "<="),
    "ask.extractive.p50_ms": ("Extractive ask p50 (warm, in-process)", "ms", 50.0, "<="),
    "ask.extractive.p95_ms": ("Extractive ask p95 (warm, in-process)", "ms", 150.0, "<="),
    "ask.llm.p50_ms": ("LLM ask p50 (stand-in server, in-process)", "ms", None, "<="),
    "ask.llm.p95_ms": ("LLM ask p95 (stand-in server, in-process)", "ms", None, "<="),
    "batch.wall_s": ("`ask --batch` of 45 questions, incl. model load", "s", 15.0, "<="),
    "serve.healthy_s": ("`serve` start to healthy", "s", 10.0, "<="),
    "load.1.p50_ms": ("1 concurrent user: p50", "ms", None, "<="),
    "load.1.p95_ms": ("1 concurrent user: p95", "ms", None, "<="),
    "load.1.errors": ("1 concurrent user: errors", "", 0, "=="),
    "load.10.p50_ms": ("10 concurrent users: p50", "ms", None, "<="),
    "load.10.p95_ms": ("10 concurrent users: p95", "ms", None, "<="),
    "load.10.errors": ("10 concurrent users: errors", "", 0, "=="),
    "load.50.p50_ms": ("50 concurrent users: p50", "ms", None, "<="),
    "load.50.p95_ms": ("50 concurrent users: p95", "ms", 1000.0, "<="),
    "load.50.errors": ("50 concurrent users: errors", "", 0, "=="),
    "load.50.throughput_rps": ("50 concurrent users: throughput", "req/s", None, "<="),
    "load.50.server_cores": ("50 concurrent users: CPU cores the server used", "", None, "<="),
    "load.50.loadavg_1min": ("50 concurrent users: machine load average (1 min) before, after", "", None, "<="),
    "serve.peak_rss_mb": ("`serve` peak RSS (VmHWM) after the load", "MB", 600.0, "<="),
}


def machine_facts() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        ram_gb = round(kb / 1024 / 1024, 1)
    except (OSError, IndexError, ValueError):
        pass
    return {"loadavg_at_start": [round(x, 2) for x in os.getloadavg()], "nproc": os.cpu_count(), "cpu": cpu, "ram_gb": ram_gb, "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}", "machine": platform.machine()}


def flatten(results: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in results.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _verdict(value: Any, target: float | None, op: str) -> str:
    if target is None or not isinstance(value, (int, float)):
        return ""
    ok = value <= target if op == "<=" else value == target
    return "ok" if ok else "MISSED"


def markdown_table(results: dict[str, Any]) -> str:
    flat = flatten(results)
    facts = results.get("machine", {})
    lines = [f"Machine: {facts.get('nproc')} cores ({facts.get('cpu')}), {facts.get('ram_gb')} GB RAM, "
             f"Python {facts.get('python')}, {facts.get('os')}; load average at start {facts.get('loadavg_at_start')}; "
             f"run {results.get('started_utc')}"
             f"{' (--quick)' if results.get('quick') else ''}", "",
             "| Measure | Value | Target | |", "|---|---:|---:|---|"]
    for key, (label, unit, target, op) in TARGETS.items():
        if key not in flat:
            continue
        value = flat[key]
        shown = "n/a" if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))
        target_text = "" if target is None else f"{'' if op == '<=' else '= '}{target:g} {unit}".strip()
        if op == "<=" and target is not None:
            target_text = "<= " + target_text
        lines.append(f"| {label} | {shown} {unit} | {target_text} | {_verdict(value, target, op)} |")
    from eval.bench.scale import scale_table

    lines += scale_table(results.get("scale") or {})
    errors = {k: v for k, v in flat.items() if k.endswith(".error") and v}
    if errors:
        lines += ["", "Stages that failed:"] + [f"- {k[:-6]}: {v}" for k, v in errors.items()]
    for note in results.get("notes", []):
        lines.append(f"\nNote: {note}")
    return "\n".join(lines) + "\n"


def write_results(results: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "results.json", out_dir / "results.md"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    md_path.write_text(markdown_table(results), encoding="utf-8")
    return json_path, md_path


def utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
