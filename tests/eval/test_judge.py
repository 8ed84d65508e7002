"""The LLM judge against a local OpenAI-compatible server (tests/bot/fake_openai.py): scores parsed from
real HTTP replies, prompts filled with the answer's own quotes, failures leave scores empty."""
from __future__ import annotations

import json

from tests.bot.fake_openai import Reply

from eval.evaluate import evaluate
from eval.judge import LLMJudge
from eval.questions import Question
from ingest.settings import LLMSettings

QUESTION = Question(id="j", question="Hvor lang tid varede interviewene?", lang="da", kind="number",
                    evidence=["cirka 30 minutters varighed"], must_mention=["30"], gold_answer="Cirka 30 minutter.")


def judge_settings(store_settings, server):
    return store_settings.model_copy(update={"llm": LLMSettings(provider="openai", base_url=server.base_url,
                                                                 api_key="test", model="judge", timeout_s=5)})


def claims(*supported: bool) -> Reply:
    return Reply.text(json.dumps({"claims": [{"claim": f"c{i}", "supported": s} for i, s in enumerate(supported)]}))


def test_faithfulness_is_the_share_of_supported_claims(fake_openai, store_settings, eval_service):
    answer = eval_service.ask(QUESTION.question)
    fake_openai.script(claims(True, True, False), Reply.text('```json\n{"verdict": "partial", "reason": "x"}\n```'))
    scores = LLMJudge(judge_settings(store_settings, fake_openai))(QUESTION, answer)
    assert scores == {"faithfulness": 0.6667, "correctness": 0.5}
    faith_prompt = fake_openai.requests[0]["messages"][-1]["content"]
    assert answer.citations and all(c.quote in faith_prompt for c in answer.citations)
    assert "Cirka 30 minutter." in fake_openai.requests[1]["messages"][-1]["content"]


def test_judge_failures_leave_scores_empty(fake_openai, store_settings, eval_service):
    answer = eval_service.ask(QUESTION.question)
    fake_openai.script(Reply.garbage(), Reply.error(500))
    judge = LLMJudge(judge_settings(store_settings, fake_openai))
    assert judge(QUESTION, answer) == {"faithfulness": None, "correctness": None}
    assert judge.failures == 2


def test_eval_run_with_judge_reports_the_means(fake_openai, store_settings, eval_service, tmp_path):
    other = QUESTION.model_copy(update={"id": "k", "question": "Who came up with the New Synthesis framework?",
                                        "lang": "en", "evidence": ["Jocelyne Bourgon er ophavskvinde"],
                                        "must_mention": ["bourgon"], "gold_answer": "Jocelyne Bourgon"})
    path = tmp_path / "q.jsonl"
    path.write_text(QUESTION.model_dump_json() + "\n" + other.model_dump_json() + "\n", encoding="utf-8")
    replies = [(claims(True, True), Reply.text('{"verdict": "correct"}'), 1.0, 1.0),
               (claims(True, False), Reply.text('{"verdict": "incorrect"}'), 0.5, 0.0)]
    # only answered (not refused) questions are judged; script one reply pair per answered question, in order
    answered = [q for q in (QUESTION, other) if not eval_service.ask(q.question).refused]
    assert answered, "the engine refused both answerable questions"
    for faith, verdict, _, _ in replies[:len(answered)]:
        fake_openai.script(faith, verdict)
    used = replies[:len(answered)]
    summary = evaluate(store_settings, path, tmp_path / "run", baseline=None, progress=False, service=eval_service,
                       judge_settings=judge_settings(store_settings, fake_openai))
    assert summary["run"]["judge"] is True and summary["run"]["judge_failures"] == 0
    assert summary["metrics"]["all"]["faithfulness"] == sum(u[2] for u in used) / len(used)
    assert summary["metrics"]["all"]["correctness"] == sum(u[3] for u in used) / len(used)
    assert len(fake_openai.requests) == 2 * len(answered)
    assert "## LLM judge" in (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
