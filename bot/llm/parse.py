"""Reading the model's reply: answer prose, then a quote list, or the refusal sentinel.

The asked-for shape (prompts/answer.txt) is prose with [n] markers, a line `QUOTES:` and one
`[n] "verbatim quote"` line per quote: the prose comes first, so it streams. Models do not always obey,
so the parser also takes JSON (fenced or not), other heading spellings, and as a last resort “quoted”
text next to an [n] marker inside the prose. Nothing parsed here is trusted: bot.llm.client verifies every quote.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

QUOTES_HEADING = "QUOTES:"
_HEADING_WORDS = ("quotes", "citater", "citations", "sources", "kilder", "quote list", "citatliste")
# The heading alone on its line ("QUOTES:", "**Citater**"), or followed on the same line by the first quote.
_HEADING_LINE = re.compile(
    r"^[ \t>*#_]*(?:" + "|".join(_HEADING_WORDS) + r")[ \t*_]*(?::[ \t*_]*(?=$|[\[(\"“„«])|$)",
    re.IGNORECASE | re.MULTILINE)
_QUOTE_LINE = re.compile(r"^\s*(?:[-*•]\s*)?[\[(]?(\d{1,2})[\])]?[.:)]?\s*[:\-–—]?\s*(.*)$")
_TRAILING_NUMBER = re.compile(r"^\s*(?:[-*•]\s*)?([\"“„«»].+?[\"”“»«])\s*[\[(](?:passage\s*|passager?\s*)?(\d{1,2})[\])]\s*\.?\s*$",
                              re.IGNORECASE)
_OPEN, _CLOSE = "\"“„«»”'‘’", "\"”“»«'’‘"
_INLINE_QUOTE = re.compile(r"[\"“„«»]([^\"“”„«»\n]{8,}?)[\"”“»«]")
_MARKERS = re.compile(r"\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n?(.*?)\n?```\s*$", re.DOTALL)


class MalformedReply(ValueError):
    """The reply has no usable answer."""


@dataclass
class ModelQuote:
    passage: int
    quote: str


@dataclass
class ParsedReply:
    answer: str
    quotes: list[ModelQuote] = field(default_factory=list)
    refused: bool = False
    inline: bool = False  # quotes were taken from inside the prose (no quote list)


def _strip_wrappers(text: str) -> str:
    text = _THINK.sub("", text).strip()
    if text.lower().startswith("<think>"):  # reasoning never closed: no answer yet
        return ""
    fenced = _FENCE.match(text)
    return fenced.group(1).strip() if fenced else text


def _norm_words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def is_refusal(answer: str, refusals: list[str]) -> bool:
    """The answer is (or starts with) one of the refusal sentinels, ignoring case and punctuation."""
    said = _norm_words(answer)
    return any(said and (said == _norm_words(r) or said.startswith(_norm_words(r))) for r in refusals)


def _unquote(text: str) -> str:
    text = text.strip()
    if text and text[0] in _OPEN:
        text = text[1:]
    if text and text[-1] in _CLOSE:
        text = text[:-1]
    return text.strip()


def _parse_json(text: str) -> ParsedReply | None:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        data = json.loads(text[start:end + 1])
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("answer"), str):
        return None
    quotes: list[ModelQuote] = []
    for item in data.get("quotes") or data.get("citations") or []:
        if isinstance(item, dict):
            number, quote = item.get("passage", item.get("n")), item.get("quote", item.get("text"))
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            number, quote = item
        else:
            continue
        try:
            quotes.append(ModelQuote(int(number), _unquote(str(quote))))
        except (TypeError, ValueError):
            continue
    return ParsedReply(data["answer"].strip(), quotes, bool(data.get("refused", False)))


def _parse_quote_list(block: str) -> list[ModelQuote]:
    quotes: list[ModelQuote] = []
    for line in block.splitlines():
        if not line.strip():
            continue
        match = _QUOTE_LINE.match(line)
        trailing = _TRAILING_NUMBER.match(line)
        if match and match.group(2).strip():
            quotes.append(ModelQuote(int(match.group(1)), _unquote(match.group(2))))
        elif trailing:  # '"quote" [2]' or '- “quote” (passage 2)'
            quotes.append(ModelQuote(int(trailing.group(2)), _unquote(trailing.group(1))))
        elif quotes:  # a quote that runs over several lines
            quotes[-1].quote = _unquote(f"{quotes[-1].quote} {line.strip()}")
    return [q for q in quotes if q.quote]


def _inline_quotes(prose: str) -> list[ModelQuote]:
    """“Quoted” text with an [n] marker right after (or right before) it."""
    quotes = []
    for match in _INLINE_QUOTE.finditer(prose):
        after = re.match(r"\s*\[(\d{1,2})\]", prose[match.end():])
        before = re.search(r"\[(\d{1,2})\]\s*:?\s*$", prose[:match.start()])
        number = after or before
        if number:
            quotes.append(ModelQuote(int(number.group(1)), match.group(1).strip()))
    return quotes


def _split_unheaded_list(body: str) -> tuple[str, list[ModelQuote]]:
    """A quote list the model wrote without its heading: the trailing `[n] "..."` lines."""
    lines = body.rstrip().splitlines()
    cut = len(lines)
    while cut > 1 and re.match(r"^\s*(?:[-*•]\s*)?\[\d{1,2}\]\s*[:\-–—]?\s*[\"“„«»]", lines[cut - 1]):
        cut -= 1
    if cut == len(lines):
        return body.strip(), []
    return "\n".join(lines[:cut]).strip(), _parse_quote_list("\n".join(lines[cut:]))


def parse_reply(text: str, refusals: list[str]) -> ParsedReply:
    """Answer, quotes and refusal from a complete reply; MalformedReply when there is no answer in it."""
    body = _strip_wrappers(text or "")
    if not body:
        raise MalformedReply("empty reply")
    parsed = _parse_json(body) if body.lstrip().startswith(("{", "[")) or body.rstrip().endswith("}") else None
    if parsed is None:
        heading = _HEADING_LINE.search(body)
        if heading:
            parsed = ParsedReply(body[:heading.start()].strip(), _parse_quote_list(body[heading.end():]))
        else:
            prose, listed = _split_unheaded_list(body)
            parsed = ParsedReply(prose, listed) if listed else ParsedReply(body.strip(), _inline_quotes(body), inline=True)
    # "[Passage 2]", "[kilde 2, 3]" -> "[2]", "[2, 3]"
    parsed.answer = re.sub(r"\[\s*(?:passages?|passager?|kilder?|sources?)\s*(?=\d)", "[", parsed.answer, flags=re.I)
    if is_refusal(parsed.answer, refusals) or (parsed.refused and not parsed.quotes):
        return ParsedReply(parsed.answer, [], refused=True)
    if not parsed.answer or not re.search(r"\w", parsed.answer):
        raise MalformedReply("no answer text")
    return parsed


def streamed_answer(text: str) -> str:
    """The answer prose inside a partial reply, for streaming: stops at the quote list and holds back a
    last line that may be the start of its heading; reads the "answer" field of a JSON reply."""
    body = _THINK.sub("", text).lstrip()
    if body.lower().startswith("<think>") or "<think>".startswith(body.lower()[:7]) and len(body) < 7:
        return ""
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
    if body.startswith("{"):
        return _partial_json_answer(body)
    heading = _HEADING_LINE.search(body)
    if heading:
        return body[:heading.start()].rstrip()
    last_nl = body.rfind("\n")
    tail = body[last_nl + 1:].strip(" \t*#_>").lower()
    if tail and any(word.startswith(tail.rstrip(":")) for word in _HEADING_WORDS):
        return body[:last_nl + 1].rstrip() if last_nl >= 0 else ""
    return body.rstrip()  # trailing whitespace may turn out to precede the heading


def _partial_json_answer(body: str) -> str:
    match = re.search(r'"answer"\s*:\s*"', body)
    if not match:
        return ""
    out, i = [], match.end()
    while i < len(body):
        ch = body[i]
        if ch == '"':
            break
        if ch == "\\":
            if i + 1 >= len(body):
                break
            esc = body[i + 1]
            if esc == "u":
                if i + 6 > len(body):
                    break
                try:
                    out.append(chr(int(body[i + 2:i + 6], 16)))
                except ValueError:
                    pass
                i += 6
                continue
            out.append({"n": "\n", "t": "\t", "r": "", "b": "", "f": ""}.get(esc, esc))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def passage_markers(answer: str) -> list[int]:
    """Passage numbers in the answer's [n] / [n, m] markers, in order of first appearance."""
    seen: list[int] = []
    for match in _MARKERS.finditer(answer):
        for number in re.split(r"\s*[,;]\s*", match.group(1)):
            if int(number) not in seen:
                seen.append(int(number))
    return seen


def _dedupe_run(match: re.Match) -> str:
    numbers = list(dict.fromkeys(re.findall(r"\d+", match.group(0))))
    return "".join(f"[{n}]" for n in numbers)


def renumber_markers(answer: str, mapping: dict[int, list[int]]) -> str:
    """Replace passage markers by citation numbers ([3] -> [1][2]); markers with no citation are removed."""
    def replace(match: re.Match) -> str:
        numbers: list[int] = []
        for number in re.split(r"\s*[,;]\s*", match.group(1)):
            numbers += [n for n in mapping.get(int(number), []) if n not in numbers]
        return "".join(f"[{n}]" for n in numbers)

    text = _MARKERS.sub(replace, answer)
    text = re.sub(r"(?:\[\d+\])+", _dedupe_run, text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()
