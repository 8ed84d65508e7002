"""Conversations: each asked turn by turn with the history a real client sends, each turn scored like a single
question, first turns and follow-ups reported apart (and by kind of follow-up).

A conversation file (eval/bank/<split>/*-conversations.yaml) is a list of
`{id, lang, turns: [{question, kind, follow, evidence, must_mention, nearby}]}`; `follow` says how the turn
leans on the ones before: first | ordinal | pronoun | ellipsis | switch | clarify. The history handed to the
next turn is `bot.history.history_turns` of the earlier questions and the bot's own earlier answers (their
text and their citations), the same shape the page, `/api/ask`, `/v1` and the interactive CLI send, so the
figures measure what a user of any of them gets. A turn that fails is recorded with its error, and the
conversation goes on with the history it has.
"""
from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.history import history_turns
from bot.types import Answer
from eval.matching import folded_report
from eval.metrics import QuestionScore, aggregate, score_answer
from eval.questions import Question
from eval.runner import Result, _error_score
from ingest.errors import InputError, RapportbotError, StoreError

Follow = Literal["first", "ordinal", "pronoun", "ellipsis", "switch", "clarify"]
# What the two report groups answer: does the bot follow a turn that leans on the earlier ones?
FOLLOWING = ("ordinal", "pronoun", "ellipsis", "clarify")


class ConversationTurn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    question: str = Field(min_length=1)
    kind: str = "fact"
    follow: Follow = "first"
    evidence: list[str] = Field(default_factory=list)
    must_mention: list[str] = Field(default_factory=list)
    nearby: str | None = None


class Conversation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    lang: Literal["da", "en"] | None = None
    turns: list[ConversationTurn] = Field(min_length=1)

    def questions(self) -> list[Question]:
        """Each turn as a scorable Question, id `<conversation>#<turn number>`, `topic` its follow type."""
        return [Question(id=f"{self.id}#{i}", question=t.question, lang=self.lang, kind=t.kind,
                         evidence=t.evidence, must_mention=t.must_mention, topic=t.follow)
                for i, t in enumerate(self.turns, start=1)]


def load_conversations(paths: list[str | Path]) -> list[Conversation]:
    """Conversation files as one list; InputError names the file and the conversation."""
    found: list[Conversation] = []
    seen: set[str] = set()
    for path in map(Path, paths):
        try:
            items = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
            raise InputError(f"{path}: cannot read conversations ({type(err).__name__})") from None
        if not isinstance(items, list):
            raise InputError(f"{path}: expected a list of conversations")
        for index, item in enumerate(items, start=1):
            try:
                conversation = Conversation.model_validate(item)
                conversation.questions()  # the turns' labels must be valid questions too
            except ValidationError as err:
                where = ".".join(str(p) for p in err.errors()[0]["loc"])
                raise InputError(f"{path}: conversation {index}: field '{where}': {err.errors()[0]['msg']}") from None
            if conversation.id in seen:
                raise InputError(f"{path}: conversation {index}: duplicate id {conversation.id!r}")
            seen.add(conversation.id)
            found.append(conversation)
    return found


class HttpAsker:
    """A deployed rapportbot as a conversation partner: POST {url}/api/ask with the question and its history."""

    def __init__(self, url: str, token: str | None = None):
        from eval.runner import HttpSource

        self._source = HttpSource(url, token)

    def ask(self, question: str, history: list[dict] | None = None, id: Any = None) -> Answer:
        return self._source.post(question, history)

    def close(self) -> None:
        self._source.close()


def run_conversations(conversations: list[Conversation], service: Any, report_path: str,
                      progress: bool = True) -> list[Result]:
    """Ask every turn of every conversation through `service.ask(question, history=...)` and score it."""
    from tqdm import tqdm

    report = folded_report(str(report_path))
    results: list[Result] = []
    bar = tqdm(total=sum(len(c.turns) for c in conversations), desc="conversations", unit="turn",
               file=sys.stderr, disable=not progress, dynamic_ncols=True)
    for conversation in conversations:
        exchanged: list[tuple[str, Answer]] = []
        for question in conversation.questions():
            bar.update(1)
            started = time.perf_counter()
            try:
                answer = service.ask(question.question, history=history_turns(exchanged) or None, id=question.id)
            except StoreError:
                if not results:
                    raise
                results.append(Result(question, None, _error_score(question, "store unavailable")))
                continue
            except RapportbotError as err:
                results.append(Result(question, None, _error_score(question, str(err))))
                continue
            except Exception as err:  # noqa: BLE001 - one broken turn must not end the evaluation
                results.append(Result(question, None, _error_score(question, f"{type(err).__name__}: {err}")))
                continue
            latency_ms = round((time.perf_counter() - started) * 1000, 2)
            results.append(Result(question, answer, score_answer(question, answer, report, latency_ms)))
            exchanged.append((question.question, answer))
    bar.close()
    return results


def summarise_conversations(scores: list[QuestionScore]) -> dict[str, Any]:
    """Metrics over all turns, over first turns, over follow-ups (turns that lean on earlier ones), over topic
    switches, and by follow type and language."""
    by_follow: dict[str, list[QuestionScore]] = defaultdict(list)
    by_lang: dict[str, list[QuestionScore]] = defaultdict(list)
    for s in scores:
        by_follow[s.topic or "first"].append(s)
        by_lang[s.lang].append(s)
    return {
        "all": aggregate(scores),
        "first": aggregate(by_follow.get("first", [])),
        "followups": aggregate([s for s in scores if s.topic in FOLLOWING]),
        "switch": aggregate(by_follow.get("switch", [])),
        "by_follow": {k: aggregate(v) for k, v in sorted(by_follow.items())},
        "by_lang": {k: aggregate(v) for k, v in sorted(by_lang.items())},
    }


CONVERSATION_HEADLINE = ("quote_hit", "decision_accuracy", "verbatim_rate", "support")


def conversation_lines(metrics: dict[str, Any], by_follow: bool = True) -> list[str]:
    """A few printable lines: first turns, follow-ups, switches (and, unless sealed, each follow type)."""
    lines = []
    groups = [("first turns", metrics["first"]), ("follow-ups", metrics["followups"]),
              ("topic switches", metrics["switch"])]
    if by_follow:
        groups += [(f"  {name}", values) for name, values in metrics["by_follow"].items()
                   if name not in ("first", "switch")]
    for label, values in groups:
        figures = "  ".join(f"{m} {values.get(m) if values.get(m) is not None else '-'}"
                            for m in CONVERSATION_HEADLINE)
        lines.append(f"  {label:<16} n {values['n']:<4} {figures}")
    return lines


def evaluate_conversations(paths: list[Path], service: Any | None, report_path: Path, out_dir: Path | None,
                           url: str | None = None, token: str | None = None, progress: bool = True) -> dict[str, Any]:
    """Load, ask and score the conversations of `paths`; with `out_dir`, write conversations.jsonl (one line
    per turn, as results.jsonl) and conversations.json (the metrics). Returns the metrics."""
    import json

    conversations = load_conversations(paths)
    asker = HttpAsker(url, token) if url else service
    try:
        results = run_conversations(conversations, asker, str(report_path), progress=progress)
    finally:
        if isinstance(asker, HttpAsker):
            asker.close()
    metrics = summarise_conversations([r.score for r in results])
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        with (out_dir / "conversations.jsonl").open("w", encoding="utf-8") as handle:
            for result in results:
                handle.write(json.dumps(result.record(), ensure_ascii=False) + "\n")
        (out_dir / "conversations.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    return metrics
