"""The hand refusal rules on the real store (RAPPORTBOT_SCORER=rules; in the default learned engine they are
features of the refusal classifier, tested in test_learned.py): out-of-scope questions and near misses are
refused with nearest passages; in-scope questions are not; greetings get a short reply."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.question.asks import asking_clause, given_words, holds, what_is_asked
from bot.llm.prompts import refusal_phrase
from bot.service import AnswerService

HERE = Path(__file__).parent


def _lines(name: str) -> list[str]:
    return [line.strip() for line in (HERE / name).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def service(store_settings) -> AnswerService:
    from ingest.settings import AnswerSettings

    return AnswerService(store_settings.model_copy(update={"answer": AnswerSettings(scorer="rules")}))


def test_what_is_asked():
    assert what_is_asked("Hvor mange topledere blev interviewet?").kind == "count"
    assert what_is_asked("Hvor mange penge bruger kommunerne på innovation?").kind == "amount"
    assert what_is_asked("How much does the state spend on innovation?").kind == "amount"
    assert what_is_asked("Hvornår blev interviewene gennemført?").kind == "date"
    assert what_is_asked("Hvor mange procent af kommunerne har en strategi?").kind == "percent"
    six = what_is_asked("Hvilke seks opmærksomhedspunkter fremhæver rapporten?")
    assert six.is_list and six.list_size == 6 and six.kind is None
    assert what_is_asked("Hvad siger rapporten om klima?").kind is None
    assert holds("count", "samtaler med 24 udvalgte topledere") and not holds("count", "CO2-neutralitet i 2030")
    assert holds("amount", "vi skal finde 20 mio. hvert år") and not holds("amount", "mange penge")


def test_a_money_word_asks_for_an_amount_only_as_what_is_asked():
    # Asked for: the money noun is what the question wants ("what was the budget ...").
    for question in ["What was the total budget of the free municipality experiment?", "Hvad kostede analysen?",
                     "What did the analysis cost?", "Hvad var budgettet for frikommuneforsøget?",
                     "How big is the innovation budget?", "Hvad er prisen på en robotplæneklipper?"]:
        assert what_is_asked(question).kind == "amount", question
    # A topic: the question asks what was said about it.
    for question in ["What did a state leader complain about regarding the ministries' development funding?",
                     "Hvad siger toplederne om budgetter til innovation?", "What do the leaders say about funding?",
                     "Hvad anbefaler Jocelyne Bourgon konkret om danske kommuners budgetter?"]:
        assert what_is_asked(question).kind is None, question


def test_a_name_asked_for_is_not_one_the_question_gives():
    question = "Hvad hedder direktøren for Center for Offentlig Innovation?"
    assert what_is_asked(question).kind == "name"
    assert not holds("name", "Han har bedt Center for Offentlig Innovation om det.", given_words(question))
    assert holds("name", "Direktør for Center for Offentlig Innovation er Lene Krogh.", given_words(question))
    assert holds("name", "• Lars Hindkjær, direktør, Miljøstyrelsen", given_words("Hvem talte de med fra Miljøstyrelsen?"))


def test_a_danish_article_is_not_a_count():
    assert not holds("count", "Det er en stor opgave for et helt system.")
    assert holds("count", "Blot én af de topledere, vi har kontaktet, har takket nej")
    assert not holds("count", "så borgerservice nu har åbent mellem kl. 17-22.")  # a clock time counts nothing
    assert not holds("count", "mål om CO2-neutralitet i 2030")  # nor does a year


def test_ages_years_and_budgets_behind_a_copula():
    assert what_is_asked("Hvor gammel er Jocelyne Bourgon?").kind == "age"
    assert holds("age", "Hun er 63 år og bor i Ottawa") and not holds("age", "fire indbyrdes forbundne dimensioner")
    assert what_is_asked("Hvilke år var hun topembedsmand?").kind == "date"
    assert what_is_asked("What is Region Nordjylland's annual innovation budget?").kind == "amount"
    assert what_is_asked("Hvad er toplederes holdning til budgettet?").kind is None  # a view on it: a topic


def test_how_much_asks_for_money_only_with_a_money_word():
    assert what_is_asked("How much has one municipality cut its staffing per 1,000 inhabitants?").kind == "count"
    assert what_is_asked("How much money did the analysis cost?").kind == "amount"
    assert what_is_asked("How much do the municipalities spend on drones?").kind == "amount"


def test_who_asks_for_a_person_or_a_group_not_only_a_name():
    # "Who do the leaders blame ...?" is answered by "politikerne", which is no name.
    assert what_is_asked("Who do the leaders blame for the focus on control?").kind == "person"
    assert what_is_asked("Hvem har lavet analysen?").kind == "person"
    assert what_is_asked("Hvad hedder direktøren?").kind == "name"


def test_the_clause_that_asks_is_the_one_checked():
    question = "Hvornår blev arbejdet sat i gang, og var det fra start meningen at det skulle offentliggøres?"
    assert asking_clause(question, "date") == "Hvornår blev arbejdet sat i gang"
    assert asking_clause("Hvornår blev interviewene lavet?", "date") == "Hvornår blev interviewene lavet?"


def _assert_refused(answer, language: str) -> None:
    assert answer.refused
    assert answer.answer.startswith(refusal_phrase(language))
    assert all(c.nearest for c in answer.citations)


@pytest.mark.parametrize("question", [q for q in _lines("out_of_scope.txt")
                                      if not q.startswith("What is the boiling")])
def test_clearly_out_of_scope_questions_are_refused(service, question):
    answer = service.ask(question)
    _assert_refused(answer, answer.language)


def test_english_out_of_scope_known_limit(service):
    """Everyday English questions share no words with the Danish text and can reach e5 cosines like real
    questions: over all clearly out-of-scope questions at most one gets through ("What is the boiling point
    of water?": "point" is a Danish word too; a documented limit of the extractive mode; the LLM path refuses
    them)."""
    missed = [q for q in _lines("out_of_scope.txt") if not service.ask(q).refused]
    assert len(missed) <= 1, missed


@pytest.mark.parametrize("question", [
    "How do I bake sourdough bread?", "How tall is the Eiffel Tower?", "How do I reset my password?",
    "What are the symptoms of diabetes?", "How do I file my tax return?",
])
def test_english_questions_without_a_danish_relative_are_refused(service, question):
    """Neither close nor clearly peaked, and no subject word has a relative among the report's words."""
    answer = service.ask(question)
    _assert_refused(answer, "en")


