"""Raw pages -> one cleaned text with page offsets.

What cleaning removes, and only that (every word of the source stays, in order):
- lines holding only "-" or "- -", printed page footers (a number plus the running title), and
  "Denne side er med vilje efterladt uden indhold."; in a PDF also a bare page number ("12", "Side 3 af 9")
  as a page's first or last line;
- line breaks inside a word: the second half moves up to join the first ("interes" / "serede" ->
  "interesserede"; "innovati-" / "onsdagsorden" -> "innovationsdagsorden"), judged by ingest.dehyphen;
  suspended hyphens ("Børne- og") and hyphens after acronyms or digits ("CO2-neutralt") stay;
- blank lines inside a sentence (a page or column break): a line that does not end a sentence, then
  blank lines, then a line starting in lower case.
Lines are otherwise kept one for one (stripped; runs of blank lines become one), so headings stay short
lines. Markdown is taken as written: only line ends are normalised.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from ingest.dehyphen import SplitJudge, build_judge
from ingest.textpages import BLANK_PAGE, find_footers
from ingest.types import CleanDocument, RawDocument

_DASH_LINE = re.compile(r"^\s*-(\s*-)*\s*$")
_ENDS_WORD = re.compile(r"(\w+)$")
_ENDS_HYPHEN = re.compile(r"(\w+)-$")
_STARTS_LOWER = re.compile(r"^([^\W\d_A-ZÆØÅ]\w*)")  # a lower-case word
_SENTENCE_END = re.compile(r"[.!?:;…][”\"’')\]]*$")
_UNIT_LINE = re.compile(r"^([-–] |\().*")  # "- Kommunal topleder", "(Statslig topleder)": a unit of its own
_SUSPENDED = frozenset({"og", "eller", "samt", "til", "el", "and", "or"})  # "Børne- og Kulturchef..."
_ACRONYM = re.compile(r"\d|[A-ZÆØÅ].*[A-ZÆØÅ]")  # "CO2-", "IT-": the hyphen belongs to the word


@dataclass
class Join:
    """One repaired split: line `line` ended in `left` (+ "-" when `hyphen`), the next text line began with
    `right`. `kept_hyphen`: the hyphen stays in the joined word."""

    line: int
    left: str
    right: str
    hyphen: bool = False
    kept_hyphen: bool = False
    moved: str = ""  # the text moved up: `right` with any punctuation attached ("onsarbejdet.")


@dataclass
class CleanLines:
    lines: list[str]
    pages: list[int | None]
    joins: list[Join] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)  # source line indexes removed as artifacts


def clean_document(raw: RawDocument) -> CleanDocument:
    lines: list[str] = []
    pages: list[int | None] = []
    page_numbers: set[int] = set()  # PDF: bare page numbers printed at the top or bottom of a page
    for page in raw.pages:
        page_lines = page.text.replace("\r\n", "\n").split("\n")
        if raw.kind == "pdf":
            page_numbers |= {len(lines) + k for k in _page_number_lines(page_lines)}
        lines += page_lines
        pages += [page.number] * len(page_lines)
    if raw.kind == "md":
        result = _collapse([line.rstrip() for line in lines], pages, set(), [], [])
    else:
        result = clean_lines(lines, pages, page_numbers)
    return _assemble(raw.doc_id, result)


def clean_text(text: str) -> str:
    """The cleaned form of a plain text (what `rapportbot clean` prints)."""
    lines = text.split("\n")
    return "\n".join(clean_lines(lines, [None] * len(lines)).lines)


def artifact_lines(lines: list[str]) -> set[int]:
    """Indexes of lines that are extraction artifacts: dash lines, footers, blank-page notices."""
    footers = find_footers(lines)
    return {i for i, line in enumerate(lines)
            if i in footers or (line.strip() and _DASH_LINE.match(line)) or BLANK_PAGE.match(line)}


def clean_lines(lines: list[str], pages: list[int | None], also_drop: set[int] = frozenset()) -> CleanLines:
    dropped = artifact_lines(lines) | set(also_drop)
    text = [None if i in dropped else line.strip() for i, line in enumerate(lines)]
    content = [i for i, t in enumerate(text) if t]
    pairs = list(zip(content, content[1:]))
    # footers count as evidence: "innovationsdagsorden" written whole in the running title is a real word
    judge = build_judge([line.strip() for line in lines], _find_breaks(text, pairs))
    hyphenated = Counter(m.lower() for t in text if t for m in re.findall(r"\w+-\w+", t))

    joins: list[Join] = []
    removed: set[int] = set(dropped)
    k = 0
    while k < len(content):
        i = content[k]
        nxt = k + 1
        while nxt < len(content) and not text[content[nxt]]:
            removed.add(content[nxt])  # emptied by an earlier join
            nxt += 1
        if nxt >= len(content):
            break
        j = content[nxt]
        join = _decide(text[i], text[j], i, judge, hyphenated)
        if join:
            joins.append(join)
            first, _, rest = text[j].partition(" ")
            join.moved = first
            stem = text[i][:-1] if join.hyphen and not join.kept_hyphen else text[i]
            text[i] = stem + first
            text[j] = rest.lstrip()
        if join or _continues(text[i], text[j]):
            removed.update(b for b in range(i + 1, j) if not text[b])  # blank lines inside the sentence
        if join and not text[j]:
            removed.add(j)
            content[nxt] = i  # the joined line may continue into the line after
            k = nxt
            continue
        k = nxt
    return _collapse(text, pages, removed, joins, sorted(dropped))


_BARE_PAGE_NUMBER = re.compile(r"^\s*(?:side|page|s\.)?\s*\d{1,4}\s*(?:(?:/|af|of)\s*\d{1,4})?\s*$", re.IGNORECASE)


def _page_number_lines(page_lines: list[str]) -> list[int]:
    """Indexes of a PDF page's first and last text lines when they hold only a page number ("12", "Side 3 af 9")."""
    filled = [k for k, line in enumerate(page_lines) if line.strip()]
    edges = {filled[0], filled[-1]} if filled else set()
    return sorted(k for k in edges if _BARE_PAGE_NUMBER.match(page_lines[k]))


