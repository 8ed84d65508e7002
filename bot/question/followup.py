"""Follow-up questions in extractive mode ("og hvad med regionerne?", "and the state leaders?", "uddyb det").

The heuristic, in full: a question is a follow-up when there is an earlier user question in the history and
the new one is short (at most 8 words) and either
  - opens like a continuation ("og ...", "men ...", "hvad med ...", "and ...", "what about ...", "how about ..."),
  - asks to go on ("uddyb", "mere", "hvorfor?", "eksempel", "elaborate", "why?", "more") and names at most
    one subject word of its own, or
  - leans on the earlier question through a pronoun ("det", "den", "de", "dem", "it", "they", "that", ...)
    and names no subject of its own beyond at most two words.
A follow-up is answered as the earlier question's topic plus the new words: the text used for retrieval is
the new question followed by the topic question (the last earlier question that was not itself a
follow-up, so "og hvad med staten?" after "og hvad med regionerne?" keeps the first topic), and a speaker or section named in the new question replaces the
one in the earlier question. With an LLM, the service asks the model to condense the conversation instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.question.references import Reference, find_pointer, resolve_reference
from bot.question.terms import content_terms, tokens

_MAX_WORDS = 8
_CONTINUATION = re.compile(
    r"^\s*(og|men|så|hvad med|hvad så med|hvordan med|end|and|but|so|what about|how about|and what about)\b",
    re.IGNORECASE)
_GO_ON = re.compile(
    r"\b(uddyb\w*|mere|flere|hvorfor|hvordan|eksempl?\w*|forklar|elaborate|more|why|how|examples?|explain|details?)\b",
    re.IGNORECASE)
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
    if not words or len(words) > _MAX_WORDS:
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
    return ResolvedQuestion(text=f"{question} {previous}", focus=question, previous=previous)
