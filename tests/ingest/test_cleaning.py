"""Cleaning the bundled report: artifacts go, split words join, every word stays in order, pages follow."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main as cli_main
from ingest.cleaning import artifact_lines, clean_document, clean_lines, clean_text, normalise_for_match
from ingest.readers import load_document
from ingest.settings import BUNDLED_REPORT

RAW = BUNDLED_REPORT.read_text(encoding="utf-8")
RAW_LINES = RAW.split("\n")
WORD = re.compile(r"\w+")


@pytest.fixture(scope="module")
def doc():
    return clean_document(load_document(BUNDLED_REPORT))


@pytest.fixture(scope="module")
def result():
    return clean_lines(RAW_LINES, [None] * len(RAW_LINES))


def test_artifact_lines_are_gone(doc) -> None:
    lines = doc.text.split("\n")
    assert not [x for x in lines if re.fullmatch(r"\s*-(\s*-)*\s*", x)]
    assert not [x for x in lines if re.fullmatch(r"\d+ Analyse af offentlige toplederes innovationsdagsorden", x)]
    assert "Denne side er med vilje efterladt uden indhold." not in doc.text
    assert all(line == line.strip() for line in lines)
    assert "\n\n\n" not in doc.text


def test_only_artifacts_are_dropped(result) -> None:
    dropped = [RAW_LINES[i].strip() for i in result.dropped]
    assert len([d for d in dropped if d.endswith("innovationsdagsorden")]) == 3  # the three surviving footers
    assert len([d for d in dropped if d.startswith("Denne side")]) == 2
    assert all(re.fullmatch(r"-( -)*|\d+ Analyse af offentlige toplederes innovationsdagsorden"
                            r"|Denne side er med vilje efterladt uden indhold\.", d) for d in dropped)


def test_split_words_are_joined_and_the_rest_moves_up(doc) -> None:
    text = doc.text
    assert "som er interesserede\ni at finde radikalt nye veje" in text            # no hyphen, blank line between
    assert "er komfortable med denne udviklingstakt.\nSåvel toplederne" in text
    assert "Analysen af de offentlige toplederes innovationsdagsorden\nviser" in text  # "innovati-" / "onsdagsorden"
    assert "radikal nytænkning af opgaveløsningen.\nIkke mindst" in text
    assert "direktør for Velfærdsforvaltningen,\nKøge Kommune" in text
    assert "territorie CO2-neutralt\ninden for" in text                             # the hyphen after CO2 stays
    assert "Samtidig med det store fokus på virksomhedernes\nrolle" in text          # across a footer and dashes


def test_word_boundaries_and_suspended_hyphens_survive(doc) -> None:
    text = doc.text
    assert "foreninger og borgere idérige\nog effektive" in text
    assert "Børne- og Kulturchefforeningen" in text
    assert "Foreningen af Kommunale Social-, Sundheds- og" in text
    assert "Udviklings- og\nforenklingsstyrelsen" in text
    assert "fx sundheds-, beskæftigelses-,\nældre-, social-, handicap-, folkeskole- og kulturområdet" in text


def test_blank_lines_inside_a_sentence_go_paragraph_breaks_stay(doc) -> None:
    text = doc.text
    assert "når noget kan være bedre. Det\ner godt." in text
    assert "har det som en tydelig fælles dagsorden, hvor\ndirektionen har en tæt dialog" in text  # page 23 -> 24
    assert "tillid både til\nhinanden og til samfundets institutioner.\n\nMen trusler" in text
    assert "God læselyst!\n\nBag om analysen" in text


def test_one_output_line_per_source_line(doc, result) -> None:
    """No reflow: each cleaned line is a source line, or the tail of one whose first word moved up, plus
    (when a split word ended it) the moved-up second half."""
    source = [line.strip() for line in RAW_LINES]
    whole = set(source)

    def is_source_tail(text: str) -> bool:
        return text in whole or any(s.endswith(" " + text) or s.endswith(text + "-") for s in source)

    for line in doc.text.split("\n"):
        if not line or line in whole:
            continue
        first_half = [line[: len(line) - len(j.moved)] + ("-" if j.hyphen and not j.kept_hyphen else "")
                      for j in result.joins if line.endswith(j.moved)]
        assert is_source_tail(line) or any(is_source_tail(h) or is_source_tail(h.rstrip("-")) for h in first_half), line
    assert len(doc.text.split("\n")) > 0.9 * len([x for x in RAW_LINES if x.strip()])


def test_every_word_stays_in_order(result) -> None:
    """The cleaned text has the raw words in order: artifacts dropped, and each join makes one word of two."""
    dropped = set(result.dropped)
    raw_words = [w for i, line in enumerate(RAW_LINES) if i not in dropped for w in WORD.findall(line)]
    clean_words = WORD.findall("\n".join(result.lines))
    k = joins = 0
    for w in clean_words:
        if raw_words[k] == w:
            k += 1
        else:
            assert raw_words[k] + raw_words[k + 1] == w, (raw_words[k:k + 2], w)
            k += 2
            joins += 1
    assert k == len(raw_words)
    assert joins == len(result.joins) > 200


def test_page_at_gives_derived_pages(doc) -> None:
    def page(phrase: str) -> int | None:
        at = doc.text.index(phrase)
        return doc.page_at(at)

    assert page("Om offentlig innovation") == 4
    assert page("Bag om analysen") == 7
    assert page("har det som en tydelig fælles dagsorden") == 23
    assert page("direktionen har en tæt dialog") == 24
    assert page("Ledelse af bæredygtighed og partnerskaber") == 25
    assert page("Frikommuneforsøget betegnes af flere") == 28
    assert page("Digitalisering og teknologi") == 33
    assert page("virksomhedernes\nrolle") == 39  # the word starts on page 39, its end was printed on page 40
    assert page("nøgle til at lykkes med den grønne omstilling") == 40
    assert page("På sundhedsområdet giver interviewene") == 43


def test_plain_text_without_page_evidence_has_no_pages(tmp_path: Path) -> None:
    f = tmp_path / "notat.txt"
    f.write_text("Det er vigtigt at udvik\nle nye løsninger.\n\n-\n\nSlut.", encoding="utf-8")
    doc = clean_document(load_document(f))
    assert doc.text == "Det er vigtigt at udvikle\nnye løsninger.\n\nSlut."
    assert doc.page_at(0) is None and doc.page_at(len(doc.text) - 1) is None


def test_markdown_is_taken_as_written(tmp_path: Path) -> None:
    f = tmp_path / "notat.md"
    f.write_text("# Titel  \n\n- punkt et\n-\nen linje der slutter med udvik\nling\n", encoding="utf-8")
    assert clean_document(load_document(f)).text == "# Titel\n\n- punkt et\n-\nen linje der slutter med udvik\nling"


def test_pdf_pages_map_to_offsets(tmp_path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    f = tmp_path / "r.pdf"
    c = canvas.Canvas(str(f), pagesize=A4)
    for text in ("Første side om innovation.", "Anden side om ledelse.", "Tredje side om data."):
        c.drawString(72, 760, text)
        c.showPage()
    c.save()
    doc = clean_document(load_document(f))
    assert [doc.page_at(doc.text.index(w)) for w in ("Første", "Anden", "Tredje")] == [1, 2, 3]


def test_artifact_lines_need_a_recurring_running_title() -> None:
    lines = ["12 procent af kommunerne svarer ja", "tekst", "2019 var et godt år for innovation", "-", "- -"]
    assert artifact_lines(lines) == {3, 4}  # numbers before ordinary sentences are no footers


def test_clean_text_matches_clean_document(doc) -> None:
    assert clean_text(RAW) == doc.text


def test_cli_prints_the_cleaned_text(capsys: pytest.CaptureFixture, doc) -> None:
    assert cli_main(["clean", str(BUNDLED_REPORT)]) == 0
    assert capsys.readouterr().out == doc.text + "\n"
    assert cli_main(["clean", "--pages", str(BUNDLED_REPORT)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("=== page 4 ===\nOm offentlig innovation") and "=== page 43 ===\n" in out


# -- normalise_for_match: a cleaned-text quote is found in the raw text -------------------------------

def test_every_cleaned_sentence_is_found_in_the_raw_text(doc, result) -> None:
    flat = re.sub(r"\s+", " ", doc.text)  # a quote as a reader copies it: reflowed onto one line
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", flat) if len(s) > 20]
    assert len(sentences) > 500
    dropped = set(result.dropped)
    raw_without_artifacts = normalise_for_match("\n".join(x for i, x in enumerate(RAW_LINES) if i not in dropped))
    assert [s for s in sentences if normalise_for_match(s) not in raw_without_artifacts] == []
    # only sentences that ran across a dropped footer or blank page are not contiguous in the raw text
    raw_key = normalise_for_match(RAW)
    assert len([s for s in sentences if normalise_for_match(s) not in raw_key]) <= 5


def test_normalise_for_match_folds_what_extraction_changes() -> None:
    assert normalise_for_match("interes \n\nserede i at") == normalise_for_match("interesserede i at")
    assert normalise_for_match("innovati-\nonsdagsorden") == normalise_for_match("innovationsdagsorden")
    assert normalise_for_match("“Det er – godt”") == normalise_for_match('"Det er - godt"')
    assert normalise_for_match("‘citat’") == normalise_for_match("'citat'")
    assert normalise_for_match("CO2-\nneutralt") == normalise_for_match("CO2-neutralt")
    assert normalise_for_match("blød\u00adbindestreg") == normalise_for_match("blødbindestreg")
    assert normalise_for_match("Det") != normalise_for_match("det")  # case is kept


def test_pdf_bare_page_numbers_are_dropped(tmp_path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    f = tmp_path / "numbered.pdf"
    c = canvas.Canvas(str(f), pagesize=A4)
    for n, body in enumerate(["Vi har 24 topledere i analysen og en lang", "sætning der fortsætter her."], start=1):
        c.drawString(72, 760, body)
        c.drawString(300, 40, f"Side {n} af 2")
        c.showPage()
    c.save()
    text = clean_document(load_document(f)).text
    assert "Side" not in text and "Vi har 24 topledere" in text
    assert "en lang\nsætning der fortsætter her." in text
