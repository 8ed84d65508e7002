"""Turn chosen spans into the answer text and its citations.

The answer is one lead line in the question's language, built only from the top quote's own words (or, for
a list, the section titles), then the numbered quotes verbatim. No fact is added that the quotes do not hold.
Every citation is checked against the document's clean text before it is shown.
"""
from __future__ import annotations

from typing import Any

from bot.types import Citation
from ingest.sentences import split_sentences
from ingest.types import Chunk

LEAD_MAX = 220
_LEADS = {
    "da": "Ifølge rapporten: {lead}",
    "en": "According to the report (quoted in Danish): {lead}",
}
_LIST_LEADS = {
    "da": "Rapporten nævner {n} under «{what}»:",
    "en": "The report lists {n} under “{what}” (quoted in Danish):",
}


def _clip(text: str, limit: int = LEAD_MAX) -> str:
    """`text` on one line, cut at a word boundary with an ellipsis when longer than `limit`."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",;:–-")
    return cut + " …"


def _first_sentence(text: str) -> str:
    """The quote's opening sentence(s), at least 40 characters; the Danish-aware splitter keeps "8. november",
    "bl.a." and the like inside their sentence (a plain ". " search would cut the lead at "fra 8.")."""
    flat = " ".join(text.split()).strip("“”\" ")
    for _, end in split_sentences(flat):
        if end >= 40:
            return flat[:end]
    return flat


def make_citation(store: Any, n: int, chunk: Chunk, start: int, end: int, speaker: str | None,
                  nearest: bool = False) -> Citation | None:
    """A citation of document offsets [start, end), or None when the span is not verbatim (never shown)."""
    document = store.documents.get(chunk.doc_id)
    clean = getattr(document, "clean_text", None) if document is not None else None
    if clean is None:
        return None
    quote = clean[start:end].strip()
    if not quote:
        return None
    start = clean.index(quote, start)
    page_at = getattr(document, "page_at", None)
    page = (page_at(start) if page_at else None) or chunk.page
    return Citation(n=n, quote=quote, section=chunk.section, page=page, speaker=speaker,
                    chunk_id=chunk.id, text=chunk.text, start=start, doc_id=chunk.doc_id, nearest=nearest)


def in_quote_marks(text: str) -> str:
    """`text` inside “ ”, unless the quote is itself an interview quote that already opens with its marks."""
    return text if text.startswith(("“", "\"", "”", "„", "»")) else f"“{text}”"


def quote_lines(citations: list[Citation]) -> str:
    lines = []
    for c in citations:
        body = " ".join(c.quote.split())
        body = in_quote_marks(body)
        lines.append(f"[{c.n}] {body}")
    return "\n".join(lines)


def compose_answer(language: str, citations: list[Citation]) -> str:
    """The lead line, then the quotes. When quote [1] is no more than the lead's sentence, it is not printed a
    second time below: the lead is that quote, marked [1]."""
    sentence = _first_sentence(citations[0].quote)
    lead = _LEADS["en" if language == "en" else "da"].format(lead=_clip(sentence))
    whole = " ".join(citations[0].quote.split()).strip("“”\" ") == sentence and len(sentence) <= LEAD_MAX
    rest = citations[1:] if whole else citations
    return f"{lead} [1]" + (f"\n\n{quote_lines(rest)}" if rest else "")


def compose_list(language: str, citations: list[Citation]) -> str:
    """"Rapporten nævner 6 under «Seks opmærksomhedspunkter»:" and the items: the lead says what is listed
    (the heading the items share)."""
    parents = {" > ".join(c.section.split(" > ")[:-1]) or c.section for c in citations}
    what = parents.pop().split(" > ")[-1] if len(parents) == 1 else citations[0].section.split(" > ")[0]
    lead = _LIST_LEADS["en" if language == "en" else "da"].format(n=len(citations), what=what)
    return f"{lead}\n\n{quote_lines(citations)}"
