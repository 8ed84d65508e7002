"""Danish word classes and word frequencies, from general grammar and the packages the project installs.

Nothing here is tuned to one document: closed-class words, bound endings, inflection and derivation
endings, compound particles; wordfreq's Danish frequency list and the Snowball Danish stemmer (PyStemmer).
"""
from __future__ import annotations

import math
from functools import lru_cache

# Closed-class words: pronouns, articles, prepositions, conjunctions, auxiliaries, common adverbs.
# Next to one of these a line break is a word boundary ("alle" / "sammen", "og" / "så").
FUNCTION_WORDS = frozenset("""
af al aldrig alle allerede alt altid anden andet andre at bag bare begge blandt blev blevet blive bliver blot
både da de dem den denne der deres derfor dermed det dette dig din dine dit dog du efter eftersom eller en end
endnu ens er et ethvert for fordi fra før gennem ham han hans har havde have heller hende hendes her hermed hos
hun hvad hvem hver hvert hvilke hvilken hvilket hvis hvor hvordan hvorfor hvorimod hvornår hvorvidt i idet
ifølge igen ikke imod ind inden indtil ingen intet især ja jeg jer jo kan kun kunne langs ligesom man med meget
mellem men mens mere mest mig min mine mit mod må måske ned nej nemlig netop nogen noget nogle nok nu når og
også om omkring op os over på samme samt selv selvom sig sin sine sit skal skulle snarere som så sådan sådanne
sådant til trods ud uden under var ved vi via vil ville vor vore vores vort være været
""".split())

# Particles that are also first parts of compounds ("til" + "siger", "under" + "streger").
PARTICLES = frozenset("af bag efter for frem fra gennem hen ind med mellem mod ned om op over på sammen til ud "
                      "uden under ved".split())

# Endings that never stand alone as words: a line starting with one continues the word before it.
# (Endings that are also words, "lige", "lig", "ende", "ene", "hed", are left to the evidence.)
BOUND_ENDINGS = frozenset("""
ne erne ede else elsen elser elserne ning ningen ninger ningerne heden heder hederne ligt ligere ligste isk iske
iskt ighed igheden igheder tion tionen tioner tionerne sion sionen ering eringen eringer erede eret ster sterne
ligheden ligheder""".split())

# Function words that are also word endings ("grundlæggen|de", "arbej|det"): after a fragment they end it.
ENDING_LIKE = frozenset("de den der det en er et ne re se te ret ren".split())

# Definite endings of nouns ("indsats" + "en", "borger" + "ne"); "-et" is left out: it also ends participles.
DEFINITE_ENDINGS = ("en", "ne", "ene", "erne")

# Inflection endings: a known word plus one of these is a form of it ("topchef" -> "topcheferne").
INFLECTIONS = ("", "e", "en", "er", "et", "ne", "ene", "erne", "es", "ens", "ers", "ets", "s", "r", "t", "ede",
               "ende", "te", "st", "ste", "est", "este", "ernes", "enes", "nes", "ere")

# Derivation endings: a known stem plus one of these is a plausible (rare) word ("gear" + "ing").
DERIVATIONS = ("ing", "ering", "ning", "else", "hed", "lig", "isk", "er", "ere", "ede", "ende", "et", "tion",
               "ion", "ør", "ist", "isme", "itet", "skab", "dom", "som", "bar", "agtig", "mæssig", "vis")

VOWELS = "aeiouyæøå"


@lru_cache(maxsize=1)
def wordfreq_zipf() -> dict[str, float]:
    """Danish word -> Zipf frequency (log10 per billion words), from wordfreq's bundled list, loaded once."""
    import wordfreq

    return {w: math.log10(f * 1e9) for w, f in wordfreq.get_frequency_dict("da", wordlist="best").items()}


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("danish")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball Danish stem ("topcheferne" -> "topchef")."""
    return _stemmer().stemWord(word)
