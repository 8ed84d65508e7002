"""Quote checking on real passages of the bundled report (raw extraction, with its line breaks and splits)."""
from __future__ import annotations

import pytest

from bot.quotes import verify_in_document, verify_quote
from ingest.settings import BUNDLED_REPORT

RAW = BUNDLED_REPORT.read_text(encoding="utf-8")


def passage_at(anchor: str, length: int = 700, before: int = 0) -> str:
    start = RAW.index(anchor) - before
    return RAW[start:start + length]


MODNING = passage_at("En topleder reflekterer således over udviklingen", 900)
SINDSSYGT = passage_at("Som en udtrykker det:", 400, before=150)


def assert_verbatim_span(check, passage: str) -> None:
    assert check.quote is not None and check.start is not None and check.end is not None
    assert passage[check.start:check.end] == check.quote


def test_exact_quote_across_a_line_break_is_kept() -> None:
    # In the passage: "... dagsorden. Og \nnoget vi, i hvert fald hos os, taler for lidt om.”"
    check = verify_quote("Og noget vi, i hvert fald hos os, taler for lidt om.", SINDSSYGT)
    assert check.status == "kept" and check.score == 1.0
    assert_verbatim_span(check, SINDSSYGT)
    assert "\n" in check.quote and check.quote.startswith("Og") and check.quote.endswith("om.")


def test_word_split_by_the_pdf_is_kept() -> None:
    # The passage has "innovati \nonsdagsordenen" (a line-end split without hyphen).
    check = verify_quote("Der er jo virkelig sket en modning af innovationsdagsordenen.", MODNING)
    assert check.status == "kept"
    assert_verbatim_span(check, MODNING)
    assert "innovati \nonsdagsordenen" in check.quote


def test_hyphenated_line_end_is_kept() -> None:
    passage = passage_at("Analysen af de offentlige toplederes innovati-", 300)
    check = verify_quote("Analysen af de offentlige toplederes innovationsdagsorden viser, at innovationsarbejdet "
                         "er blevet en del af hverdagen", passage)
    assert check.status == "kept"
    assert_verbatim_span(check, passage)
    assert "innovati-\nonsdagsorden" in check.quote


@pytest.mark.parametrize("marks", [("“", "”"), ('"', '"'), ("„", "“"), ("»", "«"), ("", "")])
def test_quote_mark_styles_do_not_matter(marks: tuple[str, str]) -> None:
    opening, closing = marks
    check = verify_quote(f"{opening}Det er en sindssygt spændende dagsorden.{closing}", SINDSSYGT)
    assert check.status == "kept"
    assert check.quote == "Det er en sindssygt spændende dagsorden."  # the passage's “ is not part of the span


def test_case_and_dash_style_do_not_matter() -> None:
    passage = passage_at("Udviklingen i innovationsarbejdet – fra enkelt", 300)
    check = verify_quote("udviklingen i innovationsarbejdet - fra enkeltstående projekter til at foregå i driften",
                         passage)
    assert check.status == "kept"
    assert check.quote.startswith("Udviklingen i innovationsarbejdet – fra enkelt")


def test_near_quote_is_repaired_to_the_passage_words() -> None:
    # The model dropped "jo" and wrote "modningen" for "en modning".
    check = verify_quote("Der er virkelig sket modningen af innovationsdagsordenen.", MODNING)
    assert check.status == "repaired"
    assert 0.9 <= check.score < 1.0
    assert_verbatim_span(check, MODNING)
    assert check.quote.startswith("Der er jo virkelig sket en modning af innovati")


def test_quote_with_a_missing_word_is_repaired_over_the_whole_sentence() -> None:
    check = verify_quote("Det er blevet en helt anderledes del af sproget.", MODNING)
    assert check.status == "repaired"
    assert_verbatim_span(check, MODNING)
    assert check.quote.startswith("Det er blevet") and check.quote.endswith("hverdagssproget.")


@pytest.mark.parametrize("invented", [
    "Vi har aldrig haft budget til innovation i vores kommune.",
    "Der er jo virkelig sket en tilbagegang af innovationsdagsordenen.",
    "Innovation er det vigtigste for alle regionale topledere i Danmark.",
])
def test_invented_or_changed_quote_is_dropped(invented: str) -> None:
    check = verify_quote(invented, MODNING)
    assert check.status == "dropped"
    assert check.quote is None and check.start is None


