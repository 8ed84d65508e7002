"""Follow-up questions in extractive mode ("og hvad med regionerne?", "and the state leaders?", "uddyb det",
"uddyb nummer to", "hvem sagde det?").

A question that points into an earlier answer ("uddyb nummer to", "the second one", "og de to næste?") is
resolved against that answer's citations first (bot/question/references.py): the text retrieved for is the
item pointed at, the Danish ordinal and the question that listed it. Otherwise a question is a follow-up when
there is an earlier user question in the history, it is not announced as new ("Noget andet – ...", "OK, new
question: ...", "switching topics") and
  - it asks to put the last answer differently ("kan du sige det kortere?", "what do you mean by ...?"), or is
    bare (at most 3 words: "løsninger?", "any downsides?"),
  - it points back through a pronoun ("that", "it", "dem", "det" before a function word or at the end:
    "hvem sagde det med tsunamien?") and names at most five subject words of its own, or, when short (at most
    8 words), it
  - opens like a continuation ("og ...", "men ...", "hvad med ...", "and ...", "what about ...", "how about ..."),
  - asks to go on ("uddyb", "mere", "hvorfor?", "eksempel", "elaborate", "why?", "more") and names at most
    one subject word of its own, or
  - leans on the earlier question through a pronoun and names no subject of its own beyond two words.
A continuation with words of its own ("og regionerne?") is retrieved for as the new words plus the topic
question (the last earlier question that was not itself a follow-up, so "og hvad med staten?" after "og hvad
med regionerne?" keeps the first topic); any other follow-up ("hvorfor?", "giv et eksempel på det") as the new
words plus what the last turn was about (that turn resolved in turn, so after "uddyb nummer to" it is the
second item). A speaker or section named in the new question replaces the one in the earlier question. With an
LLM, the service asks the model to condense the conversation instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.question.references import Reference, find_pointer, prior_answers, resolve_reference
from bot.question.terms import content_terms, tokens

_MAX_WORDS = 8
_CONTINUATION = re.compile(
    r"^\s*(og|men|så|hvad med|hvad så med|hvordan med|end|and|but|so|what about|how about|and what about)\b",
    re.IGNORECASE)
_GO_ON = re.compile(
    r"\b(uddyb\w*|mere|flere|hvorfor|hvordan|eksempl?\w*|forklar|elaborate|more|why|how|examples?|explain|details?)\b",
    re.IGNORECASE)
# A new question announced as such ("Noget andet - ...", "OK, new question: ...") never leans on the topic.
_SWITCH = re.compile(r"\b(?:noget\s+(?:helt\s+)?andet|helt\s+andet|(?:et\s+)?(?:nyt|andet)\s+spørgsmål|skift\w*\s+emne|"
                     r"new\s+question|different\s+(?:thing|question|topic)|another\s+(?:thing|question|topic)|"
                     r"switch\w*\s+(?:topic|subject)\w*|(?:totally|completely|entirely)\s+different|change\s+of\s+(?:topic|subject)|never\s+mind|quick\s+one)\b",
                     re.IGNORECASE)
# Asking to put the last answer differently ("kan du sige det kortere?", "what do you mean by ...?").
_CLARIFY = re.compile(r"\b(?:what\s+do\s+you\s+mean|hvad\s+mener\s+du|hvad\s+betyder\s+det|plain\s+english|"
                      r"in\s+other\s+words|med\s+andre\s+ord|kortere|shorter|simpl(?:er|y)|enklere|one\s+sentence|"
                      r"én\s+sætning|en\s+sætning|almindelige\s+ord|plain\s+words|kort\s+version|short\s+version|"
                      r"sig\s+det\s+igen|say\s+that\s+again)\b", re.IGNORECASE)
_BARE_WORDS = 3  # "løsninger?", "any downsides?", "kort version?": no question of their own
_MAX_OWN_SUBJECT = 5  # a question pointing back ("why did that one council boss stop using it?") may name this much
# Pronouns that point back whatever follows them; "det/den" only before a function word or at the end.
_BACK = re.compile(r"\b(?:that|those|it|them|her|him|his|hers|dem|hende|ham|hans|dette|disse|"
                   r"(?:det|den)(?=\s*(?:$|[?,.!]|\s(?:med|om|på|til|i|for|ud|så|der|som|at|af|lige|igen|kortere)\b)))\b",
                   re.IGNORECASE)


def _points_back(question: str) -> bool:
    return bool(_BACK.search(question.strip()))


_PRONOUNS = frozenset("dem deres han hun it they them their that this those these he she".split())
# Danish "det/den/de" are also articles ("den nye syntese"): they point back only at the end of the question.
_ARTICLE_PRONOUNS = frozenset("det den de dette disse".split())


@dataclass(frozen=True)
class ResolvedQuestion:
    """What to retrieve for: `text` (the question, or follow-up + earlier question), `focus` (the user's own
    words, where a new speaker/section wins), `previous` (the earlier question, or None)."""

    text: str
    focus: str
    previous: str | None = None
    reference: Reference | None = None  # the items of an earlier answer the question points at

    @property
    def is_followup(self) -> bool:
        return self.previous is not None


def user_questions(history: list[dict] | None, current: str | None = None) -> list[str]:
    """The user messages of `history`, oldest first (without a trailing copy of the current question)."""
    found: list[str] = []
    for message in history or []:
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str) and content.strip():
            found.append(content.strip())
    if found and current is not None and found[-1] == current.strip():
        found.pop()
    return found


def topic_question(history: list[dict] | None, current: str | None = None) -> str | None:
    """The last earlier user question that was not itself a follow-up (or the very first one)."""
    questions = user_questions(history, current)
    for question in reversed(questions):
        if not looks_like_followup(question) and find_pointer(question) is None:
            return question
    return questions[0] if questions else None


def looks_like_followup(question: str) -> bool:
    words = tokens(question)
    if not words or _SWITCH.search(question):
        return False
    if _CLARIFY.search(question) or len(words) <= _BARE_WORDS:
        return True
    if _points_back(question) and len(content_terms(question)) <= _MAX_OWN_SUBJECT:
        return True
    if len(words) > _MAX_WORDS:
        return False
    if _CONTINUATION.search(question):
        return True
    subject_words = len(content_terms(question))
    if _GO_ON.search(question) and subject_words <= 1:
        return True
    leans_back = any(w in _PRONOUNS for w in words) or words[-1] in _ARTICLE_PRONOUNS
    return leans_back and subject_words <= 2


def resolve_followup(question: str, history: list[dict] | None) -> ResolvedQuestion:
    """The question to retrieve for, given the conversation so far (see the module docstring)."""
    reference = resolve_reference(question, history)
    if reference is not None:
        # "uddyb nummer to": the item pointed at, with the question that listed it
        listed = reference.answer.question
        topic = topic_question(history, current=question)
        context = listed if topic in (None, listed) or not looks_like_followup(listed) else f"{listed} {topic}"
        # The item's own words find it; the pointing words ("tell me more about the second one") only add
        # noise, the Danish ordinal meets the report's "For det andet ...", the listing question the topic.
        return ResolvedQuestion(text=f"{reference.text} {reference.ordinal_words} {context}",
                                focus=question, previous=listed, reference=reference)
    previous = topic_question(history, current=question)
    if previous is None or not looks_like_followup(question):
        return ResolvedQuestion(text=question, focus=question)
    if _CONTINUATION.search(question) and len(content_terms(question)) >= 1:
        # "og regionerne?", "and the state leaders?": the new words replace part of the topic question
        return ResolvedQuestion(text=f"{question} {previous}", focus=question, previous=previous)
    # "hvorfor?", "hvem sagde det?", "giv et eksempel på det": about what the last turn was about, which for
    # a follow-up itself is its own resolved text ("uddyb nummer to" -> the second item)
    prior = prior_answers(history)
    about = resolve_followup(prior[-1].question, _history_before(history)).text if prior else previous
    return ResolvedQuestion(text=f"{question} {about}", focus=question, previous=previous)


def _history_before(history: list[dict] | None) -> list[dict]:
    """`history` without its last exchange (the last user message and what follows it)."""
    messages = list(history or [])
    last_user = max((i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "user"), default=0)
    return messages[:last_user]