def _find_breaks(text: list[str | None], pairs: list[tuple[int, int]]) -> list[tuple[int, int, str, str]]:
    """Where a word could be split: a line ending in a word (or word + "-"), then a lower-case one."""
    breaks = []
    for i, j in pairs:
        right = _STARTS_LOWER.match(text[j])
        left = _ENDS_HYPHEN.search(text[i]) or _ENDS_WORD.search(text[i])
        if right and left:
            breaks.append((i, j, left.group(1), right.group(1)))
    return breaks


def _decide(line: str, following: str, i: int, judge: SplitJudge, hyphenated: Counter) -> Join | None:
    right_m = _STARTS_LOWER.match(following)
    if not right_m:
        return None
    right = right_m.group(1)
    hyphen_m = _ENDS_HYPHEN.search(line)
    if hyphen_m:
        left = hyphen_m.group(1)
        if right.lower() in _SUSPENDED:
            return None
        keep = bool(_ACRONYM.search(left)) or hyphenated[f"{left}-{right}".lower()] > 0
        return Join(i, left, right, hyphen=True, kept_hyphen=keep)
    word_m = _ENDS_WORD.search(line)
    if word_m and judge.should_join(word_m.group(1), right):
        return Join(i, word_m.group(1), right)
    return None


def _continues(line: str, following: str) -> bool:
    """The sentence runs on from `line` into `following` (so blank lines between them are a page break)."""
    return (bool(_STARTS_LOWER.match(following)) and not _SENTENCE_END.search(line)
            and not _UNIT_LINE.match(line))


def _collapse(text: list[str | None], pages: list[int | None], removed: set[int], joins: list[Join],
              dropped: list[int]) -> CleanLines:
    out_lines: list[str] = []
    out_pages: list[int | None] = []
    for i, t in enumerate(text):
        if i in removed or t is None:
            continue
        if not t and (not out_lines or not out_lines[-1]):
            continue  # one blank line is a paragraph break; more add nothing
        out_lines.append(t)
        out_pages.append(pages[i])
    while out_lines and not out_lines[-1]:
        out_lines.pop()
        out_pages.pop()
    return CleanLines(out_lines, out_pages, joins, dropped)


def _assemble(doc_id: str, result: CleanLines) -> CleanDocument:
    starts: list[tuple[int, int | None]] = []
    offset = 0
    for line, page in zip(result.lines, result.pages):
        if line and (not starts or starts[-1][1] != page):
            starts.append((offset, page))
        offset += len(line) + 1
    if starts:
        starts[0] = (0, starts[0][1])
    return CleanDocument(doc_id=doc_id, text="\n".join(result.lines), page_starts=starts)


_QUOTES = str.maketrans({c: '"' for c in "“”„‟«»″"} | {c: "'" for c in "‘’‚‛‹›′`´"})
_DASHES = re.compile(r"[-\u2010-\u2015\u2212\u00ad]")
_SPACE = re.compile(r"\s+")


def normalise_for_match(text: str) -> str:
    """Matching key for finding a cleaned-text quote in the raw text (or the reverse). Case is kept.

    Quote marks become plain " and ', NFKC folds compatibility forms; hyphens, dashes and soft hyphens and
    all whitespace are dropped: line breaks, splits ("interes \\n\\nserede"), hyphenation ("innovati-\\nonen")
    and reflowed lines then all give the same key. The key is for comparing, not for showing."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACE.sub("", _DASHES.sub("", text))