def test_quote_from_elsewhere_in_the_report_is_dropped() -> None:
    elsewhere = "Det er en sindssygt spændende dagsorden."
    assert elsewhere.split()[3] in RAW  # it is real report text, just not in this passage
    assert verify_quote(elsewhere, MODNING).status == "dropped"


def test_short_quote_must_match_exactly() -> None:
    assert verify_quote("en modning af", MODNING).status == "kept"
    assert verify_quote("en modnig af", MODNING).status == "dropped"


def test_empty_punctuation_only_and_one_or_two_word_quotes_are_dropped() -> None:
    for quote in ["", "   ", "“ ”", "...", "—", "sk-", "modning", "“en modning”"]:
        assert verify_quote(quote, MODNING).status == "dropped"


@pytest.mark.parametrize("ellipsis", ["...", "…", "[...]", "(…)"])
def test_elided_quote_is_checked_piece_by_piece(ellipsis: str) -> None:
    quote = f"Der er jo virkelig sket en modning af innovationsdagsordenen {ellipsis} der har skubbet til det hele."
    check = verify_quote(quote, MODNING)
    assert check.status == "kept"
    assert_verbatim_span(check, MODNING)
    # The shown quote is the passage's own words from the first piece to the last, the elided part included.
    assert check.quote.startswith("Der er jo virkelig") and check.quote.endswith("det hele.")
    assert "hverdagssproget" in check.quote


def test_elided_quote_with_an_invented_piece_is_dropped() -> None:
    quote = "Der er jo virkelig sket en modning af innovationsdagsordenen ... alle ledere er enige om budgettet."
    assert verify_quote(quote, MODNING).status == "dropped"


def test_elided_pieces_out_of_order_are_dropped() -> None:
    quote = "der har skubbet til det hele ... Der er jo virkelig sket en modning af innovationsdagsordenen"
    assert verify_quote(quote, MODNING).status == "dropped"


def test_report_own_dots_are_not_taken_for_an_elision() -> None:
    passage = passage_at("“Nogle tror, at innovation sker", 400)
    check = verify_quote("Der finder vi innovationen. Og det sker hele tiden hos os...", passage)
    assert check.status == "kept"
    assert_verbatim_span(check, passage)


def test_verify_in_document_accepts_report_words_and_rejects_others() -> None:
    assert verify_in_document("Der er jo virkelig sket en modning af innovationsdagsordenen.", RAW, RAW)
    assert verify_in_document("“Det er en sindssygt spændende dagsorden.”", RAW, RAW)
    assert not verify_in_document("Der er jo virkelig sket en tilbagegang af innovationsdagsordenen.", RAW, RAW)
    assert not verify_in_document("", RAW, RAW)


def test_verify_in_document_bridges_a_page_footer_that_cleaning_removed() -> None:
    # In the raw extraction a page footer and stray "-" lines sit between "hvor" and "direktionen".
    before, after = "har det som en tydelig fælles dagsorden, hvor \n", "direktionen har en tæt dialog om"
    start, end = RAW.index(before) + len(before), RAW.index(after)
    assert "24 Analyse af offentlige toplederes" in RAW[start:end]
    cleaned = RAW[:start] + RAW[end:]
    quote = "Nogle har det som en tydelig fælles dagsorden, hvor direktionen har en tæt dialog om"
    assert verify_in_document(quote, cleaned, RAW)
    assert not verify_in_document(quote.replace("tæt", "løs"), cleaned, RAW)


def test_a_quote_cut_inside_a_word_is_widened_to_whole_words() -> None:
    check = verify_quote("irkelig sket en modning af innovationsdags", MODNING)
    assert check.status == "kept"
    assert_verbatim_span(check, MODNING)
    assert check.quote.startswith("virkelig") and check.quote.endswith("onsdagsordenen.")


def test_every_sentence_of_the_built_store_is_kept_and_found_in_the_original(store_settings) -> None:
    """Whatever the cleaning did (joined split words, dropped footers), the chunks' own sentences must pass
    both checks: against their chunk, and in the original extraction."""
    from ingest.store import ReportStore

    store = ReportStore.open(store_settings)
    checked = 0
    for chunk in store.chunks:
        document = store.documents[chunk.doc_id]
        assert verify_in_document(chunk.text, document.clean_text, document.raw_text), chunk.id
        for a, b in chunk.sentences:
            sentence = chunk.text[a:b].strip()
            if len(sentence.split()) < 3:
                continue
            check = verify_quote(sentence, chunk.text)
            assert check.status == "kept", sentence
            assert chunk.text[check.start:check.end] == check.quote
            checked += 1
    assert checked > 500
