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


def test_a_quote_that_is_the_lead_is_not_printed_twice() -> None:
    one = _citation("Alle interviews er gennemført i perioden fra 8. november til 9. december 2019.")
    two = _citation("De fleste interviews er gennemført telefonisk.").model_copy(update={"n": 2})
    text = compose_answer("da", [one, two])
    assert text.count("8. november til 9. december 2019") == 1
    assert text.splitlines()[0].endswith("[1]") and "[2] “De fleste interviews er gennemført telefonisk.”" in text
    longer = _citation("Alle interviews er gennemført i perioden fra 8. november til 9. december 2019. De fleste "
                       "interviews er gennemført telefonisk.")
    assert "[1] “" in compose_answer("da", [longer])  # the quote says more than its lead: shown in full


def test_a_list_lead_says_what_is_listed() -> None:
    from bot.answer.compose import compose_list

    items = [Citation(n=i, quote=f"#{i} Punkt {i}", section=f"Smertensbørn og lyspunkter > #{i} Punkt {i}", page=12,
                      chunk_id=f"c{i}", text="") for i in range(1, 4)]
    assert compose_list("da", items).splitlines()[0] == "Rapporten nævner 3 under «Smertensbørn og lyspunkter»:"
    assert compose_list("en", items).splitlines()[0].startswith("The report lists 3 under “Smertensbørn og lyspunkter”")


def _span(text: str, start_at: str):
    from bot.answer.spans import Span
    from ingest.types import Chunk

    # The chunker's sentences: the heading line is a sentence of its own.
    starts = [0, text.index("Klimaet"), text.index("Det er også"), text.index("Den strategiske")]
    ends = [text.index("\n"), text.index(" Det er også"), text.index(" Den strategiske"), len(text)]
    chunk = Chunk(id="c", doc_id="d", text=text, start=0, end=len(text), section="Klima > Grøn omstilling",
                  section_title="Grøn omstilling", sentences=list(zip(starts, ends)))
    start = text.index(start_at)
    end = next(e for s, e in chunk.sentences if s == start)
    return Span(chunk=chunk, start=start, end=end, score=1.0, vector=None)


def test_a_quote_starts_one_sentence_earlier_when_it_leans_on_it_and_never_with_a_heading() -> None:
    from bot.answer.spans import readable

    text = ("Grøn omstilling\nKlimaet fylder meget hos toplederne. Det er også den dagsorden, der kalder mest på "
            "radikal innovation. Den strategiske dagsorden er klima.")
    leaning = readable(_span(text, "Det er også"))
    assert leaning.text.startswith("Klimaet fylder meget") and leaning.text.endswith("radikal innovation.")
    plain = _span(text, "Den strategiske")  # "Den" is an article here, not a reference back
    assert readable(plain) is plain
    headed = _span(text, "Grøn omstilling")
    headed.end = text.index(" Det er også")
    assert readable(headed).text == "Klimaet fylder meget hos toplederne."
