"""`rapportbot eval --url`: the same evaluation against a running rapportbot over HTTP, with a bearer token.
The servers are a real loopback HTTP server answering from the real AnswerService and the real FastAPI app
under uvicorn; both runs are compared with one in-process run of the same three questions."""
from __future__ import annotations

import json

import pytest

from bot.cli import main
from eval.evaluate import evaluate

QUESTIONS = [
    {"id": "n", "question": "Hvor lang tid varede interviewene?", "lang": "da", "kind": "number",
     "evidence": ["cirka 30 minutters varighed"], "must_mention": ["30"], "gold_answer": "Cirka 30 minutter."},
    {"id": "en", "question": "Who came up with the New Synthesis framework?", "lang": "en", "kind": "fact",
     "evidence": ["Jocelyne Bourgon er ophavskvinde"], "must_mention": ["bourgon"], "gold_answer": "Jocelyne Bourgon"},
    {"id": "oos", "question": "Hvor mange penge har COI brugt på analysen?", "kind": "out_of_scope"},
]


@pytest.fixture(scope="module")
def questions_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("questions") / "q.json"
    path.write_text(json.dumps(QUESTIONS, ensure_ascii=False), encoding="utf-8")
    return path


def _answers(run_dir):
    lines = (run_dir / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["answer"] for line in lines]


@pytest.fixture(scope="module")
def local_run(questions_file, store_settings, eval_service, tmp_path_factory):
    """The same questions evaluated in process: (summary, answer texts in order), what every --url run must match."""
    out = tmp_path_factory.mktemp("local") / "run"
    summary = evaluate(store_settings, questions_file, out, baseline=None, progress=False, service=eval_service)
    assert summary["run"]["source"] == "in-process AnswerService" and summary["metrics"]["all"]["errors"] == 0
    return summary, _answers(out)


def test_url_run_scores_the_servers_answers_like_in_process(ask_server, local_run, questions_file, store_settings,
                                                            tmp_path):
    remote = evaluate(store_settings, questions_file, tmp_path / "remote", url=ask_server.url, token="s3cret",
                      baseline=None, progress=False)
    local, local_answers = local_run
    assert ask_server.requests == len(QUESTIONS)
    assert remote["run"]["source"] == ask_server.url
    assert remote["metrics"]["all"]["errors"] == 0
    assert remote["questions"] == local["questions"]
    assert _answers(tmp_path / "remote") == local_answers


def test_url_with_a_wrong_token_stops_with_a_message(ask_server, questions_file, tmp_path, capsys):
    code = main(["eval", "--url", ask_server.url, "--token", "wrong", "--questions", str(questions_file),
                 "--out", str(tmp_path / "out"), "--baseline", "none", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "check --token" in err and "Traceback" not in err


def test_unreachable_url_stops_with_a_message(questions_file, tmp_path, capsys):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = main(["eval", "--url", f"http://127.0.0.1:{port}", "--questions", str(questions_file),
                 "--out", str(tmp_path / "out"), "--baseline", "none", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach" in err


def test_url_run_against_the_real_web_server(eval_service, local_run, questions_file, store_settings, tmp_path):
    """The same evaluation through the real FastAPI app (bot.web.app) served by uvicorn on loopback."""
    import socket
    import threading
    import time

    import uvicorn

    from bot.web.app import create_app
    from ingest.settings import ServerSettings

    settings = store_settings.model_copy(update={"server": ServerSettings(api_tokens=["t0ken"])})
    app = create_app(settings, service_factory=lambda: eval_service, feedback_path=tmp_path / "fb.sqlite")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        summary = evaluate(store_settings, questions_file, tmp_path / "run", url=f"http://127.0.0.1:{port}",
                           token="t0ken", baseline=None, progress=False)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    local, local_answers = local_run
    assert summary["metrics"]["all"]["errors"] == 0 and summary["metrics"]["all"]["n"] == len(QUESTIONS)
    assert summary["questions"] == local["questions"]
    assert _answers(tmp_path / "run") == local_answers
