"""The lead line restates the top quote's opening sentence without cutting it at an abbreviation or a date."""
from bot.answer.compose import compose_answer
from bot.types import Citation


def _citation(quote: str) -> Citation:
    return Citation(n=1, quote=quote, section="Bag om analysen > Sådan er analysen lavet", page=7,
                    chunk_id="c1", text=quote)


def test_lead_keeps_a_date_inside_its_sentence() -> None:
    quote = ("Alle interviews er gennemført i perioden fra 8.\nnovember til 9. december 2019. De fleste\n"
             "interviews er gennemført telefonisk, mens enkelte er gennemført på den pågældende topleders kontor.")
    lead = compose_answer("da", [_citation(quote)]).splitlines()[0]
    assert lead == "Ifølge rapporten: Alle interviews er gennemført i perioden fra 8. november til 9. december 2019. [1]"


def test_lead_keeps_abbreviations_and_is_in_the_question_language() -> None:
    quote = "Det indebærer bl.a. et styrket samarbejde med borgere, virksomheder og civilsamfund. Mere tekst."
    lead = compose_answer("en", [_citation(quote)]).splitlines()[0]
    assert lead.startswith("According to the report")
    assert "bl.a. et styrket samarbejde med borgere, virksomheder og civilsamfund." in lead
    assert "Mere tekst" not in lead


def test_an_interview_quote_keeps_its_own_quote_marks_once() -> None:
    from bot.answer.compose import in_quote_marks

    assert in_quote_marks("“Det fylder SLET ikke på direktionsniveau.”") == "“Det fylder SLET ikke på direktionsniveau.”"
    assert in_quote_marks("Radikal innovation kræver ledelse.") == "“Radikal innovation kræver ledelse.”"
