"""Rendering answers: everything from a question, an answer or the report is escaped; Markdown for /v1 and memos."""
from __future__ import annotations

from bot.types import Answer, Citation
from bot.web.reader import ReportReader
from bot.web.render import answer_html, answer_markdown, memo_markdown, question_html
from ingest.types import Section

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">[x](javascript:alert(3))'


def _answer(text: str = "Der blev interviewet 24 topledere [1].", quote: str = "samtaler med 24 udvalgte topledere",
            chunk: str = "Analysen baserer sig på samtaler med 24 udvalgte topledere i stat og regioner.") -> Answer:
    return Answer(question="Hvor mange?", language="da", mode="extractive", refused=False, answer=text,
                  citations=[Citation(n=1, quote=quote, section="Bag om analysen > Sådan er analysen lavet",
                                      page=4, speaker="Kommunal topleder", chunk_id="c1", text=chunk)])


def test_answer_html_numbers_citations_and_marks_the_quote_in_its_passage():
    html = answer_html(_answer(), turn=0)
    assert '<sup class="rb-ref">[1]</sup>' in html
    assert "<mark>samtaler med 24 udvalgte topledere</mark>" in html
    assert "Sådan er analysen lavet, s. 4, Kommunal topleder" in html
    assert 'href="#rb-open-0-1"' in html
    assert "\n\n" not in html  # one HTML block: Markdown never re-reads the text inside


def test_hostile_text_is_escaped_everywhere():
    answer = _answer(text=HOSTILE, quote=HOSTILE, chunk=f"før {HOSTILE} efter")
    for html in (answer_html(answer, 0), question_html(HOSTILE)):
        assert "<script>" not in html and "<img" not in html
        assert "&lt;script&gt;" in html and "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html


def test_markdown_writes_the_citations_out():
    md = answer_markdown(_answer())
    assert md.startswith("Der blev interviewet 24 topledere [1].")
    assert "[1] “samtaler med 24 udvalgte topledere” — Sådan er analysen lavet, s. 4, Kommunal topleder" in md
    memo = memo_markdown(_answer(), "Analyse af offentlige toplederes innovationsdagsorden, COI, 2020")
    assert memo.startswith("**Spørgsmål:** Hvor mange?") and memo.rstrip().endswith("COI, 2020")


def test_english_answers_say_p_for_page():
    answer = _answer().model_copy(update={"language": "en"})
    assert ", p. 4," in answer_markdown(answer)


def test_reader_marks_the_span_and_anchors_every_section():
    text = "Indledning\n\nTekst om <b>ledere</b>.\n\nKapitel 2\n\nHer står 24 topledere.\n\nSlut."
    sections = [Section("Indledning", ("Indledning",), 0, 30, 1),
                Section("Kapitel 2", ("Kapitel 2",), text.index("Kapitel 2"), len(text), 1)]
    reader = ReportReader("doc", "Rapport", text, sections)
    start, end = reader.locate("24 topledere")
    html = reader.render(start, end, caption="Citat [1]")
    assert '<mark class="rb-hl" id="rb-hl">24 topledere</mark>' in html
    assert 'id="rb-sec-0"' in html and 'id="rb-sec-1"' in html and 'href="#rb-sec-1"' in html
    assert "<h2 class=\"rb-h\">Kapitel 2</h2>" in html
    assert "&lt;b&gt;ledere&lt;/b&gt;" in html and "<b>" not in html
    assert reader.locate("findes ikke") is None


def test_lines_that_only_repeat_a_citation_are_not_shown_twice():
    answer = _answer(text="Ifølge rapporten: 24 topledere [1].\n\n[1] “samtaler med 24 udvalgte topledere”\n[7] “no such”")
    md = answer_markdown(answer)
    assert md.count("samtaler med 24 udvalgte topledere") == 1
    assert "[7] “no such”" in md  # not a citation of this answer: kept
    assert answer_html(answer).count("samtaler med 24 udvalgte topledere") == 2  # summary + marked passage


def test_reader_shows_a_heading_that_opens_its_paragraph_as_a_heading():
    # PDF text often runs a heading straight into its first paragraph, with no blank line between.
    text = "Bag om analysen\nSådan er analysen lavet\nAnalysen baserer sig på samtaler med 24 topledere.\n\nMere tekst."
    body_start = text.index("Analysen baserer")
    heading = (text.index("Sådan"), body_start - 1)
    sections = [Section("Sådan er analysen lavet", ("Bag om analysen", "Sådan er analysen lavet"),
                        heading[0], len(text), 2, heading)]
    reader = ReportReader("doc", "Rapporten", text, sections)
    html = reader.render(body_start, body_start + 20)
    assert '<h3 class="rb-h">Sådan er analysen lavet</h3>' in html
    assert '<mark class="rb-hl" id="rb-hl">Analysen baserer sig</mark>' in html
