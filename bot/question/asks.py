"""What kind of answer a question asks for (a count, an amount, a percentage, a date, a name, a list), and
whether a passage holds that kind of thing at all. Used twice: extractive answers prefer sentences that hold
it, and a question whose kind no candidate sentence holds is refused ("Hvor meget koster ..." when no nearby
sentence has an amount)."""
from __future__ import annotations

import re
from dataclasses import dataclass

NUMBER_WORDS = {
    "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "syv": 7, "otte": 8, "ni": 9, "ti": 10,
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}
# Not "en"/"et": nearly always the Danish article, so every sentence would hold a count ("én" is the number).
_NUMBER_WORDS_ANY = r"(?:én|ét|to|tre|fire|fem|seks|syv|otte|ni|ti|elleve|tolv|tyve|halvdelen|" \
                    r"one|two|three|four|five|six|seven|eight|nine|ten|half)"

_ASKS = {
    "percent": re.compile(r"\b(?:procent\w*|pct|percent\w*|percentage|andel\w*|share|proportion)\b|%", re.I),
    "amount": re.compile(r"\b(?:hvor\s+(?:mange|meget|store?)\s+(?:penge|kroner|kr|midler|millioner|mio)|"
                         r"hvor\s+meget\s+(?:koster|kostede|bruge\w*|bruger|brugte|investere\w*|spare\w*|spar\w*)|"
                         r"hvor\s+meget\s+(?:\w+\s+){0,4}(?:penge|kroner|koster|bruge\w*|bruger|investere\w*)\b|"
                         r"how\s+much\b(?!\s+(?:time|of|more|do\s+\w+\s+(?:say|know|talk)))|"
                         r"(?:spend|spent|spending|invest\w*)\s+(?:\w+\s+){0,3}(?:money|dkk|kroner)|"
                         # A money noun asks for an amount only as what the question asks for ("what was the
                         # total budget ...?"), not as its topic ("what did a leader complain about regarding
                         # the ministries' funding?" asks what was said).
                         r"\b(?:what|which|hvad|hvilk\w+|how\s+(?:big|large|high)|hvor\s+(?:stor\w*|høj\w*))\s+"
                         r"(?:(?:is|was|are|were|will|would|did|does|do|er|var|bliver|blev|the|its|their|den|det|de|"
                         r"dens|deres|samlede?|totale?|total|overall|average|gennemsnitlige?|årlige?|annual|it|"
                         r"analysen|rapporten)\s+){0,3}(?:[\w'’]+\s+(?:(?:is|was|are|were|er|var)\s+)?)?"
                         r"(?:budget\w*|beløb\w*|omkostning\w*|kost(?:er|ede)|costs?|price|pris(?:en)?|funding|"
                         r"bevilling\w*)\b|"
                         # "What is Region Nordjylland's annual innovation budget?": a copula, then a noun phrase
                         # that ends in the money noun, with no "about"/"om" that would make it a topic.
                         r"\b(?:what|hvad|how\s+(?:big|large|high)|hvor\s+(?:stor\w*|høj\w*))\s+(?:is|was|are|were|er|var)\s+"
                         r"(?:(?!about\b|regarding\b|on\b|to\b|towards?\b|with\b|om\b|til\b|på\b|med\b|vedrørende\b|angående\b|omkring\b)[\w'’-]+\s+){0,5}?"
                         r"(?:budget\w*|beløb\w*|omkostning\w*|costs?|price|pris(?:en)?|funding|bevilling\w*)\b|"
                         # Pay is an amount too: "hvor meget tjener ...", "lønnen", "salary".
                         r"hvor\s+meget\s+(?:tjener|tjente)\b|\bhvad\s+(?:er|var)\s+(?:\w+\s+){0,2}løn(?:nen)?\b|"
                         r"\b(?:what|how\s+high)\s+(?:is|was|are|were)\s+(?:\w+\s+){0,3}salar(?:y|ies)\b)", re.I),
    # English "when"/"who" ask only at the start of a clause ("... when they talk about" asks no date).
    # An age is a number of years ("hvor gammel er ...", "how old is ...").
    "age": re.compile(r"\b(?:hvor\s+gammel|how\s+old)\b", re.I),
    "date": re.compile(r"\b(?:hvornår|hvilke[nt]?\s+år(?:stal)?|hvilken\s+dato|hvilken\s+måned|årstal|what\s+year|"
                       r"which\s+year|what\s+date|in\s+what\s+year)\b|(?:^|[,;:]\s*|\band\s+)when\b", re.I),
    "count": re.compile(r"\b(?:hvor\s+mange|antal(?:let)?|how\s+many|number\s+of)\b", re.I),
    "name": re.compile(r"\b(?:hvad\s+hed\w*|hvad\s+hedder|what\s+is\s+the\s+name|navn\w*|name[sd]?)\b", re.I),
    # "Who/hvem" asks for a person or a group, and a group is often no name ("politikerne", "the central
    # level"): a sentence with a name scores a little higher, but the lack of one refuses nothing.
    "person": re.compile(r"\bhvem\b|(?:^|[,;:]\s*|\band\s+)(?:who|whom)\b", re.I),
}
# "How much" asks for money only with a money word; else for a quantity ("how much has one municipality cut its
# staffing per 1,000 inhabitants?").
_MONEY = re.compile(r"\b(?:money|cost\w*|spen[dt]\w*|pa(?:y|id|ys)|invest\w*|budget\w*|fund\w*|price\w*|kroner|dkk|"
                    r"kr|euros?|dollars?|salar\w*|earn\w*|wages?|penge|kost\w*|bevilling\w*|beløb\w*|løn\w*)\b", re.I)
