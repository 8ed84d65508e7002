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