def test_cognates_bridge_english_to_the_report(service):
    from bot.question.cognates import Vocabulary, cognate_evidence

    vocabulary = Vocabulary.of(service.store)
    for english in ("technology", "bureaucratic", "drones", "culture", "intelligence", "experiment"):
        assert vocabulary.cognate(english) >= 0.75, english  # teknologi, bureaukrati, droner, kultur, ...
    for english in ("sourdough", "password", "photosynthesis", "eiffel", "diabetes"):
        assert vocabulary.cognate(english) < 0.6, english
    assert cognate_evidence(service.store, "tall eiffel tower") < 0.75
    assert cognate_evidence(service.store, "day to day") is None  # no word long enough to judge


@pytest.mark.parametrize("question", [
    # Flatter than most, but in the report's own terms (kultur, eksperiment, design).
    "Is the zero-error culture still a problem?",
    "What do the leaders think of the free municipality experiment?",
    "Do the leaders use design methods?",
])
def test_flatter_english_questions_in_the_reports_terms_are_answered(service, question):
    answer = service.ask(question)
    assert not answer.refused and answer.citations


def test_near_misses_are_mostly_refused(service):
    """Questions in the report's own words that it does not answer (tests/bot/near_misses.txt)."""
    questions = _lines("near_misses.txt")
    assert len(questions) >= 20
    answers = {q: service.ask(q) for q in questions}
    refused = [q for q, a in answers.items() if a.refused]
    assert len(refused) / len(questions) >= 0.7, [q for q in questions if q not in refused]
    danish = [q for q in questions if answers[q].language == "da"]
    assert sum(answers[q].refused for q in danish) / len(danish) >= 0.8
    # The example from the issue: the report holds no figure for what municipalities spend on innovation.
    _assert_refused(answers["Hvor mange penge bruger kommunerne på innovation?"], "da")


def test_refusal_offers_the_nearest_passages(service):
    answer = service.ask("Hvor meget kostede analysen at lave?")
    _assert_refused(answer, "da")
    assert answer.citations and all(c.nearest for c in answer.citations)
    for c in answer.citations:
        assert service.store.documents[c.doc_id].clean_text[c.start:c.start + len(c.quote)] == c.quote


@pytest.mark.parametrize("question", [
    "Hvad er radikal innovation?", "Hvad er den nye syntese?", "Hvorfor er risikovilligheden lav i den offentlige sektor?",
    "Hvad siger toplederne om klimadagsordenen?", "Hvad mener toplederne om frikommuneforsøget?",
    "Hvorfor er det svært at stoppe med det gamle?", "Hvor mange topledere blev interviewet?",
    "What do the leaders say about the climate agenda?", "What is radical innovation?",
    "Why is it hard for public organisations to stop doing old things?",
    "What do the top leaders say about technology and digitalisation?", "How many leaders were interviewed?",
])
def test_in_scope_questions_are_answered(service, question):
    answer = service.ask(question)
    assert not answer.refused, answer.answer
    assert answer.citations and not any(c.nearest for c in answer.citations)


@pytest.mark.parametrize("question, language", [
    ("hej", "da"), ("Hej!", "da"), ("hello", "en"), ("hvad kan du?", "da"), ("What can you do?", "en"),
    ("tak", "da"), ("thanks", "en"), ("Hvem er du?", "da"),
])
def test_greetings_get_a_short_reply_about_the_report(service, question, language):
    answer = service.ask(question)
    assert not answer.refused and answer.mode == "extractive" and not answer.citations
    assert answer.language == language
    assert "innovationsdagsorden" in answer.answer


