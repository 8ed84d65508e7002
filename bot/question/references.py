"""References into an earlier answer: "uddyb nummer to", "og punkt 5?", "the second one", "og de to næste?",
"den sidste", "Tilbage til listen: hvad går det sjette punkt ud på?".

A follow-up that points at an item of an earlier answer is resolved against that answer's structure (the
citations a history turn carries, `bot.history`), not by re-reading its prose. The grammar, in both
languages:
  - a marker and a number: "nummer to", "nr 3", "nr. 3", "punkt 5", "number two", "point 3", "#3", "[2]";
  - an ordinal as the head of a pointing phrase: "den/det/de første", "the second one", "the third problem on
    your list", "det sjette punkt", or the bare ordinal in a short follow-up ("og den fjerde?", "nr 1 uddyb");
    in a longer question the ordinal must be followed by a word for a list element ("punkt", "ting", "one",
    "item", ...): "den første innovationsbølge" names a thing, "to the next" ends a clause of its own;
  - relative ones: "den næste" / "the next one" (the item after the one referred to last), "de to næste"
    (the next two), "den forrige" / "the previous one", "den sidste" / "the last one".
The items of an earlier answer are its list when it is one (a structured list: each citation a heading of the
report's own numbered list), else the things a quote enumerates ("... tre udfordringer ...: Mangel på
kompetencer ..., udfordringer med at dele data ... samt ..."), else its citations in order. The answer
pointed at is the latest one with that many items, a list before plain citations ("Tilbage til listen").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.question.terms import tokens

_DANISH_CARDINALS = {"en": 1, "et": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "syv": 7, "otte": 8}
_ENGLISH_CARDINALS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
_CARDINALS = {**_DANISH_CARDINALS, **_ENGLISH_CARDINALS}
_ORDINALS = {"første": 1, "foerste": 1, "forste": 1, "first": 1, "1st": 1, "anden": 2, "andet": 2, "second": 2,
             "2nd": 2, "tredje": 3, "third": 3, "3rd": 3, "fjerde": 4, "fourth": 4, "4th": 4, "femte": 5, "fifth": 5,
             "5th": 5, "sjette": 6, "sixth": 6, "6th": 6, "syvende": 7, "seventh": 7, "7th": 7, "ottende": 8,
             "eighth": 8, "8th": 8}
_RELATIVE = {"næste": "next", "naeste": "next", "next": "next", "following": "next", "forrige": "previous",
             "previous": "previous", "sidste": "last", "last": "last", "final": "last"}
# A marker takes a number of its own language ("nummer to", "number two"; "point to" is no pointer).
_MARKERS = {**{m: _DANISH_CARDINALS for m in "nummer nr punkt punktet citat citatet kilde".split()},
            **{m: _ENGLISH_CARDINALS for m in "number point item quote source".split()}}
_ARTICLES = frozenset("den det de the your dit din dine og and".split())
# Words for an element of a list, after an ordinal in a longer question: "the third problem on your list".
_ELEMENT = re.compile(r"^(?:one|ones|punkt\w*|point\w*|ting\w*|thing\w*|item\w*|spor\w*|track\w*|del\w*|part\w*|"
                      r"dimension\w*|element\w*|tema\w*|theme\w*|problem\w*|udfordring\w*|challenge\w*|hurdle\w*|"
                      r"barrier\w*|eksempel\w*|example\w*|citat\w*|quote\w*|kilde\w*|source\w*|af|of|på|on|in|i|"
                      r"du|you|mentioned|nævnte|naevnte|nævner|type\w*|form\w*|kind\w*|reason\w*|grund\w*|"
                      r"lyspunkt\w*|vilkår\w*|område\w*|area\w*|step\w*|trin\w*|faktor\w*|factor\w*)$")
_TIME_WORDS = frozenset("år året gang gangen tid uge ugen måned måneden dag dagen year years time times week month "
                        "day decade årti".split())  # "det sidste år": a time, not an item
_SHORT = 8  # words: a follow-up this short may point with a bare ordinal and any noun after it
_MAX_ITEMS = 8
_HEADING_QUOTE = 160  # characters: a structured list cites each item by its heading, short


@dataclass(frozen=True)
class Pointer:
    """What a follow-up points at: absolute positions (1-based), or `relative` ("next" | "previous" | "last")
    with `count` items."""

    positions: tuple[int, ...] = ()
    relative: str | None = None
    count: int = 1


@dataclass(frozen=True)
class PriorCitation:
    n: int
    quote: str
    section: str | None = None
    speaker: str | None = None
    nearest: bool = False


@dataclass(frozen=True)
class PriorAnswer:
    """One earlier exchange: the user's question and the bot's answer (its text and citations)."""

    question: str
    text: str
    citations: tuple[PriorCitation, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.citations) and all(c.nearest for c in self.citations)


@dataclass(frozen=True)
class Item:
    text: str
    section: str | None = None  # set when the item is a heading of the report's own list: its section path


_DANISH_ORDINALS = {1: "første", 2: "andet anden", 3: "tredje", 4: "fjerde", 5: "femte", 6: "sjette", 7: "syvende",
                    8: "ottende"}


@dataclass(frozen=True)
class Reference:
    """The items a follow-up points at, in the answer they come from."""

    items: tuple[Item, ...]
    answer: PriorAnswer
    positions: tuple[int, ...]
    is_list: bool = True

    @property
    def ordinal_words(self) -> str:
        """The positions as the report writes them ("For det første ...", "Det andet spor ...")."""
        return " ".join(_DANISH_ORDINALS.get(p, "") for p in self.positions).strip()

    @property
    def text(self) -> str:
        return " ".join(item.text for item in self.items)

    @property
    def section(self) -> str | None:
        """The section path of a single list item (its heading's section), for a section filter."""
        sections = {item.section for item in self.items}
        return sections.pop() if len(sections) == 1 else None


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word) if 1 <= int(word) <= _MAX_ITEMS else None
    return _CARDINALS.get(word) or _ORDINALS.get(word)


