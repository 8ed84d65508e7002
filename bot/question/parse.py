"""One parsed question, made once per ask, handed to the answer engine and the LLM path.

Each step of answering used to re-tokenise and re-stem the raw text (the terms module was walked six times
per ask). Here the raw question and its history become one `Question`: the resolved text, the user's own
words, the language, what kind of answer is asked for, terms and stems, subject words, filters, the
follow-up's referent and a few flags read off the wording. `bot.answer` and `bot.llm` read these fields and
never parse the question text again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.question.asks import Asks, asking_clause, given_words, what_is_asked
from bot.question.filters import Filters, filters_for
from bot.question.followup import ResolvedQuestion, resolve_followup
from bot.question.language import detect_language, language_scores
from bot.question.overview import is_about_the_report
from bot.question.terms import STOP_WORDS, content_terms, stem, subject_words, tokens

# "Write me a poem about spring": a request to make something, not a question the report could answer.
_CREATIVE_TASK = re.compile(
    r"\b(?:write|compose|make|skriv|lav|digt)\s+(?:me\s+|us\s+|mig\s+|os\s+)?(?:a|an|et|en)\s+(?:\w+\s+)?"
    r"(?:poem|song|story|joke|limerick|haiku|rap|digt|sang|historie|vittighed|rim)\b", re.IGNORECASE)
# A web address is what is asked for ("hvad er COI's hjemmeside?").
_ASKS_ADDRESS = re.compile(r"\b(?:hjemmeside\w*|website|web\s*site|web|link\w*|url|adresse\w*|address\w*|"
                           r"læse\s+mere|read\s+more|find\s+(?:mere|more|out\s+more))\b", re.IGNORECASE)
# A figure's source or caption is what is asked for.
_ASKS_SOURCE = re.compile(r"\b(?:kilde\w*|source\w*|figur\w*|tabel\w*|table\w*|bog\w*|book\w*|illustration\w*)\b",
                          re.IGNORECASE)
# "Hvor mange regionale topledere ...": the words naming what is counted.
_COUNTED = re.compile(r"\b(?:hvor\s+mange|antal(?:let)?(?:\s+af)?|how\s+many|number\s+of)\s+(.+)", re.IGNORECASE)
# A person's name: two or three capitalised words ("Christian Boel", "Niels Nybye Ågesen"), not after a full
# stop, not a body ("Region Nordjylland").
_PERSON = re.compile(r"(?<![.!?]\s)\b(?!(?:Region|Kommune|Center|Danmarks|Det|Den|De|The|Danish)\b)[A-ZÆØÅ]"
                     r"[a-zæøåé]+(?:\s+[A-ZÆØÅ][a-zæøåé]+){1,2}\b")
# What someone said, thinks or told: asked of a named person, the report cannot answer it (it quotes anonymously).
_OPINION = re.compile(r"\b(?:sag(?:de|t)|sige[rt]?|men(?:er|te)|synes|syntes|fortæl\w*|fortalte|udtal\w*|tænk\w*|"
                      r"mening\w*|holdning\w*|syn\s+på|anbefal\w*|said|say|says|saying|think\w*|thought|believe\w*|"
                      r"told|tell|view\w*|opinion\w*|feel\w*|recommend\w*|stance|position\s+on)\b", re.IGNORECASE)
_HEADING_NUMBER = re.compile(r"#\d+")
_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:[.,]\d{3})+(?![\d])|(?<![\w.,])\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class Question:
    """A question as the answer engine reads it. `text` is what retrieval searches for (a follow-up joined
    with its topic question, the report's title added to questions about the whole report); `focus` is the
    user's own words this turn; `previous` the earlier question a follow-up leans on."""

    raw: str
    text: str
    standalone: str  # `text` without the report's title: what a model is asked
    focus: str
    previous: str | None
    language: str
    asks: Asks
    terms: tuple[str, ...]  # content stems of `text`, in order, no repeats
    subject: str  # `text` without its frame (question words, function words, words every question uses)
    words: tuple[str, ...]  # lower-cased tokens of `text`
    given: frozenset[str]  # its words of letters only: a name it gives is no answer to "who"
    kind_terms: tuple[str, ...]  # content stems of the clause that asks for the kind
    counted: tuple[str, ...]  # "hvor mange regionale topledere" -> stems of the counted words (regional, topled)
    numbers: frozenset[str]  # numbers of `text` as digits only, years left out
    filters: Filters = field(default_factory=Filters)
    about_report: bool = False
    creative_task: bool = False
    wants_address: bool = False
    wants_source: bool = False
    names: tuple[str, ...] = ()  # people it names, as written ("Christian Boel")
    asks_opinion: bool = False  # it asks what someone said, thinks or recommends

    @property
    def is_followup(self) -> bool:
        return self.previous is not None

    @property
    def resolved(self) -> ResolvedQuestion:
        return ResolvedQuestion(text=self.text, focus=self.focus, previous=self.previous)


def numbers_of(text: str) -> frozenset[str]:
    """Numbers as digits only ("1,000" and "1.000" -> "1000", "1,5" -> "15"), years left out: a year is
    printed everywhere and says little of what a question is about."""
    found = {re.sub(r"[.,]", "", n) for n in _NUMBER.findall(text)}
    return frozenset(n for n in found if not (len(n) == 4 and 1900 <= int(n) <= 2100))


def counted_terms(text: str) -> tuple[str, ...]:
    """Stems of the words naming what `text` counts; () when it names none."""
    match = _COUNTED.search(text)
    terms: list[str] = []
    for word in tokens(match.group(1))[:3] if match else []:
        if word in STOP_WORDS:
            break
        terms.append(stem(word))
    return tuple(terms)


def _language(resolved: ResolvedQuestion) -> str:
    """The follow-up's own language when it shows one clearly, else the earlier question's."""
    if resolved.previous is not None and abs(language_scores(resolved.focus)) < 2.0:
        return detect_language(resolved.previous)
    return detect_language(resolved.focus)


def _filters(resolved: ResolvedQuestion) -> Filters:
    """The filters of the question; a reference into an earlier answer narrows to the section of the list item
    it points at (a heading of the report's own list), and its number names an item, not a "#N" section."""
    filters = filters_for(resolved.focus, resolved.previous)
    reference = resolved.reference
    if reference is None:
        return filters
    section = reference.section.split(" > ")[-1] if reference.section else None
    return Filters(speaker=filters.speaker, section_query=section or filters.section_query)


def parse_question(raw: str, history: list[dict] | None = None, condensed: str | None = None,
                   report_titles: str = "") -> Question:
    """`raw` (already cleaned of control characters) with its `history` as one Question. `condensed`: the
    LLM's standalone rewrite of a follow-up; `report_titles`: the store's document titles, searched with
    questions about the report as a whole."""
    resolved = resolve_followup(raw, history)
    if condensed and condensed.strip() and condensed.strip() != raw:
        resolved = ResolvedQuestion(text=condensed.strip(), focus=raw, previous=resolved.previous or condensed.strip(),
                                    reference=resolved.reference)
    about = is_about_the_report(resolved.focus)
    text = f"{resolved.text} {report_titles}" if about and report_titles else resolved.text
    # A pointing follow-up asks what its own words ask of the item, not the listing question's "which six ...".
    # Its item's "#2" numbers a heading, it does not ask for two things.
    asks = what_is_asked(f"{raw} {_HEADING_NUMBER.sub(' ', resolved.reference.text)}" if resolved.reference else text)
    return Question(
        raw=raw, text=text, standalone=resolved.text, focus=resolved.focus, previous=resolved.previous, language=_language(resolved),
        asks=asks, terms=tuple(content_terms(text)), subject=subject_words(text), words=tuple(tokens(text)), given=given_words(text),
        kind_terms=tuple(content_terms(asking_clause(text, asks.kind))),
        counted=counted_terms(text), numbers=numbers_of(text),
        filters=_filters(resolved), about_report=about,
        creative_task=bool(_CREATIVE_TASK.search(text)), wants_address=bool(_ASKS_ADDRESS.search(text)),
        wants_source=bool(_ASKS_SOURCE.search(text)), names=tuple(_PERSON.findall(resolved.focus)),
        asks_opinion=bool(_OPINION.search(resolved.focus)))
