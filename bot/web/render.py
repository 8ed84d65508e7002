"""Answers as HTML for the chat (everything escaped) and as Markdown for /v1 and "copy answer".

The chat message is one HTML block without blank lines, so Gradio's Markdown renderer passes it through
untouched: text from the question, the answer or the report is escaped here and can never become markup,
links or script. Gradio's own sanitizer (`sanitize_html=True`) is a second line of defence.
"""
from __future__ import annotations

import html
import re

from bot.answer.compose import in_quote_marks
from bot.types import Answer, Citation

_MARKER = re.compile(r"\[(\d{1,2})\]")
_CITATION_LINE = re.compile(r"^\s*\[(\d{1,2})\]\s*[“\"„»«]")
_LABELS = {
    "da": {"page": "s.", "show": "Vis i rapporten", "nearest": "Nærmeste passage", "source": "Kilde"},
    "en": {"page": "p.", "show": "Show in the report", "nearest": "Nearest passage", "source": "Source"},
}


def escape(text: str) -> str:
    """HTML-escape `text` (quotes included); newlines become <br> so no blank line ends the HTML block."""
    return html.escape(text or "", quote=True).replace("\r", "").replace("\n", "<br>")


def labels(language: str) -> dict[str, str]:
    return _LABELS.get(language, _LABELS["da"])


def section_title(section: str) -> str:
    """Last part of a section path ("Kapitel > Afsnit" -> "Afsnit")."""
    return section.split(" > ")[-1].strip() if section else ""


def source_line(citation: Citation, language: str) -> str:
    """"Afsnit, s. 12, Kommunal topleder" - plain text, not escaped."""
    parts = [section_title(citation.section)] if citation.section else []
    if citation.page is not None:
        parts.append(f"{labels(language)['page']} {citation.page}")
    if citation.speaker:
        parts.append(citation.speaker)
    return ", ".join(parts)


def quote_in_passage(citation: Citation) -> tuple[int, int] | None:
    """Span of the quote inside its chunk text, when it is found there verbatim."""
    at = citation.text.find(citation.quote) if citation.quote else -1
    return (at, at + len(citation.quote)) if at >= 0 else None


def _flowing(text: str) -> str:
    """Escaped text with line breaks inside a paragraph joined (the chunk keeps the report's line breaks)."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "<br>".join(escape(p) for p in paragraphs)


def passage_html(citation: Citation) -> str:
    """The cited chunk, escaped, with the quote wrapped in <mark>."""
    span = quote_in_passage(citation)
    if span is None:
        return f"<mark>{_flowing(citation.quote)}</mark>"
    start, end = span
    text = citation.text
    return f"{_flowing(text[:start])} <mark>{_flowing(text[start:end])}</mark> {_flowing(text[end:])}"


def lead_text(answer: Answer) -> str:
    """The answer without the lines that only repeat a citation ("[1] “quote” ..."): the page and the
    Markdown show every citation in full, with its source, right below."""
    numbers = {c.n for c in answer.citations}
    kept = [line for line in answer.answer.splitlines()
            if not ((m := _CITATION_LINE.match(line)) and int(m.group(1)) in numbers)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _answer_text_html(text: str) -> str:
    return _MARKER.sub(r'<sup class="rb-ref">[\1]</sup>', escape(text))


def answer_html(answer: Answer, turn: int | None = None) -> str:
    """The chat message: answer, notice, then numbered citations that open to the highlighted passage.

    With `turn` set, each citation also gets a "show in the report" link that the page's reader catches.
    """
    lab = labels(answer.language)
    parts = [f'<div class="rb-answer{" rb-refused" if answer.refused else ""}">',
             f'<div class="rb-text">{_answer_text_html(lead_text(answer))}</div>']
    if answer.notice:
        parts.append(f'<div class="rb-notice">{escape(answer.notice)}</div>')
    if answer.citations:
        parts.append('<ol class="rb-cites">')
        for c in answer.citations:
            tag = f' <span class="rb-nearest">{lab["nearest"]}</span>' if c.nearest else ""
            link = (f'<a class="rb-open" href="#rb-open-{turn}-{c.n}">{lab["show"]} →</a>'
                    if turn is not None else "")
            parts.append(
                f'<li class="rb-cite-item"><details class="rb-cite"><summary><span class="rb-n">{c.n}</span>'
                f'<span class="rb-quote">{in_quote_marks(_flowing(c.quote).strip())}</span>{tag}'
                f'<span class="rb-src">{escape(source_line(c, answer.language))}</span></summary>'
                f'<div class="rb-passage">{passage_html(c)}</div>{link}</details></li>')
        parts.append("</ol>")
    parts.append("</div>")
    return "".join(parts)


def question_html(question: str) -> str:
    return f'<div class="rb-question">{escape(question)}</div>'


def streaming_html(text: str) -> str:
    """A partial LLM answer while it streams (citations follow once the quotes are verified)."""
    return f'<div class="rb-answer rb-streaming"><div class="rb-text">{escape(text)}▍</div></div>'


def citations_markdown(answer: Answer) -> str:
    """"[1] “quote” — section, s. 12, speaker" lines, one per citation."""
    lines = []
    for c in answer.citations:
        quote = " ".join(c.quote.split())  # the report's line breaks would break the Markdown line
        lines.append(f"[{c.n}] {in_quote_marks(quote)} — {source_line(c, answer.language)}")
    return "\n".join(lines)


def answer_markdown(answer: Answer) -> str:
    """The answer with its citations written out: the /v1 message content."""
    parts = [lead_text(answer)]
    if answer.notice:
        parts.append(f"_{answer.notice}_")
    if answer.citations:
        parts.append(citations_markdown(answer))
    return "\n\n".join(p for p in parts if p)


def memo_markdown(answer: Answer, report_reference: str | None = None) -> str:
    """"Copy answer": question, answer, quotes and the report reference, ready for a memo."""
    heading = "Spørgsmål" if answer.language == "da" else "Question"
    text = f"**{heading}:** {answer.question.strip()}\n\n{answer_markdown(answer)}"
    if report_reference:
        text += f"\n\n{labels(answer.language)['source']}: {report_reference}"
    return text + "\n"
