"""The conversation runner on the real engine: turns asked in order with the history a client sends, scored
like singles, first turns and follow-ups reported apart; a bad file gets a message naming it."""
from __future__ import annotations

import json

import pytest

from eval.conversations import evaluate_conversations, load_conversations, run_conversations, summarise_conversations
from eval.questions import split_files
from ingest.errors import InputError
from ingest.settings import BUNDLED_REPORT

CONVERSATION = """
- id: six
  lang: da
  turns:
    - question: "Hvad er de seks opmærksomhedspunkter i rapporten?"
      kind: list
      follow: first
      evidence: ["#2 Styringslogikken hæmmer innovationsarbejdet"]
    - question: "uddyb nummer to"
      kind: synthesis
      follow: ordinal
      evidence: ["en oplevelse af et stærkt træk i retning af performance og compliance fra det politiske og centrale niveau"]
    - question: "Hvad kostede analysen?"
      kind: out_of_scope
      follow: switch
"""


class Recording:
    """The real service, with each call's history kept so the test can see what a turn was handed."""

    def __init__(self, service):
        self.service, self.histories = service, []

    def ask(self, question, history=None, id=None):
        self.histories.append(history)
        return self.service.ask(question, history=history, id=id)


@pytest.fixture(scope="module")
def conversation_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("conversations") / "x-conversations.yaml"
    path.write_text(CONVERSATION, encoding="utf-8")
    return path


def test_turns_get_the_earlier_answers_with_their_citations_and_are_scored(eval_service, conversation_file):
    recording = Recording(eval_service)
    results = run_conversations(load_conversations([conversation_file]), recording, str(BUNDLED_REPORT),
                                progress=False)
    assert [r.question.id for r in results] == ["six#1", "six#2", "six#3"]
    assert recording.histories[0] is None
    second = recording.histories[1]
    assert [m["role"] for m in second] == ["user", "assistant"]
    assert second[1]["citations"] and all({"n", "quote"} <= set(c) for c in second[1]["citations"])
    assert len(recording.histories[2]) == 4
    # "uddyb nummer to" reads the second item the list answer cited, and quotes from that point
    assert results[1].score.quote_hit
    metrics = summarise_conversations([r.score for r in results])
    assert metrics["first"]["n"] == 1 and metrics["followups"]["n"] == 1 and metrics["switch"]["n"] == 1
    assert metrics["by_follow"]["ordinal"]["quote_hit"] == 1.0
    assert metrics["all"]["verbatim_rate"] == 1.0


def test_a_run_writes_its_turns_and_metrics(eval_service, conversation_file, tmp_path):
    metrics = evaluate_conversations([conversation_file], eval_service, BUNDLED_REPORT, tmp_path, progress=False)
    lines = [json.loads(line) for line in (tmp_path / "conversations.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["six#1", "six#2", "six#3"]
    assert lines[1]["gold"]["topic"] == "ordinal" and "scores" in lines[1]
    assert json.loads((tmp_path / "conversations.json").read_text(encoding="utf-8")) == metrics


def test_bad_conversation_files_are_named(tmp_path):
    bad = tmp_path / "bad-conversations.yaml"
    bad.write_text("- id: a\n  turns: []\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad-conversations.yaml: conversation 1"):
        load_conversations([bad])
    bad.write_text("- id: a\n  turns:\n    - question: q\n      kind: out_of_scope\n      evidence: [x]\n",
                   encoding="utf-8")
    with pytest.raises(InputError, match="conversation 1"):
        load_conversations([bad])


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_every_split_has_conversations_that_load(split):
    # Loads only: failures name counts, never a sealed turn's text.
    conversations = load_conversations(split_files(split, conversations=True))
    assert len(conversations) >= 14
