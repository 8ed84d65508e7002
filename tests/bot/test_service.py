"""AnswerService on the real store: validation, timings, follow-ups, streaming, concurrency, store reload and
the LLM route with its fallback (against the local fake OpenAI-compatible server)."""
from __future__ import annotations

import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from tests.bot.fake_openai import FakeOpenAI, Reply

from bot.service import AnswerService, clean_question
from bot.types import Answer
from ingest.errors import InputError
from ingest.settings import LLMSettings


@pytest.fixture(scope="module")
def service(store_settings) -> AnswerService:
    return AnswerService(store_settings)


@pytest.mark.parametrize("bad", ["", "   ", "\n\t", "\x00\x01", None])
def test_empty_questions_are_refused_with_a_message(service, bad):
    with pytest.raises(InputError, match="Skriv et spørgsmål"):
        service.ask(bad)


def test_too_long_questions_are_refused(service):
    with pytest.raises(InputError, match="for langt"):
        service.ask("innovation " * (service.settings.server.max_question_chars // 5))


def test_control_characters_are_stripped():
    assert clean_question("Hvad er\x00 radikal\x1b innovation?\u202e", 100) == "Hvad er radikal innovation?"


def test_answer_carries_timings_and_retrieved(service):
    answer = service.ask("Hvad er radikal innovation?", id="q1")
    assert answer.id == "q1" and answer.question == "Hvad er radikal innovation?"
    assert answer.mode == "extractive" and answer.language == "da"
    assert 0 < answer.timings_ms.retrieve <= answer.timings_ms.total
    assert 0 < answer.timings_ms.answer <= answer.timings_ms.total
    # `retrieved` is what an LLM would read: whole chunks, best first, within RAPPORTBOT_LLM_CONTEXT_CHARS.
    assert len(answer.retrieved) >= 2
    assert sum(len(r.text) for r in answer.retrieved) <= service.settings.llm.context_chars
    assert all(r.text and r.chunk_id for r in answer.retrieved)
    assert Answer.model_validate(json.loads(answer.model_dump_json())) == answer


def _by_or_about(citations, speaker: str, group: str) -> bool:
    """Every citation is the speaker's quote or narrative reporting that group; at least one is a quote."""
    return (all(c.speaker == speaker or group in " ".join(c.quote.lower().split()) for c in citations)
            and any(c.speaker == speaker for c in citations))


def test_followup_switches_the_speaker(service):
    history = [{"role": "user", "content": "Hvad sagde de kommunale topledere om risikovillighed?"},
               {"role": "assistant", "content": "..."}]
    first = service.ask(history[0]["content"])
    assert first.citations and _by_or_about(first.citations, "Kommunal topleder", "kommunal")
    followup = service.ask("og hvad med de statslige?", history=history)
    assert not followup.refused
    assert followup.citations and _by_or_about(followup.citations, "Statslig topleder", "statslig")


def test_followup_keeps_the_topic(service):
    history = [{"role": "user", "content": "Hvad siger toplederne om frikommuneforsøget?"},
               {"role": "assistant", "content": "..."}]
    answer = service.ask("uddyb det", history=history)
    assert not answer.refused
    assert any("frikommune" in c.quote.lower() or "frikommune" in c.text.lower() for c in answer.citations)
    english = service.ask("and why?", history=history)
    assert english.language == "en" and not english.refused


def test_extractive_stream_yields_the_final_answer_at_once(service):
    items = list(service.stream("Hvad er den nye syntese?"))
    assert len(items) == 1 and isinstance(items[0], Answer) and not items[0].refused


def test_concurrent_questions_get_the_same_answers(service):
    questions = ["Hvad er radikal innovation?", "What is the new synthesis?", "Hvor mange topledere blev interviewet?",
                 "Hvad sagde de regionale topledere om innovation?"] * 3
    expected = {q: service.ask(q).answer for q in set(questions)}
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(service.ask, questions))
    assert [a.answer for a in answers] == [expected[q] for q in questions]


def test_store_is_reopened_when_a_new_build_is_swapped_in(built_store, store_settings, tmp_path):
    root = tmp_path / "store"
    shutil.copytree(built_store, root)
    settings = store_settings.model_copy(deep=True)
    settings.store.path = root
    service = AnswerService(settings)
    before = service.store.version
    pointer = json.loads((root / "CURRENT").read_text())
    shutil.copytree(root / "builds" / pointer["build"], root / "builds" / "rebuilt")
    manifest_path = root / "builds" / "rebuilt" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["build"] = "rebuilt"
    manifest_path.write_text(json.dumps(manifest))
    (root / "CURRENT").write_text(json.dumps({"build": "rebuilt", "previous": pointer["build"]}))
    time.sleep(1.1)
    answer = service.ask("Hvad er radikal innovation?")
    assert service.store.version == "rebuilt" != before
    assert not answer.refused and answer.citations


def _llm_service(store_settings, server: FakeOpenAI, timeout_s: float = 3.0) -> AnswerService:
    settings = store_settings.model_copy(deep=True)
    settings.llm = LLMSettings(provider="openai", base_url=server.base_url, model="fake-model", timeout_s=timeout_s)
    return AnswerService(settings)


QUOTE = "Hverdagsinnovation er blevet normalt, vil jeg sige."


def test_llm_answer_is_used_when_the_model_quotes_the_report(store_settings, fake_openai):
    service = _llm_service(store_settings, fake_openai)
    fake_openai.script(Reply.text(f'Det er blevet normalt [1].\nQUOTES:\n[1] "{QUOTE}"'))
    answer = service.ask("Hvad sagde en regional topleder om hverdagsinnovation?")
    assert answer.mode == "llm" and not answer.refused and answer.notice is None
    assert any(QUOTE in " ".join(c.quote.split()) for c in answer.citations)
    assert answer.retrieved and answer.timings_ms.total > 0


@pytest.mark.parametrize("reply", [Reply.error(500), Reply.garbage(), Reply.hang(5)])
def test_llm_failure_gives_the_extractive_answer_with_a_notice(store_settings, fake_openai, reply):
    service = _llm_service(store_settings, fake_openai, timeout_s=1.0)
    fake_openai.script(reply)
    answer = service.ask("Hvad er radikal innovation?")
    assert answer.mode == "extractive" and not answer.refused and answer.citations
    assert answer.notice and answer.notice.startswith("Sprogmodellen svarede ikke; her er svaret som citater")


def test_llm_stream_yields_text_then_the_final_answer(store_settings, fake_openai):
    service = _llm_service(store_settings, fake_openai)
    fake_openai.script(Reply.text(f'Det er blevet normalt [1].\nQUOTES:\n[1] "{QUOTE}"', chunk_chars=5))
    items = list(service.stream("Hvad sagde en regional topleder om hverdagsinnovation?"))
    assert isinstance(items[-1], Answer) and items[-1].mode == "llm"
    assert all(isinstance(i, str) for i in items[:-1]) and len(items) > 2


@pytest.mark.parametrize("question", [
    "Who won the football World Cup in 2018?",  # nothing in the report is close
    "Skriv et digt om foråret.",  # a writing request
    "Hvad er det?",  # no subject
])
def test_hard_refusals_do_not_reach_the_llm(store_settings, fake_openai, question):
    service = _llm_service(store_settings, fake_openai)
    answer = service.ask(question)
    assert answer.refused and not fake_openai.requests


# Refused by the extractive engine on weak evidence (the refusal classifier's doubt), though the report speaks of it.
SOFT = "What are drones used for by a municipality?"


def test_a_refusal_on_weak_evidence_gets_the_llm_s_second_opinion(store_settings, fake_openai):
    extractive = AnswerService(store_settings).ask(SOFT)
    assert extractive.refused and extractive.citations  # the premise: the checks refuse it
    # A passage the model is shown (an interview quote's own marks and attribution left out: the model quotes words).
    quote = " ".join(extractive.citations[0].quote.split()).strip("“”\"")[:120]
    service = _llm_service(store_settings, fake_openai)
    fake_openai.script(Reply.text(f'They describe hiding behind busyness [1].\nQUOTES:\n[1] "{quote}"'))
    answer = service.ask(SOFT)
    assert len(fake_openai.requests) == 1
    assert answer.mode == "llm" and not answer.refused and not any(c.nearest for c in answer.citations)
    assert quote in " ".join(answer.citations[0].quote.split())


def test_the_llm_may_confirm_the_refusal_and_its_failure_leaves_it(store_settings, fake_openai):
    service = _llm_service(store_settings, fake_openai, timeout_s=1.0)
    fake_openai.script(Reply.text("The report does not say."), Reply.error(500))
    confirmed = service.ask(SOFT)
    assert confirmed.refused and confirmed.mode == "llm" and all(c.nearest for c in confirmed.citations)
    failed = service.ask(SOFT)
    assert failed.refused and failed.mode == "extractive" and failed.notice is None
    assert len(fake_openai.requests) == 2


def test_second_opinion_can_be_switched_off(store_settings, fake_openai):
    service = _llm_service(store_settings, fake_openai)
    service.settings.llm.second_opinion = False
    assert service.ask(SOFT).refused and not fake_openai.requests
