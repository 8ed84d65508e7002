"""Speaker and section filters read from the question ("hvad sagde de regionale topledere om ...",
"what did the municipal leaders say about ...", "i afsnittet om klima ...", "punkt #3", "in the foreword")."""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.question.terms import content_terms, coverage, stem_set

SPEAKERS = {"regional": "Regional topleder", "kommunal": "Kommunal topleder", "statslig": "Statslig topleder"}

# Whole words only: "chefforeninger" and "ledelsesrum" name no speaker.
_LEADER = (r"(?:top)?(?:ledere?(?:n|ne|s|nes)?|chef(?:er|en|erne|s)?|direktør(?:er|en|erne|s)?|leaders?|managers?"
           r"|executives?|heads?|officials?|directors?)\b")
# "<sector adjective> ... <leader word>" within a few words: "de regionale topledere", "municipal leaders".
_SPEAKER_PATTERNS = {
    "regional": re.compile(rf"\bregional\w*\s+(?:\w+\s+){{0,2}}{_LEADER}|\b{_LEADER}\s+(?:fra|i|from|in)\s+regione\w*",
                           re.IGNORECASE),
    "kommunal": re.compile(rf"\b(?:kommunal\w*|municipal\w*|local)\s+(?:\w+\s+){{0,2}}{_LEADER}"
                           rf"|\b{_LEADER}\s+(?:fra|i|from|in)\s+(?:kommune\w*|municipalit\w*)", re.IGNORECASE),
    "statslig": re.compile(rf"\b(?:statslig\w*|state|government|national|central)\s+(?:\w+\s+){{0,2}}{_LEADER}"
                           rf"|\b{_LEADER}\s+(?:fra|i|from|in)\s+(?:staten|the state|government)", re.IGNORECASE),
}
# In a follow-up ("og hvad med regionerne?") the sector alone names the speaker.
_SECTOR_WORDS = {
    "regional": re.compile(r"\b(?:regione\w*|regional\w*|regions?)\b", re.IGNORECASE),
    "kommunal": re.compile(r"\b(?:kommune\w*|kommunal\w*|municipal\w*)\b", re.IGNORECASE),
    "statslig": re.compile(r"\b(?:staten|statslig\w*|state|government)\b", re.IGNORECASE),
}
_SECTION = re.compile(
    r"\b(?:i|under)\s+(?:afsnittet|kapitlet|delen|overskriften|punktet)\s+(?:om|med|hvor|\"|“)?\s*(?P<a>[^?,.;]+)"
    r"|\bin\s+the\s+(?:section|chapter|part)\s+(?:on|about|called|titled|\"|“)?\s*(?P<b>[^?,.;]+)",
    re.IGNORECASE)
# A report's standing parts, named in either language ("in the foreword", "i forordet"): the Danish title they
# carry. A part the report lacks matches no title, and the filter is dropped.
_PARTS = (
    (re.compile(r"\b(?:forord\w*|foreword|preface)\b", re.IGNORECASE), "forord"),
    (re.compile(r"\b(?:indledning\w*|introduction)\b", re.IGNORECASE), "indledning"),
    (re.compile(r"\b(?:sammenfatning\w*|resum[eé]\w*|executive\s+summary)\b", re.IGNORECASE), "sammenfatning"),
    (re.compile(r"\b(?:konklusion\w*|conclusions?)\b", re.IGNORECASE), "konklusion"),
    (re.compile(r"\b(?:bilag\w*|appendix|appendices|annex)\b", re.IGNORECASE), "bilag"),
)
_NUMBERED = re.compile(r"(?:#|\b(?:punkt|opmærksomhedspunkt|point|nummer|number|nr\.?)\s*#?)\s*(?P<n>[1-9])\b",
                       re.IGNORECASE)


@dataclass(frozen=True)
class Filters:
    speaker: str | None = None
    section_query: str | None = None  # words naming a section ("klima"), matched against section titles
    section_number: int | None = None  # "#3": the third of the numbered points

    @property
    def empty(self) -> bool:
        return self.speaker is None and self.section_query is None and self.section_number is None


def parse_speaker(text: str, loose: bool = False) -> str | None:
    """The speaker label named by `text`; `loose` also accepts a bare sector word (for follow-ups)."""
    found = [key for key, pattern in _SPEAKER_PATTERNS.items() if pattern.search(text)]
    if not found and loose:
        found = [key for key, pattern in _SECTOR_WORDS.items() if pattern.search(text)]
    return SPEAKERS[found[0]] if len(found) == 1 else None


def speaker_mentioned(label: str, text: str) -> bool:
    """Does `text` speak about the leaders `label` names ("flere af de kommunale topledere udtrykker ...")?
    Such narrative reports what they said as much as their own quoted words do."""
    key = next((k for k, v in SPEAKERS.items() if v == label), None)
    return key is not None and bool(_SPEAKER_PATTERNS[key].search(" ".join(text.split())))


def parse_filters(text: str, loose: bool = False) -> Filters:
    section = _SECTION.search(text)
    numbered = _NUMBERED.search(text)
    part = next((title for pattern, title in _PARTS if pattern.search(text)), None)
    return Filters(
        speaker=parse_speaker(text, loose=loose),
        section_query=(section.group("a") or section.group("b")).strip() if section else part,
        section_number=int(numbered.group("n")) if numbered else None,
    )


def filters_for(focus: str, previous: str | None) -> Filters:
    """Filters of a (possibly follow-up) question: what the user's new words name wins over the earlier question."""
    if previous is None:
        return parse_filters(focus)
    earlier = parse_filters(previous)
    # A bare sector word ("og hvad med regionerne?") switches the speaker only when the earlier question
    # asked for one; otherwise it is just part of the topic.
    own = parse_filters(focus, loose=earlier.speaker is not None)
    return Filters(speaker=own.speaker or earlier.speaker,
                   section_query=own.section_query or earlier.section_query,
                   section_number=own.section_number or earlier.section_number)


def matching_section_titles(section_query: str | None, section_number: int | None,
                            titles: list[str]) -> set[str]:
    """Section titles (as found in chunk section paths) that the filter names; empty when none fits."""
    chosen: set[str] = set()
    if section_number is not None:
        chosen |= {t for t in titles if re.match(rf"\s*#\s*{section_number}\b", t)}
    if section_query:
        terms = content_terms(section_query)
        scored = [(coverage(terms, stem_set(t)), t) for t in titles]
        best = max((s for s, _ in scored), default=0.0)
        if best >= 0.5:
            chosen |= {t for s, t in scored if s == best}
    return chosen
