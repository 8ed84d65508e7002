"""Language of a question: words in quotation marks are the report's wording, not the asker's language."""
from bot.question.language import detect_language


def test_quoted_report_wording_does_not_decide_the_language():
    assert detect_language("What does the report say about “Dem har vi talt med”?") == "en"
    assert detect_language("Hvad står der i afsnittet “Barrierer for innovation”?") == "da"
    assert detect_language("Hvad betyder “public value”?") == "da"
    assert detect_language("“Dem har vi talt med”") == "da"  # nothing but a quote: the quote decides
