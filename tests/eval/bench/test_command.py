"""The bench harness's own parts: percentiles, the load generator against a real loopback server (counting
errors, stopping at its time bound), the measured subprocess, the results table, the stand-in LLM."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from eval.bench.load import percentile, run_load_sync
from eval.bench.processes import bench_env, run_measured
from eval.bench.report import markdown_table, write_results


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        question = body["question"]
        if question.startswith("slow"):
            time.sleep(2)
        status = 500 if question.startswith("bad") else 200
        data = json.dumps({"question": question}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def echo_server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile([3.0], 95) == 3.0
    assert percentile([], 50) is None


def test_load_counts_every_request_and_every_error(echo_server: str) -> None:
    result = run_load_sync(echo_server, ["ok 1", "bad 2", "ok 3"], users=6, per_user=5, keep_responses=True)
    assert result.requests == 30
    assert result.errors == 10  # every third question answers 500
    assert all(body["question"] == question for question, body in result.responses)
    assert result.summary()["p95_ms"] is not None and not result.timed_out


def test_load_stops_at_its_time_bound_and_counts_the_rest_as_errors(echo_server: str) -> None:
    started = time.perf_counter()
    result = run_load_sync(echo_server, ["slow"], users=3, per_user=10, total_timeout_s=1.0)
    assert time.perf_counter() - started < 5
    assert result.timed_out and result.errors == 30


def test_run_measured_reports_exit_code_wall_time_and_peak_rss(tmp_path: Path) -> None:
    run = run_measured(["--help"], bench_env(tmp_path / "store"))
    assert run.returncode == 0 and "rapportbot" in run.stdout
    assert 0 < run.wall_s < 60 and 10 < run.peak_rss_mb < 2000


def test_results_table_marks_missed_targets_and_failed_stages(tmp_path: Path) -> None:
    results = {"started_utc": "20260101T000000Z", "quick": False, "notes": ["a note"],
               "machine": {"nproc": 2, "cpu": "X", "ram_gb": 4, "python": "3.11", "os": "Linux"},
               "ingest": {"cold_s": 12.5, "warm_s": 3.0}, "batch": {"error": "exit 2"},
               "load": {"50": {"errors": 0, "p95_ms": 900.0}},
               "scale": {"users": 50, "per_user": 10, "questions": "eval bank train+dev", "cores": 2,
                         "workers_1": {"workers": 1, "p95_ms": 1900.0, "throughput_rps": 40.0},
                         "workers_2": {"workers": 2, "error": "RuntimeError: serve not healthy"}}}
    table = markdown_table(results)
    assert "| Cold ingest (fresh store) | 12.50 s | <= 15 s | ok |" in table
    assert "| Re-ingest, unchanged | 3.00 s | <= 1 s | MISSED |" in table
    assert "| | 1 worker(s) | 2 worker(s) |" in table and "| p95 | 1900.0 ms | RuntimeError: serve not healthy |" in table
    assert "50 concurrent users: p95 | 900.00 ms | <= 1000 ms | ok" in table
    assert "- batch: exit 2" in table and "a note" in table
    json_path, md_path = write_results(results, tmp_path / "out")
    assert json.loads(json_path.read_text())["ingest"]["cold_s"] == 12.5 and md_path.read_text() == table


def test_stand_in_llm_quotes_the_first_passage() -> None:
    from eval.bench.fake_llm import BenchLLM

    prompt = ("<passages>\n[1] Section: A | Page: 3 | Speaker: -\nFørste sætning her. Anden sætning.\n\n"
              "[2] Section: B | Page: - | Speaker: -\nAndet afsnit.\n</passages>")
    with BenchLLM() as llm:
        response = httpx.post(llm.base_url + "/chat/completions", trust_env=False, timeout=10,
                              json={"model": "x", "messages": [{"role": "user", "content": prompt}]})
    content = response.json()["choices"][0]["message"]["content"]
    assert content.endswith('[1] "Første sætning her."'), content
