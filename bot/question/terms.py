"""Words of a question and of the report, reduced so they can be compared: lower case, Danish stems, no
function words. Danish glues words together ("innovationsdagsorden"), so a question term also matches a
report word that starts or ends with it, and the other way round (both at least five letters long)."""
from __future__ import annotations

import re
import threading
from functools import lru_cache

_STEM_LOCK = threading.Lock()  # PyStemmer objects are not thread-safe

_ACRONYM = re.compile(r"\b[A-ZÆØÅ]{2}\b")
_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)

# Function words and question scaffolding in both languages: they say how something is asked, not what.
STOP_WORDS = frozenset("""
af al alle alt andet andre at bare bl blev blive bliver da de dem den denne der deres det dette dig din dine
disse du eller en end endnu er et efter for fordi fra få får godt gøre gør ham han hans har havde have hende
her hos hun hvad hvem hvilke hvilken hvilket hvis hvor hvordan hvorfor hvornår hvorledes i ikke ind ingen
jeg jer jo kan kun kunne man mange med meget mere mest mig min mine mod må måske når nogen noget nogle nu ny
nye og om op os også over på sagde sagt samme selv sig sin sine sit skal skulle som så sådan til ud uden
under var ved vi vil ville vores være været giv fortæl fortælle forklar beskriv beskrive nævn nævner siger sige
sagde mener synes tror handler ifølge rapporten rapport analysen analyse undersøgelsen egentlig lige helt
a about after all also an and any are as at be been being but by can could did do does doing for from had
has have how i if in into is it its me more most my no not of on or our say said says should so some than
that the their them then there these they this those to too us very was we were what when where which who
whom why will with would you your tell explain describe list name mention according report study analysis
give show does think mean means
""".split())


# Words nearly every question about this report may use ("what do the public top leaders say about
# innovation ..."): they frame a question, they do not name its subject.
FRAME_WORDS = frozenset("""
leaders leader top public sector innovation innovative report leadership managers manager
toplederne topledere topleder ledere offentlige offentlig innovation innovationen
many much like actually really exactly each
""".split())


def subject_words(text: str) -> str:
    """The question without its frame: what is left when question words, function words and the words
    every question about the report uses are taken out ("What will the weather be like in Copenhagen
    tomorrow?" -> "weather like copenhagen tomorrow")."""
    return " ".join(t for t in tokens(text) if t not in STOP_WORDS and t not in FRAME_WORDS
                    and len(t) > 2 and not t.isdigit())


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("danish")


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (numbers kept: "24", "1,5")."""
    return [t.lower() for t in _TOKEN.findall(text)]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    with _STEM_LOCK:
        return _stemmer().stemWord(word)


def content_terms(text: str) -> list[str]:
    """Stems of the words that carry the question's subject, in order, without repeats."""
    seen: list[str] = []
    acronyms = {a.lower() for a in _ACRONYM.findall(text)}  # "KL", "IT": short, but names
    for token in tokens(text):
        if token in STOP_WORDS or (len(token) < 3 and not token.isdigit() and token not in acronyms):
            continue
        stemmed = stem(token)
        if stemmed not in seen:
            seen.append(stemmed)
    return seen


@lru_cache(maxsize=16384)  # the report's sentences recur in every answer; stemming them again cost ~15% of an ask
def stem_set(text: str) -> frozenset[str]:
    """Stems of every word of a passage (stop words included: cheap, and harmless for matching)."""
    return frozenset(stem(t) for t in tokens(text))


COMPOUND_LETTERS = 5  # a term and a word this long may match as parts of one another (shorter: too many false hits)


def term_matches(term: str, stems: frozenset[str]) -> bool:
    """Is `term` among `stems`, directly or as part of a compound (either way round)?"""
    if term in stems:
        return True
    if len(term) < COMPOUND_LETTERS or term.isdigit():
        return False
    for word in stems:
        if len(word) < COMPOUND_LETTERS:
            continue
        if word.startswith(term) or word.endswith(term) or term.startswith(word) or term.endswith(word):
            return True
    return False


def coverage(terms: list[str], stems: frozenset[str]) -> float:
    """Share of `terms` found in `stems` (1.0 when there are no terms)."""
    if not terms:
        return 1.0
    return sum(term_matches(t, stems) for t in terms) / len(terms)
