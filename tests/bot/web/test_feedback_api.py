"""POST /api/feedback on a real server: 50 concurrent writers, every row stored; the export reads them back."""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from bot.feedback import FeedbackStore


def test_fifty_concurrent_users_giving_feedback_lose_nothing(start_server):
    running = start_server()
    question = "Hvor mange topledere blev interviewet?"
    with running.client() as client:
        answer = client.post("/api/ask", json={"question": question}).json()

    def give(i: int) -> int:
        with running.client() as client:
            response = client.post("/api/feedback", json={
                "question": f"{question} #{i}", "answer": answer["answer"], "citations": answer["citations"],
                "mode": answer["mode"], "language": answer["language"], "refused": answer["refused"],
                "rating": "up" if i % 3 else "down", "issue": "quote_wrong" if i % 5 == 0 else None,
                "comment": f"kommentar {i}"})
            assert response.status_code == 201, response.text
            return response.json()["id"]

    with ThreadPoolExecutor(max_workers=50) as pool:
        ids = list(pool.map(give, range(150)))
    assert len(set(ids)) == 150
    rows = FeedbackStore(running.feedback_db).rows()
    assert len(rows) == 150
    assert {r["comment"] for r in rows} == {f"kommentar {i}" for i in range(150)}
    with running.client() as client:
        metrics = client.get("/metrics").text
    assert 'rapportbot_feedback_total{rating="up"} 100.0' in metrics

    export = subprocess.run([sys.executable, "-m", "bot.cli", "feedback", "export", "--db", str(running.feedback_db)],
                            capture_output=True, text=True, timeout=60)
    exported = [json.loads(line) for line in export.stdout.splitlines()]
    assert len(exported) == 150 and all(row["citations"] == answer["citations"] for row in exported)


def test_feedback_on_a_full_disk_is_a_clear_503_and_keeps_what_was_stored(start_server, tmp_path, caplog):
    """Issue 12: a real full file system (a small tmpfs) under the feedback database."""
    from tests.robustness.support import fill_disk, small_disk

    body = {"question": "Hvor mange topledere blev interviewet?", "rating": "up", "comment": "godt"}
    with small_disk(tmp_path / "disk", "512k") as disk:
        running = start_server(feedback_db=disk / "feedback.sqlite")
        with running.client() as client:
            first = client.post("/api/feedback", json=body)
            assert first.status_code == 201, first.text
            fill_disk(disk)
            with caplog.at_level("ERROR", logger="rapportbot.feedback"):
                full = [client.post("/api/feedback", json={**body, "comment": "x" * 3000 + str(i)}) for i in range(5)]
            assert {r.status_code for r in full} == {503}, [r.text for r in full]
            assert full[0].json() == {"error": "feedback could not be stored: disk full"}
            assert client.post("/api/ask", json={"question": body["question"]}).status_code == 200
        errors = [r for r in caplog.records if r.name == "rapportbot.feedback"]
        assert len(errors) == 5 and not any(r.exc_info for r in errors)  # one line per failed write
        (disk / "filler.bin").unlink()
        assert [r["comment"] for r in FeedbackStore(disk / "feedback.sqlite").rows()] == ["godt"]
        running.stop()
