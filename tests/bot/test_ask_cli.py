"""`rapportbot ask` as a user runs it: a real process against the real store (one process per test; those that
answer run two at a time)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CONTRACT = {"id", "question", "language", "mode", "refused", "answer", "citations", "retrieved", "notice",
            "timings_ms"}
CITATION = {"n", "quote", "section", "page", "speaker", "chunk_id", "text"}


def _run(args: list[str], store: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAPPORTBOT_STORE": str(store), "RAPPORTBOT_LLM": "none"}
    env.pop("RAPPORTBOT_CHROMA_URL", None)
    return subprocess.run([sys.executable, "-m", "bot.cli", "ask", *args], input=stdin or "", capture_output=True,
                          text=True, env=env, timeout=240)


BATCH_JSONL = "\n".join([
    json.dumps({"id": 1, "question": "Hvad er radikal innovation?", "lang": "da", "kind": "fact"}),
    json.dumps({"id": "no-question"}),
    "this line is not json",
    json.dumps({"id": 3, "question": ""}),
    json.dumps({"id": 4, "question": "Hvad er hovedstaden i Frankrig?"}),
    json.dumps({"id": 5, "question": "hej"}),
])
BATCH_JSON_LIST = json.dumps([{"id": "a", "question": "What is the new synthesis?"},
                              {"id": "b", "question": "Hvad er den nye syntese?"}])

# The runs that load the store and the models (seconds each, on one core): `answered` starts them all, two at a
# time, when the first of the tests below needs one; each test then reads its own finished process.
ANSWERING_RUNS = {
    "question": (["Hvad sagde de regionale topledere om innovation?"], None),
    "json": (["--json", "How many leaders were interviewed?"], None),
    "batch": (["--json", "--batch", "{work}/questions.jsonl"], None),
    "json_list": (["--json", "--batch", "{work}/questions.json"], None),
    "stdin": ([], "Hvad er radikal innovation?\n"),
}


@pytest.fixture(scope="module")
def answered(built_store, tmp_path_factory):
    """name -> a started `rapportbot ask` child of ANSWERING_RUNS; `answered[name].result()` waits for it."""
    from concurrent.futures import ThreadPoolExecutor

    work = tmp_path_factory.mktemp("ask-cli")
    (work / "questions.jsonl").write_text(BATCH_JSONL, encoding="utf-8")
    (work / "questions.json").write_text(BATCH_JSON_LIST, encoding="utf-8")
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {name: pool.submit(_run, [arg.format(work=work) for arg in args], built_store, stdin)
               for name, (args, stdin) in ANSWERING_RUNS.items()}


def test_question_prints_answer_with_numbered_sources(answered):
    result = answered["question"].result()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Ifølge rapporten:")
    assert "[1] “" in result.stdout and "Kilder:" in result.stdout
    assert "Regional topleder" in result.stdout.split("Kilder:")[1]
    assert "Traceback" not in result.stderr


def test_json_prints_one_contract_object(answered):
    result = answered["json"].result()
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert CONTRACT <= set(answer)
    assert answer["language"] == "en" and answer["mode"] == "extractive" and answer["refused"] is False
    assert answer["citations"] and all(CITATION <= set(c) for c in answer["citations"])
    assert set(answer["timings_ms"]) == {"retrieve", "answer", "total"}


def test_batch_answers_every_item_and_reports_bad_ones(answered):
    result = answered["batch"].result()
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("id") for r in rows] == [1, "no-question", None, 3, 4, 5]
    assert CONTRACT <= set(rows[0]) and rows[0]["refused"] is False
    assert set(rows[1]) == {"id", "error"} and set(rows[2]) == {"id", "error"} and set(rows[3]) == {"id", "error"}
    assert rows[4]["refused"] is True and rows[5]["refused"] is False


def test_batch_reads_a_json_list(answered):
    result = answered["json_list"].result()
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["language"]) for r in rows] == [("a", "en"), ("b", "da")]


def test_missing_store_names_ingest_and_exits_2(tmp_path):
    result = _run(["Hvad er radikal innovation?"], tmp_path / "nowhere")
    assert result.returncode == 2
    assert "rapportbot ingest" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content, message", [("", "empty"), ("[1, 2", "not a valid JSON list")])
def test_unusable_batch_file_is_a_clear_error(built_store, tmp_path, content, message):
    batch = tmp_path / "bad.json"
    batch.write_text(content, encoding="utf-8")
    result = _run(["--json", "--batch", str(batch)], built_store)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_question_on_stdin(answered):
    result = answered["stdin"].result()
    assert result.returncode == 0 and "[1]" in result.stdout


def test_default_store_path_is_not_taken_from_other_env_vars(tmp_path):
    """Without RAPPORTBOT_STORE the store is .rapportbot/store under the working directory (not $PATH)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORTBOT_")}
    env.update(RAPPORTBOT_LLM="none", PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    result = subprocess.run([sys.executable, "-m", "bot.cli", "ask", "Hvad er radikal innovation?"], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2
    assert ".rapportbot/store" in result.stderr and env["PATH"] not in result.stderr


def test_interactive_ask_has_line_editing_and_history(built_store):
    """On a terminal (a pty), Up brings back the last question and Enter asks it again: readline, not ^[[A."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    from ingest.settings import PROJECT_ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAPPORTBOT_", "OPENAI_"))}
    env.update({"RAPPORTBOT_STORE": str(built_store), "RAPPORTBOT_LLM": "none", "TERM": "xterm"})
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "ask"], stdin=follower, stdout=follower,
                            stderr=follower, env=env, cwd=PROJECT_ROOT, close_fds=True)
    os.close(follower)
    seen = b""

    def read_until(marker: bytes, count: int = 1, timeout: float = 120) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while seen.count(marker) < count and time.monotonic() < deadline:
            if select.select([leader], [], [], 0.5)[0]:
                try:
                    seen += os.read(leader, 65536)
                except OSError:
                    break
        assert seen.count(marker) >= count, seen.decode("utf-8", "replace")[-2000:]

    try:
        read_until(b"Question (empty line quits): ")
        os.write(leader, "Hvor mange topledere blev interviewet?\r".encode())
        read_until(b"Question (empty line quits): ", 2)
        os.write(leader, b"\x1b[A\r")  # Up, Enter: the same question again
        read_until(b"Question (empty line quits): ", 3)
        os.write(leader, b"\r")
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        os.close(leader)
    text = seen.decode("utf-8", "replace")
    assert "^[[A" not in text
    assert text.count("Hvor mange topledere blev interviewet?") >= 2  # typed once, brought back once
    assert text.count("24") >= 2  # answered twice
