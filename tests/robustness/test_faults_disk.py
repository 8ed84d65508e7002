"""Full and read-only disks (issue 12), on real file systems: a small tmpfs, made read-only by remounting.

A read-only store still serves and answers (answers need no writes); a read-only feedback location starts
the server with a warning and feedback answers 503; `ask` and `ingest` say what is wrong in one line."""
from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from eval.bench.processes import ServeProcess, bench_env, run_measured
from tests.robustness.support import assert_no_traceback, remount_read_only, small_disk

QUESTION = "Hvor mange topledere blev interviewet?"


def test_read_only_store_and_feedback_location_serve_with_a_warning(built_store: Path, tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "64m") as disk:
        shutil.copytree(built_store, disk / "store", symlinks=True)
        (disk / "feedback").mkdir()
        remount_read_only(disk)
        env = bench_env(disk / "store", RAPPORTBOT_FEEDBACK_DB=str(disk / "feedback" / "feedback.sqlite"))

        # `ask`, `ingest` and `serve` are separate processes on the same read-only disk: they run side by side
        # (the server starts while the other two run).
        server = ServeProcess(env, log_dir=tmp_path)
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                ask_run = pool.submit(run_measured, ["ask", QUESTION], env, timeout_s=300)
                ingest_run = pool.submit(run_measured, ["ingest"], env, timeout_s=300)
                server.start(timeout_s=120)
                ask, ingest = ask_run.result(), ingest_run.result()
            assert ask.returncode == 0, ask.stderr[-2000:]
            assert "Kilder" in ask.stdout
            assert ingest.returncode == 2
            lines = [line for line in ingest.stderr.splitlines() if line.strip()]
            assert len(lines) == 1 and "read-only" in lines[0].lower(), ingest.stderr[-2000:]

            with httpx.Client(base_url=server.url, timeout=60, trust_env=False) as client:
                answer = client.post("/api/ask", json={"question": QUESTION})
                assert answer.status_code == 200 and answer.json()["citations"]
                feedback = client.post("/api/feedback", json={"question": QUESTION, "rating": "up"})
                assert feedback.status_code == 503
                assert "read-only" in feedback.json()["error"]
        finally:
            server.stop()
        log = server.log_text()
        assert "warning: feedback cannot be stored" in log and "access: open" in log, log[-2000:]
        assert_no_traceback(log, "the serve log")


def test_cli_writing_to_a_full_disk_says_so_in_one_line(tmp_path: Path) -> None:
    from bot.feedback import FeedbackStore
    from tests.robustness.support import fill_disk

    db = tmp_path / "feedback.sqlite"
    FeedbackStore(db).record(question="Hvad siger lederne?", answer="svar", rating="up", comment="x" * 3000)
    with small_disk(tmp_path / "disk", "64k") as disk:
        fill_disk(disk)
        env = bench_env(tmp_path / "no-store")
        export = run_measured(["feedback", "export", "--db", str(db), "--out", str(disk / "out.jsonl")], env,
                              timeout_s=120)
    assert export.returncode == 2, export.stderr[-1500:]
    lines = [line for line in export.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "the disk is full" in lines[0], export.stderr[-1500:]
