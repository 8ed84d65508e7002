"""Questions about the report as a whole get its purpose and method, quoted, in the asker's language."""
import pytest

from bot.question.overview import is_about_the_report
from bot.service import AnswerService


@pytest.fixture(scope="module")
def service(store_settings) -> AnswerService:
    return AnswerService(store_settings)


@pytest.mark.parametrize("question", ["Hvad handler rapporten om?", "Hvad går analysen ud på?",
                                      "Hvad er formålet med undersøgelsen?", "Kan du opsummere rapporten?",
                                      "What is the report about?", "What's the purpose of this study?",
                                      "Summarize the report"])
def test_recognises_questions_about_the_whole_report(question: str) -> None:
    assert is_about_the_report(question)


@pytest.mark.parametrize("question", ["Hvad handler #3 om?", "Hvad siger rapporten om klima?",
                                      "What does the report say about drones?", "Hvor mange topledere blev interviewet?"])
def test_leaves_questions_with_their_own_subject_alone(question: str) -> None:
    assert not is_about_the_report(question)


@pytest.mark.parametrize("question, language", [("Hvad handler rapporten om?", "da"),
                                                ("What is the report about?", "en")])
def test_a_question_about_the_report_is_answered_from_its_purpose_and_method(service, question, language) -> None:
    answer = service.ask(question)
    assert not answer.refused and answer.language == language
    quotes = " ".join(c.quote for c in answer.citations)
    assert "innovationsdagsorden" in quotes or "topledere" in quotes, quotes
