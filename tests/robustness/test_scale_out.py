"""Scale-out: two `serve` processes sharing one `chroma run` server, one store directory (lexical index,
chunks) and one PostgreSQL feedback database (RAPPORTBOT_FEEDBACK_URL, a real server). Both answer alike;
50 users giving feedback at once through both lose no row. (Two processes on one SQLite file:
tests/bot/test_feedback.py.)"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import httpx
import pytest

from eval.bench.load import run_load_sync
from eval.bench.processes import ServeProcess, bench_env
from tests.conftest import fresh_database

pytestmark = pytest.mark.chroma_server


@pytest.fixture(scope="module")
def two_servers(chroma_store, postgres, tmp_path_factory) -> Iterator[tuple[ServeProcess, ServeProcess, str]]:
    work = tmp_path_factory.mktemp("scale-out")
    store, chroma = chroma_store
    feedback_db = fresh_database(postgres, "scale_out")
    env = bench_env(store, RAPPORTBOT_CHROMA_URL=chroma.url, RAPPORTBOT_FEEDBACK_URL=feedback_db,
                    RAPPORTBOT_FEEDBACK_DB=str(work / "unused.sqlite"))
    first, second = ServeProcess(env, log_dir=work), ServeProcess(env, log_dir=work)
    try:
        for server in (first, second):  # two independent processes: they start side by side
            server.launch()
        for server in (first, second):
            server.wait_healthy(timeout_s=180)
        yield first, second, feedback_db
    finally:
        first.stop()
        second.stop()


def test_both_servers_answer_alike_from_the_shared_chroma_server(two_servers) -> None:
    first, second, _ = two_servers
    for question in ["Hvad er de seks opmærksomhedspunkter?", "What do the leaders say about climate?"]:
        answers = [httpx.post(s.url + "/api/ask", json={"question": question}, timeout=30, trust_env=False)
                   for s in (first, second)]
        assert all(a.status_code == 200 for a in answers), [a.text[:300] for a in answers]
        one, two = (a.json() for a in answers)
        assert one["citations"], one
        assert [c["quote"] for c in one["citations"]] == [c["quote"] for c in two["citations"]]
    healths = [httpx.get(s.url + "/api/health", trust_env=False).json() for s in (first, second)]
    assert healths[0]["version"] == healths[1]["version"] and healths[0]["chunks"] > 0


def test_feedback_from_both_servers_lands_in_one_database(two_servers) -> None:
    first, second, feedback_db = two_servers
    users, per_user = 25, 2  # 25 writers on each server at once

    def feedback(tag: str):
        return lambda question, user, i: ("/api/feedback", {"question": question, "rating": "up",
                                                            "comment": f"{tag}-{user}-{i}"})

    import threading

    results = {}
    threads = [threading.Thread(target=lambda s=s, tag=tag: results.__setitem__(tag, run_load_sync(
        s.url, ["Hvad er radikal innovation?"], users, per_user, make_request=feedback(tag), total_timeout_s=120)))
               for s, tag in ((first, "a"), (second, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.errors == 0 for r in results.values()), {k: r.summary() for k, r in results.items()}
    import psycopg

    with psycopg.connect(feedback_db) as conn:
        comments = [row[0] for row in conn.execute("SELECT comment FROM feedback")]
    expected = {f"{tag}-{u}-{i}" for tag in "ab" for u in range(users) for i in range(per_user)}
    assert len(comments) == len(expected) and set(comments) == expected  # count in = count out, no duplicate
    assert not (Path(first.log_path).parent / "unused.sqlite").exists()  # the URL wins over the SQLite file