def find_pointer(question: str) -> Pointer | None:
    """The pointing phrase of `question`, read by the grammar in the module docstring; None when it has none."""
    text = question.casefold()
    glued = re.search(r"(?:#|\[|\bnr\.?|\bno\.)\s*([1-8])\b", text)
    if glued:
        return Pointer(positions=(int(glued.group(1)),))
    words = [w for w in re.findall(r"[\wæøå]+", text)]
    short = len(tokens(question)) <= _SHORT
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        if word in _MARKERS and (after.isdigit() or after in _MARKERS[word]) and _number(after):
            if before == "the" and not after.isdigit():
                continue  # "the number one priority": an idiom
            return Pointer(positions=(_number(after),))
        if word in _RELATIVE or word in _ORDINALS:
            # "de to næste" / "the next two": how many
            count = _CARDINALS.get(before, 0) if before not in ("en", "et", "one") else 0
            count = count or (_CARDINALS.get(after, 0) if after not in ("en", "et", "one") else 0) or 1
            pointing = before in _ARTICLES or before in _CARDINALS or i == 0 or before in _MARKERS
            if not pointing:
                continue
            follows = words[i + 2] if after in _CARDINALS and i + 2 < len(words) else after
            if follows in _TIME_WORDS or (not short and not (follows and _ELEMENT.match(follows))):
                # "den første innovationsbølge" names a thing; in a longer question a pointer names what it
                # points at ("det sjette punkt"), a bare "the next" / "den anden" belongs to its own clause
                continue
            if word in _RELATIVE:
                return Pointer(relative=_RELATIVE[word], count=min(count, 3))
            return Pointer(positions=tuple(range(_ORDINALS[word], _ORDINALS[word] + min(count, 3))))
    return None


def prior_answers(history: list[dict] | None) -> list[PriorAnswer]:
    """The exchanges of `history` (a user message, then the assistant message answering it), oldest first."""
    found: list[PriorAnswer] = []
    asked: str | None = None
    for message in history or []:
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            continue
        if message.get("role") == "user":
            asked = message["content"].strip()
        elif message.get("role") == "assistant" and asked is not None:
            cited = []
            for c in message.get("citations") or []:
                if isinstance(c, dict) and isinstance(c.get("quote"), str) and c["quote"].strip():
                    cited.append(PriorCitation(n=int(c.get("n") or len(cited) + 1), quote=" ".join(c["quote"].split()),
                                               section=c.get("section"), speaker=c.get("speaker"),
                                               nearest=bool(c.get("nearest"))))
            found.append(PriorAnswer(question=asked, text=message["content"], citations=tuple(cited)))
            asked = None
    return found


