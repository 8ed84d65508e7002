"""`rapportbot eval --url`: the same evaluation against a running rapportbot over HTTP, with a bearer token.
The server is a real loopback HTTP server answering from the real AnswerService."""
from __future__ import annotations

import json

from bot.cli import main
from eval.evaluate import evaluate

QUESTIONS = [
    {"id": "n", "question": "Hvor lang tid varede interviewene?", "lang": "da", "kind": "number",
     "evidence": ["cirka 30 minutters varighed"], "must_mention": ["30"], "gold_answer": "Cirka 30 minutter."},
    {"id": "en", "question": "Who came up with the New Synthesis framework?", "lang": "en", "kind": "fact",
     "evidence": ["Jocelyne Bourgon er ophavskvinde"], "must_mention": ["bourgon"], "gold_answer": "Jocelyne Bourgon"},
    {"id": "oos", "question": "Hvor mange penge har COI brugt på analysen?", "kind": "out_of_scope"},
]


def _write(tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps(QUESTIONS, ensure_ascii=False), encoding="utf-8")
    return path


def test_url_run_scores_the_servers_answers_like_in_process(ask_server, eval_service, store_settings, tmp_path):
    questions = _write(tmp_path)
    remote = evaluate(store_settings, questions, tmp_path / "remote", url=ask_server.url, token="s3cret",
                      baseline=None, progress=False)
    local = evaluate(store_settings, questions, tmp_path / "local", baseline=None, progress=False,
                     service=eval_service)
    assert ask_server.requests == len(QUESTIONS)
    assert remote["run"]["source"] == ask_server.url
    assert remote["metrics"]["all"]["errors"] == 0
    assert remote["questions"] == local["questions"]
    lines = (tmp_path / "remote" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    remote_answers = [json.loads(line)["answer"] for line in lines]
    assert remote_answers == [eval_service.ask(q["question"]).answer for q in QUESTIONS]


def test_url_with_a_wrong_token_stops_with_a_message(ask_server, store_settings, tmp_path, capsys):
    code = main(["eval", "--url", ask_server.url, "--token", "wrong", "--questions", str(_write(tmp_path)),
                 "--out", str(tmp_path / "out"), "--baseline", "none", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "check --token" in err and "Traceback" not in err


def test_unreachable_url_stops_with_a_message(tmp_path, capsys):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = main(["eval", "--url", f"http://127.0.0.1:{port}", "--questions", str(_write(tmp_path)),
                 "--out", str(tmp_path / "out"), "--baseline", "none", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach" in err


def test_url_run_against_the_real_web_server(eval_service, store_settings, tmp_path):
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
        summary = evaluate(store_settings, _write(tmp_path), tmp_path / "run", url=f"http://127.0.0.1:{port}",
                           token="t0ken", baseline=None, progress=False)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert summary["metrics"]["all"]["errors"] == 0 and summary["metrics"]["all"]["n"] == len(QUESTIONS)
    local = evaluate(store_settings, _write(tmp_path), tmp_path / "local", baseline=None, progress=False,
                     service=eval_service)
    assert summary["questions"] == local["questions"]
