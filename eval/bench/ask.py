"""`ask` benchmarks: warm in-process latency by mode, a pyinstrument profile, and `ask --batch` wall time."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from eval.bench.load import percentile
from eval.bench.processes import bench_env, run_measured
from ingest.settings import LLMSettings, Settings, StoreSettings

QUESTIONS_FILE = Path(__file__).with_name("questions.json")


def load_questions() -> list[dict[str, str]]:
    """The fixed bench questions: 45 Danish and English, answerable, off-topic and a greeting."""
    return json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))


# Warm-up asks load models and fill per-process caches without touching the measured questions.
WARM_UP = ["Hvad handler rapporten om?", "What is this report about?", "Hvad er innovation?",
           "Hvilke topledere deltog?", "Who took part?"]


def unseen(questions: list[str], round_no: int) -> list[str]:
    """The questions as never seen before in round `round_no` (>0 adds a number): the store caches query
    vectors, and real users rarely ask word for word what the last user asked."""
    return questions if round_no == 0 else [f"{q} ({round_no})" for q in questions]


def _latencies(service: Any, questions: list[str], rounds: int) -> dict[str, Any]:
    for question in WARM_UP:
        service.ask(question)
    times: list[float] = []
    modes: dict[str, int] = {}
    for round_no in range(rounds):
        for question in unseen(questions, round_no):
            t0 = time.perf_counter()
            answer = service.ask(question)
            times.append(time.perf_counter() - t0)
            key = answer.mode + ("+notice" if answer.notice else "") + ("+refused" if answer.refused else "")
            modes[key] = modes.get(key, 0) + 1
    return {"n": len(times), "modes": modes, "p50_ms": round(percentile(times, 50) * 1000, 1),
            "p95_ms": round(percentile(times, 95) * 1000, 1), "max_ms": round(max(times) * 1000, 1)}


def bench_extractive(store: Path, rounds: int) -> dict[str, Any]:
    from bot.service import AnswerService

    settings = Settings(store=StoreSettings(path=store, chroma_url=None), llm=LLMSettings(provider="none"))
    service = AnswerService(settings)
    return _latencies(service, [q["question"] for q in load_questions()], rounds)


def bench_llm(store: Path, base_url: str, rounds: int) -> dict[str, Any]:
    """LLM mode against a local OpenAI-compatible server: measures our overhead (prompt, parse, verify)."""
    from bot.service import AnswerService

    settings = Settings(store=StoreSettings(path=store, chroma_url=None),
                        llm=LLMSettings(provider="openai", base_url=base_url, api_key="bench", timeout_s=10))
    service = AnswerService(settings)
    return _latencies(service, [q["question"] for q in load_questions()[:15]], rounds)


def profile_extractive(store: Path, out_dir: Path, rounds: int = 3) -> dict[str, Any]:
    """Profile warm extractive asks with pyinstrument; writes profile_ask.txt/.html, returns the top frames."""
    from pyinstrument import Profiler

    from bot.service import AnswerService

    settings = Settings(store=StoreSettings(path=store, chroma_url=None), llm=LLMSettings(provider="none"))
    service = AnswerService(settings)
    questions = [q["question"] for q in load_questions()]
    for question in WARM_UP:
        service.ask(question)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for round_no in range(rounds):
        for question in unseen(questions, round_no + 100):
            service.ask(question)
    profiler.stop()
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    (out_dir / "profile_ask.txt").write_text(text, encoding="utf-8")
    (out_dir / "profile_ask.html").write_text(profiler.output_html(), encoding="utf-8")
    return {"asks": rounds * len(questions), "text": "profile_ask.txt", "html": "profile_ask.html"}


def bench_batch(store: Path, work_dir: Path) -> dict[str, Any]:
    """`rapportbot ask --json --batch` over the 45 questions in a fresh process (model load included)."""
    batch_file = work_dir / "bench_questions.jsonl"
    batch_file.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in load_questions()),
                          encoding="utf-8")
    run = run_measured(["ask", "--json", "--batch", str(batch_file)], bench_env(store), timeout_s=300)
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    errors = sum(1 for line in lines if "error" in json.loads(line))
    result = {"questions": len(load_questions()), "answers": len(lines) - errors, "item_errors": errors,
              "wall_s": round(run.wall_s, 2), "peak_rss_mb": round(run.peak_rss_mb, 1), "exit": run.returncode}
    if run.returncode != 0:
        result["error"] = (run.stderr.strip().splitlines() or [f"exit {run.returncode}"])[-1]
    return result
