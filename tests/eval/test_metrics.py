"""Metrics on hand-made answers: every definition in eval/metrics.py checked on a case it must pass and
one it must fail."""
from __future__ import annotations

import pytest

from bot.types import Answer, Citation, Retrieved
from eval.matching import fold, is_verbatim
from eval.metrics import aggregate, score_answer, summarise
from eval.questions import Question
from ingest.settings import BUNDLED_REPORT

REPORT = fold(BUNDLED_REPORT.read_text(encoding="utf-8"))
# verbatim in the report only after joining "interes" / "serede" split over two lines
SPLIT_QUOTE = "som er interesserede i at finde radikalt nye veje"
METHOD = ("Alle interviews er gennemført i perioden fra 8. november til 9. december 2019. De fleste "
          "interviews er gennemført telefonisk")
OTHER = "Klimadagsordenen er blevet en vigtig arena og driver for innovation."


def question(**kw) -> Question:
    base = dict(id="q1", question="Hvornår blev interviewene lavet?", lang="da", kind="number",
                evidence=["november til 9. december 2019"], must_mention=["november", "2019", "telefon|phone"],
                gold_answer="8. november - 9. december 2019")
    base.update(kw)
    return Question(**base)


def retrieved(*texts: str) -> list[Retrieved]:
    return [Retrieved(chunk_id=f"c{i}", score=1.0 - i / 10, section="Bag om analysen", text=t)
            for i, t in enumerate(texts)]


def citation(quote: str, text: str | None = None, n: int = 1, nearest: bool = False) -> Citation:
    return Citation(n=n, quote=quote, section="Bag om analysen", page=5, chunk_id=f"c{n}",
                    text=text if text is not None else quote, nearest=nearest)


def answer(citations=(), retrieved_=(), refused=False, text="Fra 8. november til 9. december 2019.") -> Answer:
    return Answer(question="q", language="da", mode="extractive", refused=refused, answer=text,
                  citations=list(citations), retrieved=list(retrieved_))


def test_hit_at_k_and_reciprocal_rank():
    a = answer(retrieved_=retrieved(OTHER, OTHER, METHOD, OTHER))
    s = score_answer(question(), a, REPORT, 10.0)
    assert s.first_hit_rank == 3
    assert s.hits == {"hit@1": False, "hit@3": True, "hit@5": True}
    assert s.reciprocal_rank == pytest.approx(1 / 3)
    miss = score_answer(question(), answer(retrieved_=retrieved(OTHER)), REPORT, 10.0)
    assert miss.hits["hit@5"] is False and miss.reciprocal_rank == 0.0


def test_hit_ignores_line_breaks_and_split_words_in_chunks():
    chunk = "Alle interviews er gennemført i perioden fra 8.\nnovember til 9. decem-\nber 2019."
    s = score_answer(question(), answer(retrieved_=retrieved(chunk)), REPORT, 1.0)
    assert s.hits["hit@1"]


def test_support_by_cited_chunk_or_by_quote_overlap():
    by_chunk = answer([citation("De fleste interviews er gennemført telefonisk", text=METHOD)])
    s = score_answer(question(), by_chunk, REPORT, 1.0)
    assert s.supported is True and s.quote_supported is False
    by_quote = answer([citation("i perioden fra 8. november til 9. december 2019", text="(chunk text elsewhere)")])
    s = score_answer(question(), by_quote, REPORT, 1.0)
    assert s.supported is True and s.quote_supported is True
    short_overlap = answer([citation("9. december", text="(elsewhere)")])
    assert score_answer(question(), short_overlap, REPORT, 1.0).supported is False
    unrelated = answer([citation(OTHER)])
    assert score_answer(question(), unrelated, REPORT, 1.0).supported is False


def test_refusal_and_nearest_citations_never_support():
    nearest = answer([citation(METHOD, nearest=True)])
    assert score_answer(question(), nearest, REPORT, 1.0).supported is False
    refused = answer([citation(METHOD)], refused=True)
    s = score_answer(question(), refused, REPORT, 1.0)
    assert s.supported is False and s.decision_correct is False


