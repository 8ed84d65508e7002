"""The page's one client endpoint, through gradio_client against a real server: `/ask` (question and history
in, the answer contract out) is the only one listed; the page's own events are neither listed nor callable."""
from __future__ import annotations

import pytest
from gradio_client import Client

QUESTION = "Hvor mange topledere blev interviewet?"


@pytest.fixture(scope="module")
def client(server):
    return Client(server.url + "/", verbose=False)


def test_only_ask_is_listed(client):
    info = client.view_api(return_format="dict", print_info=False)
    assert list(info["named_endpoints"]) == ["/ask"] and not info["unnamed_endpoints"]
    names = [p["parameter_name"] for p in info["named_endpoints"]["/ask"]["parameters"]]
    assert names == ["question", "history"]


def test_ask_returns_the_answer_contract_and_takes_history(client, server):
    answer = client.predict(QUESTION, None, api_name="/ask")
    assert answer["question"] == QUESTION and not answer["refused"] and answer["language"] == "da"
    assert any("24" in c["quote"] for c in answer["citations"])
    with server.client() as http:
        assert {k: v for k, v in answer.items() if k not in ("timings_ms", "id")} == {
            k: v for k, v in http.post("/api/ask", json={"question": QUESTION}).json().items()
            if k not in ("timings_ms", "id")}
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": answer["answer"]}]
    follow = client.predict("Og hvor mange af dem var kommunale?", history, api_name="/ask")
    assert "14" in follow["answer"] or any("14" in c["quote"] for c in follow["citations"])


def test_internal_events_cannot_be_called(client):
    with pytest.raises(Exception):
        client.predict([], {}, api_name="/on_like")
    with pytest.raises(Exception):
        client.predict("", api_name="/ask", history=None)  # an empty question is a clear error
