"""Optional LLM judge (when an LLM is configured): faithfulness and correctness of each answer.

- faithfulness, as RAGAS defines it: the answer is broken into claims; the score is the share of claims
  that can be inferred from the answer's own quotes (prompts/judge_faithfulness.txt). An answer with no
  claims gets no score.
- correctness against the gold answer: "correct" 1.0, "partial" 0.5, "incorrect" 0.0
  (prompts/judge_correctness.txt).
A judge call that fails or returns something unreadable leaves that score empty (None), never 0.
"""
from __future__ import annotations

import json
import re
from typing import Any

from bot.llm.prompts import load_prompt
from bot.types import Answer
from eval.questions import Question
from ingest.settings import Settings

VERDICTS = {"correct": 1.0, "partial": 0.5, "incorrect": 0.0}
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def parse_json_object(text: str) -> dict[str, Any] | None:
    """The JSON object in a model reply (tolerates code fences and chatter around it)."""
    match = _OBJECT.search(text or "")
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def faithfulness_from(reply: dict[str, Any] | None) -> float | None:
    claims = (reply or {}).get("claims")
    if not isinstance(claims, list):
        return None
    verdicts = [c.get("supported") for c in claims if isinstance(c, dict) and isinstance(c.get("supported"), bool)]
    return round(sum(verdicts) / len(verdicts), 4) if verdicts else None


def correctness_from(reply: dict[str, Any] | None) -> float | None:
    verdict = str((reply or {}).get("verdict", "")).strip().lower()
    return VERDICTS.get(verdict)


class LLMJudge:
    """Calls the configured OpenAI-compatible server through langchain-openai's ChatOpenAI."""

    def __init__(self, settings: Settings):
        from langchain_openai import ChatOpenAI

        llm = settings.llm
        # Local servers need no key, but the OpenAI client insists on one.
        self.chat = ChatOpenAI(model=llm.model, base_url=llm.base_url, api_key=llm.api_key or "not-needed",
                               temperature=0.0, timeout=llm.timeout_s, max_retries=0, use_responses_api=False)
        self.faithfulness_prompt = load_prompt("judge_faithfulness")
        self.correctness_prompt = load_prompt("judge_correctness")
        self.failures = 0

    def _ask(self, prompt: str) -> dict[str, Any] | None:
        try:
            reply = self.chat.invoke(prompt)
        except Exception:  # noqa: BLE001 - timeouts, HTTP errors: the score stays empty
            self.failures += 1
            return None
        parsed = parse_json_object(str(reply.content))
        if parsed is None:
            self.failures += 1
        return parsed

    def __call__(self, question: Question, answer: Answer) -> dict[str, float | None]:
        quotes = "\n".join(f"[{c.n}] {c.quote}" for c in answer.citations) or "(none)"
        faithfulness = faithfulness_from(self._ask(self.faithfulness_prompt.format(
            question=question.question, answer=answer.answer, quotes=quotes)))
        correctness = None
        if question.gold_answer:
            correctness = correctness_from(self._ask(self.correctness_prompt.format(
                question=question.question, reference=question.gold_answer, answer=answer.answer)))
        return {"faithfulness": faithfulness, "correctness": correctness}