def _is_heading_list(citations: tuple[PriorCitation, ...]) -> bool:
    """Each citation is a short heading naming its own section: the report's list, cited item by item."""
    if len(citations) < 2:
        return False
    for c in citations:
        title = (c.section or "").split(" > ")[-1]
        if len(c.quote) > _HEADING_QUOTE or not title or " ".join(title.split()) not in c.quote:
            return False
    return True


# Where a sentence starts naming the things it lists: "...: A, B samt C", "bestående af A, B og C".
_LIST_CUE = re.compile(r":|\b(?:bestående af|nemlig|såsom|herunder|blandt andet|consisting of|namely|such as|including)\b",
                       re.IGNORECASE)


def enumerated(quote: str) -> list[str]:
    """The things a quote lists after a list cue (a colon, "bestående af", "such as", ...): at least three,
    separated by commas and a last "og"/"samt"/"and"; [] when it lists none."""
    cues = list(_LIST_CUE.finditer(quote))
    if not cues:
        return []
    body = quote[cues[-1].end():]
    body = re.split(r"\s[–—-]\s|[.;?!](?:\s|$)", body.strip())[0]
    parts = [p.strip() for p in body.split(",") if p.strip()]
    if len(parts) < 2:
        return []
    joiner = r"\s+samt\s+" if re.search(r"\ssamt\s", parts[-1]) else r"\s+(?:og|and|or|eller)\s+"
    last = re.split(joiner, parts[-1], maxsplit=1)
    items = parts[:-1] + [p.strip() for p in last if p.strip()]
    return items if 3 <= len(items) <= _MAX_ITEMS else []


def items_of(answer: PriorAnswer) -> tuple[list[Item], bool]:
    """(items, is_list): a structured list's headings, a quote's enumeration, else the citations in order."""
    citations = tuple(c for c in answer.citations if not c.nearest)
    if _is_heading_list(citations):
        return [Item(c.quote, c.section) for c in citations], True
    for c in citations:
        listed = enumerated(c.quote)
        if listed:
            return [Item(text) for text in listed], True
    return [Item(c.quote) for c in citations], False


def _last_position(history: list[dict] | None) -> int:
    """The position the latest earlier follow-up pointed at (for "den næste"); 1 when none did."""
    for prior in reversed(prior_answers(history)):
        pointer = find_pointer(prior.question)
        if pointer is not None and pointer.positions:
            return pointer.positions[-1]
    return 1


def resolve_reference(question: str, history: list[dict] | None) -> Reference | None:
    """The items of an earlier answer `question` points at; None when it points at none (module docstring)."""
    pointer = find_pointer(question)
    answers = prior_answers(history)
    if pointer is None or not answers:
        return None
    candidates = [(answer, *items_of(answer)) for answer in reversed(answers[-4:])]
    if pointer.relative in ("next", "previous"):
        last = _last_position(history)
        step = 1 if pointer.relative == "next" else -1
        positions = tuple(last + step * k for k in range(1, pointer.count + 1))
    elif pointer.relative == "last":
        positions = ()
    else:
        positions = pointer.positions
    if positions and min(positions) < 1:
        return None
    wanted = max(positions, default=2)
    # The latest list with enough items, else the latest answer with enough citations.
    for lists_only in (True, False):
        for answer, items, is_list in candidates:
            if (is_list or not lists_only) and len(items) >= wanted:
                chosen = positions or (len(items) - pointer.count + 1 + k for k in range(pointer.count))
                picked = tuple(p for p in chosen if 1 <= p <= len(items))
                return Reference(items=tuple(items[p - 1] for p in picked), answer=answer, positions=picked,
                                 is_list=is_list)
    return None