def test_pay_and_clock_time_kinds():
    assert what_is_asked("Hvor meget tjener en kommunaldirektør om året?").kind == "amount"
    assert what_is_asked("Hvad er lønnen for en kommunaldirektør?").kind == "amount"
    assert what_is_asked("Hvad siger de om løn og arbejdsvilkår?").kind is None  # a topic, not an amount
    assert holds("date", "så borgerservice nu har åbent mellem kl. 17-22")


@pytest.mark.parametrize("question", [
    "Hvor meget tjener en kommunaldirektør om året?",  # pay: no amount near it in the report
    "How much did the municipalities spend on robot lawnmowers?",  # lawnmowers are there, their cost is not
    "What do the top leaders think about the weather in Copenhagen tomorrow?",  # the frame lifts it, not the subject
    "Write me a poem about spring.",
    "Skriv et digt om innovation.",  # a request to write, even about the report's own topic
    "Hvor gammel er Jocelyne Bourgon?",  # she is named, her age is not given
    "On what date does the new climate law take effect, according to the report?",  # no date near the law
])
def test_near_misses_and_tasks_are_refused(service, question):
    answer = service.ask(question)
    _assert_refused(answer, answer.language)


def test_a_heading_alone_or_a_bare_address_is_not_the_answer(service):
    # "Bag om analysen" is a chunk of its own (a heading); "http://www.coi.dk" a line of its own.
    for question in ["How much did the analysis cost?", "Hvad kostede analysen?", "Hvad er COI?"]:
        answer = service.ask(question)
        quotes = [c.quote.strip() for c in answer.citations]
        assert "Bag om analysen" not in quotes, (question, quotes)
        assert "http://www.coi.dk" not in quotes[:1], (question, quotes)
    # Nor is a "#N" heading inside a chunk a quote on its own.
    answer = service.ask("Who do the leaders blame for the current focus on control and compliance?")
    headings = {part.strip() for c in answer.citations for part in c.section.split(" > ")}
    assert not [c.quote for c in answer.citations if " ".join(c.quote.split()) in headings]
    # A figure's source line credits the figure; it is no answer to who made the analysis.
    answer = service.ask("Who commissioned this analysis and who actually carried it out?")
    assert not answer.citations[0].quote.startswith("Kilde:"), answer.citations[0].quote


@pytest.mark.parametrize("question", [
    # Money as a topic, not as what is asked for (they were refused for want of an amount).
    "What do the leaders say about funding for innovation?",
    "What does a leader say about the price weighting in tenders?",
    "What did a leader say about ministries' development funding?",
    # Their subject alone meets a flatter field than the whole question, but has Danish relatives in the report
    # ("risk"/"risiko", "expert"/"eksperter", "ministries"/"ministerierne").
    "Which scandal do leaders point to as a reason for low appetite for risk?",
    "Which expert did a municipal director gather all managers to hear about sustainability?",
    "What did a state leader complain about regarding the ministries' development funding?",
    # Many-part questions: the date or the person is asked of one clause.
    "Hvornår blev arbejdet sat i gang, og var det fra start meningen at det skulle offentliggøres?",
    "Who do the leaders blame for the current focus on control and compliance?",
    # No English word has a Danish look-alike, but "1,000" is printed as "1.000" in the answer.
    "How much has one municipality cut its staffing per 1,000 inhabitants over the last decade?",
    # Short English questions score low against the report as a whole; they are still answered.
    "Which four dimensions does the New Synthesis have?",
    "What are drones used for by a municipality?",
    "When is the digital hotline open?",
    # Narrative that reports the named leaders counts as what they said.
    "Hvad forventer de kommunale topledere af den nye hovedlov?",
])
def test_questions_easily_refused_for_the_wrong_reason_are_answered(service, question):
    answer = service.ask(question)
    assert not answer.refused, answer.answer
    assert answer.citations and not any(c.nearest for c in answer.citations)


@pytest.mark.parametrize("question", ["?", "* * *", "$(rm -rf /)", "Hvad er det?"])
def test_a_question_without_a_subject_is_refused(service, question: str) -> None:
    answer = service.ask(question)
    assert answer.refused, (question, answer.answer)


def test_numbers_are_compared_as_digits_and_years_do_not_count():
    from bot.question.parse import numbers_of

    assert numbers_of("per 1,000 inhabitants, 24 leaders, 1,5 pct. in 2019") == {"1000", "24", "15"}
    assert numbers_of("How many staff per 1,000 inhabitants?") & numbers_of("64 medarbejdere per 1.000 indbyggere")
    assert not numbers_of("Who won the World Cup in 2018?") & numbers_of("i 2018 og 2019")