_HOW_MUCH = re.compile(r"\bhow\s+much\b", re.I)
_HOLDS = {
    "percent": re.compile(r"\d\s*(?:%|pct|procent)|\bhalvdelen\b|\bhalf\b", re.I),
    "amount": re.compile(r"\d[\d.,]*\s*(?:kr\b|kroner|mio\b|mio\.|millioner|milliarder|mia\b|mia\.|mdr)|"
                         r"\d[\d.,]*\s*-\s*\d+\s*(?:mio|millioner)", re.I),
    "age": re.compile(r"\b\d{1,3}\s*år\b|\b\d{1,3}-årig|\b\d{1,3}\s+years?\s+old\b", re.I),
    # A year, a month, a weekday or a clock time ("åbent mellem kl. 17-22" answers "when is it open?").
    "date": re.compile(r"\b(?:1[89]\d\d|20\d\d)\b|\b(?:januar|februar|marts|april|maj|juni|juli|august|september|"
                       r"oktober|november|december|mandag\w*|tirsdag\w*|onsdag\w*|torsdag\w*|fredag\w*|lørdag\w*|"
                       r"søndag\w*)\b|\bkl\.\s*\d", re.I),
    # A number that counts something named after it ("24 udvalgte topledere", "fem regionale"): not a year
    # ("CO2-neutralitet i 2030"), not a clock time ("åbent mellem kl. 17-22").
    "count": re.compile(rf"(?:(?<![\w.,])(?<!kl\.\s)(?!(?:19|20)\d\d(?!\d))\d+(?:[.,]\d+)?|\b{_NUMBER_WORDS_ANY})"
                        r"\s+[a-zæøå]", re.I),
    # A capitalised word that does not open the sentence, or an acronym: a name of a person, body or place.
    "name": re.compile(r"(?<=[^.!?:\s“\"]\s)[A-ZÆØÅ][a-zæøå]+|\b[A-ZÆØÅ]{2,}\b"),
}
_HOLDS["person"] = _HOLDS["name"]
_LIST = re.compile(
    r"\b(?:hvilke|hvad\s+er\s+de|nævn|list|which|what\s+are\s+the|name\s+the|opremse?)\b", re.I)


@dataclass(frozen=True)
class Asks:
    kind: str | None  # "percent" | "amount" | "age" | "date" | "count" | "name" | "person" | None (open question)
    list_size: int | None  # "de seks opmærksomhedspunkter" -> 6
    is_list: bool


def _list_size(question: str) -> int | None:
    for word in re.findall(r"[^\W_]+", question.lower()):
        if word in NUMBER_WORDS and word not in {"to", "ti"}:  # "to" is also a preposition, "ti" rare
            return NUMBER_WORDS[word]
        if word.isdigit() and 2 <= int(word) <= 10:
            return int(word)
    match = re.search(r"\b(?:de|the)\s+(to|ti)\b", question.lower())
    return NUMBER_WORDS[match.group(1)] if match else None


def what_is_asked(question: str) -> Asks:
    kind = next((k for k, pattern in _ASKS.items() if pattern.search(question)), None)
    if kind == "amount" and _HOW_MUCH.search(question) and not _MONEY.search(question):
        kind = "count"
    size = _list_size(question)
    is_list = bool(size) and bool(_LIST.search(question) or re.search(r"\b(?:de|the)\s+\w+\s+\w+", question, re.I))
    if kind == "count" and size:
        kind = None  # "hvilke tre udfordringer ..." names the count; it asks for the items
    return Asks(kind=kind, list_size=size, is_list=is_list)


def given_words(question: str) -> frozenset[str]:
    """The question's words (letters only, lower case): names it already gives are not an answer."""
    return frozenset(w.lower() for w in re.findall(r"[^\W\d_]+", question))


def holds(kind: str | None, text: str, given: frozenset[str] = frozenset()) -> bool:
    """Does `text` hold the kind of thing asked for? (True for open questions.) A name asked for must be one
    the question does not already give: "Hvad hedder direktøren for Center for Offentlig Innovation?" is not
    answered by a sentence whose only names are "Center for Offentlig Innovation"."""
    if kind is None:
        return True
    if kind not in ("name", "person") or not given:
        return bool(_HOLDS[kind].search(text))
    return any(not _is_given(m.group(0).lower(), given) for m in _HOLDS["name"].finditer(text))


def _is_given(name: str, given: set[str]) -> bool:
    # "Vejle" is given by "Vejles", "Rigspolitiet" by "rigspolitiets": same start, a short inflection apart.
    return any(name == g or (len(name) >= 4 and len(g) >= 4 and (name.startswith(g) or g.startswith(name))
                             and abs(len(name) - len(g)) <= 3) for g in given)


_CLAUSES = re.compile(r"[?;]\s+|,\s+(?=(?:og|eller|men|and|or|but)\b)|\s+(?=(?:og|and)\s+(?:hvad|hvem|hvor\w*|hvilke\w*|"
                      r"hvorfor|hvornår|what|who|how|which|why|when|where)\b)", re.I)


def asking_clause(question: str, kind: str | None) -> str:
    """The clause of a many-part question that asks for `kind` ("Hvornår blev arbejdet sat i gang, og var det
    meningen ...?" -> "Hvornår blev arbejdet sat i gang"); the whole question when no one clause does."""
    if kind is None:
        return question
    clauses = [c for c in _CLAUSES.split(question) if c and c.strip()]
    asking = [c for c in clauses if _ASKS[kind].search(c)]
    return asking[0] if len(clauses) > 1 and len(asking) == 1 else question
