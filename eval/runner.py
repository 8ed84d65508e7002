"""Ask every question of a source (the in-process AnswerService, a deployed rapportbot, or a baseline) and
score the answers. A failing question is recorded with its error and the run goes on."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from bot.types import Answer
from eval.matching import folded_report
from eval.metrics import QuestionScore, score_answer
from eval.questions import Question
from ingest.errors import InputError, RapportbotError, StoreError
from ingest.settings import Settings


class AnswerSource(Protocol):
    name: str

    def ask(self, question: Question) -> Answer: ...


@dataclass
class Result:
    question: Question
    answer: Answer | None
    score: QuestionScore

    def record(self) -> dict[str, Any]:
        """One line of results.jsonl: the `ask --json` object plus the gold labels and the scores."""
        if self.answer is not None:
            line: dict[str, Any] = self.answer.model_dump(mode="json")
        else:
            line = {"id": self.question.id, "question": self.question.question, "error": self.score.error}
        line["id"] = self.question.id
        line["gold"] = self.question.model_dump(include={"lang", "kind", "topic", "evidence", "must_mention",
                                                         "gold_answer"})
        line["scores"] = self.score.model_dump(mode="json")
        return line


class ServiceSource:
    """The real engine in this process: bot.service.AnswerService, models loaded once."""

    name = "rapportbot"

    def __init__(self, settings: Settings, service: Any | None = None):
        if service is None:
            from bot.service import AnswerService

            service = AnswerService(settings)
        self.service = service

    def ask(self, question: Question) -> Answer:
        return self.service.ask(question.question, id=question.id)


class HttpSource:
    """A deployed rapportbot: POST {url}/api/ask with {"question": ...}, bearer token when given."""

    name = "rapportbot"

    def __init__(self, url: str, token: str | None = None, timeout_s: float = 120.0):
        import httpx

        self.url = url.rstrip("/") + "/api/ask"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(headers=headers, timeout=timeout_s)
        self._httpx = httpx

    def ask(self, question: Question) -> Answer:
        answer = self.post(question.question)
        answer.id = question.id
        return answer

    def post(self, question: str, history: list[dict] | None = None) -> Answer:
        """One POST /api/ask (with `history` when given) as an Answer; a clear error for every failure."""
        body: dict[str, Any] = {"question": question}
        if history is not None:
            body["history"] = history
        try:
            response = self.client.post(self.url, json=body)
        except self._httpx.HTTPError as err:
            raise StoreError(f"cannot reach {self.url}: {type(err).__name__}: {err}") from None
        if response.status_code in (401, 403):
            raise StoreError(f"{self.url} refused the request (HTTP {response.status_code}): check --token")
        if response.status_code >= 400:
            raise InputError(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            return Answer.model_validate(response.json())
        except ValueError as err:
            raise InputError(f"the server's reply is not the Answer contract: {str(err).splitlines()[0]}") from None

    def close(self) -> None:
        self.client.close()


def _error_score(question: Question, message: str) -> QuestionScore:
    return QuestionScore(id=question.id, lang=question.lang or "da", kind=question.kind, topic=question.topic,
                         answerable=question.answerable, refused=False, decision_correct=False, error=message)


def run_questions(questions: list[Question], source: AnswerSource, report_path: str,
                  progress: bool = True, judge: Callable[[Question, Answer], dict] | None = None,
                  label: str | None = None) -> list[Result]:
    """Ask, time and score every question; a question that fails yields an error result.

    A StoreError on the first question (store missing, server unreachable, token refused) stops the run:
    every later question would fail the same way.
    """
    from tqdm import tqdm

    report = folded_report(str(report_path))
    results: list[Result] = []
    bar = tqdm(questions, desc=label or source.name, unit="q", file=sys.stderr, disable=not progress,
               dynamic_ncols=True)
    for index, question in enumerate(bar):
        started = time.perf_counter()
        try:
            answer = source.ask(question)
        except StoreError as err:
            if index == 0:
                raise
            results.append(Result(question, None, _error_score(question, str(err))))
            continue
        except RapportbotError as err:
            results.append(Result(question, None, _error_score(question, str(err))))
            continue
        except Exception as err:  # noqa: BLE001 - one broken answer must not end the evaluation
            results.append(Result(question, None, _error_score(question, f"{type(err).__name__}: {err}")))
            continue
        latency_ms = (time.perf_counter() - started) * 1000
        score = score_answer(question, answer, report, round(latency_ms, 2))
        if judge is not None and question.answerable and not answer.refused:
            verdict = judge(question, answer)
            score.faithfulness, score.correctness = verdict.get("faithfulness"), verdict.get("correctness")
        results.append(Result(question, answer, score))
    return results
