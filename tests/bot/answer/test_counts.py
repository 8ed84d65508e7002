"""Count questions: the total and its parts, on the real store (bot/answer/counts.py)."""
from __future__ import annotations

import pytest

from bot.answer.counts import quantities
from bot.question.parse import counted_terms
from bot.service import AnswerService
from bot.question.terms import stem


@pytest.fixture(scope="module")
def service(store_settings) -> AnswerService:
    return AnswerService(store_settings)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_quantities_read_number_and_noun_but_not_years_or_bare_numbers():
    found = quantities("baserer sig på samtaler med 24 \nudvalgte topledere (niveau 1 og 2) i 2019, to af dem")
    assert [(q.value, q.words[-1]) for q in found] == [(24, stem("topledere"))]
    assert [q.value for q in quantities("interviewet fem regionale topledere")] == [5]


def test_counted_terms_stop_at_the_verb_or_function_word():
    assert counted_terms("Hvor mange regionale topledere blev interviewet?") == (stem("regionale"), stem("topledere"))
    assert counted_terms("Hvor mange af de interviewede kommer fra kommunerne?") == ()
    assert counted_terms("Hvad er radikal innovation?") == ()


@pytest.mark.parametrize("question", [
    "Hvor mange topledere blev interviewet?",
    "Hvor mange topledere har de talt med?",  # "talt" is a verb here, not "tal" (a number)
    "Hvor mange ledere blev interviewet?",
    "How many leaders were interviewed?",
])
def test_a_count_of_the_whole_cites_the_total_first_then_parts(service, question):
    answer = service.ask(question)
    assert not answer.refused
    assert "24 udvalgte topledere" in _flat(answer.citations[0].quote)
    assert "24 udvalgte topledere" in answer.answer.split("\n")[0]
    assert any("kommunale topledere" in _flat(c.quote) for c in answer.citations[1:])


@pytest.mark.parametrize("question, part", [
    ("Hvor mange regionale topledere deltog?", "fem regionale topledere"),
    ("Hvor mange af de interviewede kommer fra kommunerne?", "14 kommunale topledere"),
    ("How many municipal leaders were interviewed?", "14 kommunale topledere"),
])
def test_a_count_of_a_part_cites_that_part_first(service, question, part):
    answer = service.ask(question)
    assert not answer.refused
    assert part in _flat(answer.citations[0].quote)


def test_a_count_the_report_does_not_hold_is_still_refused(service):
    assert service.ask("Hvor mange ansatte har Rigspolitiet?").refused


def test_a_count_answer_does_not_depend_on_the_hash_seed(built_store):
    # Two nouns counted equally often in one sentence tie; the tie once fell to a set's order, which is
    # str-hash order, so the same question got other quotes from run to run (and training, other models).
    # Seeds 0 and 2 gave two different answers to this question before the fix.
    import json
    import subprocess

    from eval.bench.processes import CLI, PROJECT_ROOT, bench_env

    question = ("One local council boss gave figures for how much staff had been cut over the years. "
                "What were the numbers?")
    answers = [subprocess.run(CLI + ["ask", "--json", question], env=bench_env(built_store, PYTHONHASHSEED=seed),
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
               for seed in ("0", "2")]
    assert all(a.returncode == 0 for a in answers), [a.stderr[-500:] for a in answers]
    first, second = (json.loads(a.stdout) for a in answers)
    first.pop("timings_ms"), second.pop("timings_ms")
    assert first == second
    assert any("78 til 64" in c["quote"] for c in first["citations"])
