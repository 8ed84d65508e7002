"""`rapportbot eval` end to end on the real store: files written, baselines side by side, comparison with an
earlier run, --check's exit code on both sides of its floors, and bad input answered with a message instead of a
traceback. One CLI run over six questions (with --compare and floors it meets) is shared by the tests that read
its files."""
from __future__ import annotations

import contextlib
import io
import json

import pytest

from bot.cli import main
from eval.evaluate import evaluate
from eval.questions import load_questions
from ingest.settings import PROJECT_ROOT

PICK = ("method-count", "attention-six", "synthesis-bourgon", "views-everyday-innovation", "oos-coi-cost",
        "oos-weather-en")
CONTRACT = {"id", "question", "language", "mode", "refused", "answer", "citations", "retrieved", "notice",
            "timings_ms"}


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    """Six questions of the committed set (Danish and English, list, quote, out of scope) as JSONL."""
    chosen = [q for q in load_questions(PROJECT_ROOT / "eval" / "questions.yaml") if q.id in PICK]
    path = tmp_path_factory.mktemp("questions") / "small.jsonl"
    path.write_text("\n".join(q.model_dump_json() for q in chosen) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def store_env(monkeypatch, built_store):
    """The environment a user would set: the store, no LLM (answers must be extractive here)."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "RAPPORTBOT_CHROMA_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAPPORTBOT_STORE", str(built_store))
    monkeypatch.setenv("RAPPORTBOT_LLM", "none")


# Floors the six questions meet (every quote verbatim; any decision accuracy), for the shared run's --check.
MET_FLOORS = {"minimum": {"verbatim_rate": 1.0, "decision_accuracy": 0.0}}


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory, built_store, small_set):
    """One real CLI run with --compare and --check (floors it meets) over the small set: (out dir, exit code,
    stderr)."""
    mp = pytest.MonkeyPatch()
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "RAPPORTBOT_CHROMA_URL"):
        mp.delenv(name, raising=False)
    mp.setenv("RAPPORTBOT_STORE", str(built_store))
    mp.setenv("RAPPORTBOT_LLM", "none")
    root = tmp_path_factory.mktemp("run")
    floors, out = root / "floors.json", root / "run"
    floors.write_text(json.dumps(MET_FLOORS), encoding="utf-8")
    capture = io.StringIO()
    try:
        with contextlib.redirect_stderr(capture):
            code = main(["eval", "--questions", str(small_set), "--out", str(out), "--compare", "--baseline", "none",
                         "--no-progress", "--check", str(floors)])
    finally:
        mp.undo()
    return out, code, capture.getvalue()


@pytest.fixture(scope="module")
def compare_run(cli_run):
    out, code, err = cli_run
    assert code == 0, err
    return out


def test_cli_writes_every_file(compare_run):
    names = {p.name for p in compare_run.iterdir()}
    assert {"results.jsonl", "summary.json", "report.md", "metrics_by_kind.png", "metrics_by_lang.png",
            "latency.png", "baselines.png"} <= names
    for png in compare_run.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_results_follow_the_answer_contract_plus_scores(compare_run):
    lines = [json.loads(line) for line in (compare_run / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == [q for q in PICK if q in {line["id"] for line in lines}]
    assert len(lines) == len(PICK)
    for line in lines:
        assert CONTRACT <= set(line), line.get("error")
        assert line["mode"] == "extractive"
        assert {"supported", "hits", "verbatim_quotes", "coverage", "latency_ms"} <= set(line["scores"])
        assert line["gold"]["kind"]


def test_summary_aggregates_by_language_kind_and_has_three_baselines(compare_run):
    summary = json.loads((compare_run / "summary.json").read_text(encoding="utf-8"))
    metrics = summary["metrics"]
    assert set(metrics["by_lang"]) == {"da", "en"}
    assert metrics["by_kind"]["out_of_scope"]["n"] == 2
    assert metrics["all"]["n"] == len(PICK) and metrics["all"]["errors"] == 0
    assert metrics["all"]["verbatim_rate"] == 1.0
    assert set(summary["baselines"]) == {"lexical", "dense", "naive"}
    for name, baseline in summary["baselines"].items():
        assert baseline["all"]["n"] == len(PICK)
        assert baseline["all"]["refusal_recall"] == 0.0, name  # baselines never refuse
        assert baseline["all"]["verbatim_rate"] == 1.0, name   # they quote the text they retrieved
    report = (compare_run / "report.md").read_text(encoding="utf-8")
    assert "## Baselines side by side" in report
    assert all(f"| {name} |" in report for name in ("rapportbot", "lexical", "dense", "naive"))
    assert "![metrics_by_kind.png](metrics_by_kind.png)" in report


def test_second_run_compares_with_the_first(compare_run, small_set, store_settings, eval_service, tmp_path):
    summary = evaluate(store_settings, small_set, tmp_path / "again", baseline=compare_run, progress=False,
                       service=eval_service)
    comparison = summary["comparison"]
    assert comparison["same_question_set"] is True
    assert comparison["worse"] == []  # extractive answers are deterministic
    assert set(comparison["metric_deltas"]) >= {"support", "verbatim_rate", "decision_accuracy", "hit@5"}
    assert "## Against" in (tmp_path / "again" / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("argv, message", [
    (["--questions", "/nonexistent/q.yaml"], "no such question file"),
    (["--limit", "0"], "--limit must be at least 1"),
    (["--token", "x"], "--token needs --url"),
    (["--baseline", "/nonexistent/run"], "no baseline there"),
    (["--judge", "on"], "--judge on needs an LLM"),
    (["--report", "/nonexistent/report.txt"], "no such report file"),
])
def test_bad_input_exits_2_with_a_message(store_env, capsys, tmp_path, argv, message):
    code = main(["eval", "--out", str(tmp_path / "out"), "--no-progress", "--limit", "1", *argv]
                if "--limit" not in argv else ["eval", "--out", str(tmp_path / "out"), "--no-progress", *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_bad_question_file_names_the_item(store_env, capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": "a", "question": "ok"}, {"id": "b", "lang": "fr", "question": "x"}]', encoding="utf-8")
    assert main(["eval", "--questions", str(bad), "--no-progress"]) == 2
    assert "item 2 (id 'b'): field 'lang'" in capsys.readouterr().err


def test_check_exits_0_when_the_floors_are_met(cli_run):
    out, code, err = cli_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert all(summary["metrics"]["all"][m] >= floor for m, floor in MET_FLOORS["minimum"].items())
    assert code == 0 and "below threshold" not in err


def test_check_exits_1_below_the_floors(store_env, small_set, tmp_path, capsys):
    floors = tmp_path / "floors.json"
    # verbatim_rate is met (as in the shared run); support 1.01 no run can reach
    floors.write_text('{"minimum": {"verbatim_rate": 1.0, "support": 1.01}}', encoding="utf-8")
    argv = ["eval", "--questions", str(small_set), "--limit", "1", "--baseline", "none", "--no-progress"]
    assert main([*argv, "--out", str(tmp_path / "b"), "--check", str(floors)]) == 1
    below = [line for line in capsys.readouterr().err.splitlines() if line.startswith("below threshold: ")]
    assert len(below) == 1 and below[0].startswith("below threshold: support = ")


def test_missing_store_says_how_to_build_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("RAPPORTBOT_STORE", str(tmp_path / "no-store"))
    monkeypatch.setenv("RAPPORTBOT_LLM", "none")
    monkeypatch.delenv("RAPPORTBOT_CHROMA_URL", raising=False)
    assert main(["eval", "--limit", "1", "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "rapportbot ingest" in err and "Traceback" not in err
