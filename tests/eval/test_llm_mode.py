"""An evaluation of LLM answers: the engine talks to the local OpenAI-compatible server, the eval records the
mode and checks the LLM's quotes against the original report like any other."""
from __future__ import annotations

import json
import re

from tests.bot.fake_openai import Reply

from eval.evaluate import evaluate
from ingest.settings import LLMSettings

QUESTION = {"id": "hermann", "question": "Hvilken stilling har Stefan Hermann?", "lang": "da", "kind": "fact",
            "evidence": ["Stefan Hermann, rektor, Københavns"], "must_mention": ["rektor"],
            "gold_answer": "Rektor for Københavns Professionshøjskole."}


def test_llm_answers_are_evaluated_with_mode_and_verbatim_check(fake_openai, store_settings, eval_service,
                                                                 tmp_path):
    from bot.service import AnswerService

    extractive = eval_service.ask(QUESTION["question"])
    assert not extractive.refused  # the LLM is only asked when the passages answer the question
    top = extractive.retrieved[0].text
    sentence = re.split(r"(?<=[.!?])\s+", " ".join(top.split()))[0]
    fake_openai.script(Reply.text(f'Han er rektor [1].\nQUOTES:\n[1] "{sentence}"'))
    settings = store_settings.model_copy(update={"llm": LLMSettings(
        provider="openai", base_url=fake_openai.base_url, api_key="test", model="fake", timeout_s=5)})
    path = tmp_path / "q.json"
    path.write_text(json.dumps([QUESTION], ensure_ascii=False), encoding="utf-8")
    summary = evaluate(settings, path, tmp_path / "run", baseline=None, judge=False, progress=False,
                       service=AnswerService(settings))
    line = json.loads((tmp_path / "run" / "results.jsonl").read_text(encoding="utf-8"))
    assert summary["run"]["mode"] == "llm (1)" and line["mode"] == "llm"
    assert line["answer"].startswith("Han er rektor")
    assert line["scores"]["quotes"] == 1 and summary["metrics"]["all"]["verbatim_rate"] == 1.0
    assert len(fake_openai.requests) == 1
