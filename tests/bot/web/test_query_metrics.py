"""/metrics shows how questions were batched for embedding (embedded / calls = the mean batch)."""
from __future__ import annotations

import re
import threading


def metric(text: str, name: str) -> float:
    return float(re.search(rf"^{name} (\S+)$", text, re.M).group(1))


def test_metrics_count_embed_calls_and_the_questions_they_embedded(server):
    with server.client() as client:
        before = client.get("/metrics").text
        client.post("/api/ask", json={"question": "Hvad siger lederne om borgerinddragelse i metrics-testen?"})
        statuses: list[int] = []

        def ask(i: int) -> None:
            with server.client() as own:
                statuses.append(own.post("/api/ask", json={"question": f"Hvad med samarbejde, variant {i}?"}).status_code)

        askers = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join(120)
        after = client.get("/metrics").text
    assert statuses == [200] * 6
    calls = metric(after, "rapportbot_query_embed_calls_total") - metric(before, "rapportbot_query_embed_calls_total")
    embedded = (metric(after, "rapportbot_query_embeddings_total")
                - metric(before, "rapportbot_query_embeddings_total"))
    assert embedded >= 7 and 1 <= calls <= embedded