def test_evidence_recall_for_list_questions():
    q = question(kind="list", evidence=["performance (effektivitet og styring)", "emergens (samarbejde og nytænkning)",
                                        "(bæredygtighed og modstandskraft)"])
    a = answer([citation("som performance (effektivitet og styring) og compli ance")])
    s = score_answer(q, a, REPORT, 1.0)
    assert s.supported is True and s.evidence_recall == pytest.approx(1 / 3)


def test_verbatim_against_the_original_report():
    a = answer([citation(SPLIT_QUOTE, n=1), citation("Klimadagsordenen er blevet en vigtig arena", n=2),
                citation("Toplederne elsker kunstig intelligens i folkeskolen", n=3)])
    s = score_answer(question(), a, REPORT, 1.0)
    assert (s.quotes, s.verbatim_quotes) == (3, 2)
    assert s.unverified_quotes == ["Toplederne elsker kunstig intelligens i folkeskolen"]
    assert is_verbatim("Det tager tid. [...] Det kræver vedholdenhed.", REPORT)
    assert not is_verbatim("Det kræver vedholdenhed. ... Det tager tid.", REPORT)  # wrong order


def test_key_term_coverage_uses_answer_and_quotes_with_alternatives():
    a = answer([citation("De fleste interviews er gennemført telefonisk")], text="Fra 8. november 2019.")
    s = score_answer(question(), a, REPORT, 1.0)
    assert s.coverage == 1.0 and s.missing_terms == []
    s = score_answer(question(), answer(text="I efteråret 2019."), REPORT, 1.0)
    assert s.missing_terms == ["november", "telefon|phone"] and s.coverage == pytest.approx(1 / 3)


def test_refusal_precision_recall_and_decision_accuracy():
    oos = question(id="o", kind="out_of_scope", evidence=[], must_mention=[])
    scores = [
        score_answer(question(id="a1"), answer([citation(METHOD)]), REPORT, 5.0),                   # right answer
        score_answer(question(id="a2"), answer(refused=True, text="Rapporten svarer ikke på det."), REPORT, 5.0),
        score_answer(oos.model_copy(update={"id": "o1"}), answer(refused=True), REPORT, 5.0),      # right refusal
        score_answer(oos.model_copy(update={"id": "o2"}), answer(refused=False), REPORT, 5.0),     # missed refusal
    ]
    agg = aggregate(scores)
    assert agg["refusal_precision"] == 0.5   # 2 refused, 1 of them out of scope
    assert agg["refusal_recall"] == 0.5      # 2 out of scope, 1 refused
    assert agg["decision_accuracy"] == 0.5
    assert agg["support"] == 0.5 and agg["answerable"] == 2 and agg["out_of_scope"] == 2


def test_aggregates_by_language_and_kind_and_latency_percentiles():
    scores = [score_answer(question(id=str(i), lang="en" if i % 2 else "da"), answer([citation(METHOD)]), REPORT,
                           float(i)) for i in range(1, 21)]
    summary = summarise(scores)
    assert set(summary["by_lang"]) == {"da", "en"}
    assert summary["by_kind"]["number"]["n"] == 20
    assert summary["all"]["latency_p50_ms"] == 10.5
    assert summary["all"]["latency_p95_ms"] == pytest.approx(19.05)
    assert summary["all"]["verbatim_rate"] == 1.0
    assert summary["all"]["refusal_precision"] is None  # nothing refused: undefined, not 0


def test_a_sentence_running_over_a_page_footer_is_verbatim():
    from eval.matching import folded_report

    report = folded_report(str(BUNDLED_REPORT))
    across_footer = "Nogle har det som en tydelig fælles dagsorden, hvor direktionen har en tæt dialog"
    assert is_verbatim(across_footer, report)
    assert not is_verbatim(across_footer, REPORT)  # the plain form still holds the footer
