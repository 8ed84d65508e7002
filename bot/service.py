"""AnswerService: one object that answers questions for the CLI, the HTTP API and the page.

It opens the store (and the embedding model) once, checks at most once a second whether `rapportbot ingest`
swapped in a new build and reopens it then, and is safe to share between threads. Extractive answers are
the default; with an LLM configured it hands the retrieved passages to bot.llm.client and falls back to the
extractive answer, with a visible notice, whenever the LLM fails.
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

from bot.answer.engine import Prepared, extractive_answer, prepare
from bot.question.language import detect_language, warm_up
from bot.question.overview import report_titles
from bot.question.parse import parse_question
from bot.answer.refusal import smalltalk_reply
from bot.types import Answer, Retrieved, Timings
from ingest.errors import InputError
from ingest.settings import Settings

RELOAD_CHECK_S = 1.0
# Control and invisible characters, and lone UTF-16 surrogates (JSON may carry "\ud800"; no encoder takes it).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
# A follow-up reads the last few turns only, each cut to the question limit: the context of a follow-up is
# bounded whatever a client sends (the edges also refuse more than 50 turns of 20,000 characters).
HISTORY_MESSAGES = 12
_FALLBACK_NOTICE = {
    "da": "Sprogmodellen svarede ikke; her er svaret som citater fra rapporten.",
    "en": "The language model did not answer; here is the answer as quotes from the report.",
}
_EMPTY = {"da": "Skriv et spørgsmål.", "en": "Please write a question."}
_TOO_LONG = "Spørgsmålet er for langt (højst {limit} tegn). / The question is too long (at most {limit} characters)."


def clean_question(question: object, max_chars: int) -> str:
    """The question without control characters; InputError when empty or too long."""
    if not isinstance(question, str):
        raise InputError(_EMPTY["da"])
    text = _CONTROL.sub(" ", question).replace("\r", " ").replace("\n", " ")
    text = " ".join(text.split())
    if not text:
        raise InputError(_EMPTY["da"])
    if len(text) > max_chars:
        raise InputError(_TOO_LONG.format(limit=max_chars))
    return text


MAX_HISTORY_CITATIONS = 20


def bounded_history(history: list[dict] | None, max_chars: int) -> list[dict] | None:
    """The last HISTORY_MESSAGES user/assistant messages, each cleaned and cut to `max_chars`, with at most
    MAX_HISTORY_CITATIONS of an answer's citations, each quote cut the same."""
    kept = []
    for message in (history or [])[-HISTORY_MESSAGES:]:
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, list):  # multimodal message parts: keep the text ones
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        if not isinstance(content, str):
            continue
        text = " ".join(_CONTROL.sub(" ", content[:4 * max_chars]).split())[:max_chars]
        if text:
            turn = {"role": message.get("role"), "content": text}
            citations = message.get("citations")
            if isinstance(citations, list):  # what a follow-up resolves against ("uddyb nummer to"), bounded too
                turn["citations"] = [{**c, "quote": str(c.get("quote", ""))[:max_chars]}
                                     for c in citations[:MAX_HISTORY_CITATIONS] if isinstance(c, dict)]
            kept.append(turn)
    return kept or None


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# Refusals a model reading the passages may overturn (bot/answer/refusal.py); "far", "empty" and "task" it may not.
SOFT_REFUSALS = frozenset({"kind", "subject", "flat", "flat subject", "foreign", "model"})


class AnswerService:
    """Answers questions about the report; share one instance between threads."""

    def __init__(self, settings: Settings, store: Any | None = None):
        self.settings = settings
        self._lock = threading.Lock()
        self._owns_store = store is None
        self._store = store if store is not None else self._open_store()
        self._checked = time.monotonic()
        self._llm: Any | None = None
        self._warm(self._store)
        _ = self.llm  # the LLM client (langchain-openai's import: seconds) now, not inside the first user's deadline

    # -- store ----------------------------------------------------------------------------------------
    def _open_store(self) -> Any:
        from ingest.store import ReportStore

        return ReportStore.open(self.settings)

    def _read_pointer(self) -> str | None:
        """The build the store directory names now (cheap: one small file)."""
        if not self._owns_store:
            return None
        from ingest.store import ReportStore

        return ReportStore.current_version(self.settings)

    def _warm(self, store: Any) -> None:
        from bot.question.cognates import Vocabulary
        from bot.answer.layout import ChunkLayouts
        from bot.answer.learned import load_models
        from bot.answer.spans import term_weights

        if self.settings.answer.scorer == "learned":
            load_models()  # LightGBM and the model files: a second on the first ask otherwise
        warm_up()
        term_weights(store)
        ChunkLayouts.of(store).warm()  # each chunk's sentences and candidate spans (bot/answer/layout.py)
        Vocabulary.of(store)  # the English cognate index (bot/question/cognates.py), built once per store version
        store.embed_query("opvarmning")

    @property
    def store(self) -> Any:
        """The current store, reopened when a new build was swapped in (checked at most once a second)."""
        if not self._owns_store or time.monotonic() - self._checked < RELOAD_CHECK_S:
            return self._store
        with self._lock:
            if time.monotonic() - self._checked < RELOAD_CHECK_S:
                return self._store
            self._checked = time.monotonic()
            pointer = self._read_pointer()
            if pointer is not None and pointer != self._store.version:
                fresh = self._open_store()
                self._warm(fresh)
                self._store = fresh
            return self._store

    @property
    def llm(self) -> Any | None:
        if not self.settings.llm.enabled:
            return None
        if self._llm is None:
            with self._lock:
                if self._llm is None:
                    from bot.llm.client import LLMAnswerer  # lazily: the extractive path never needs it

                    self._llm = LLMAnswerer(self.settings)
        return self._llm

    # -- answering ------------------------------------------------------------------------------------
    def _smalltalk(self, question: str, language: str, store: Any, id: Any, started: float) -> Answer | None:
        title = next((getattr(d, "metadata", {}).get("short_title") or getattr(d, "title", "")
                      for d in store.documents.values()), "")
        reply = smalltalk_reply(question, language, title or "rapporten")
        if reply is None:
            return None
        return Answer(id=id, question=question, language=language, mode="extractive", refused=False, answer=reply,
                      timings_ms=Timings(total=_ms(time.perf_counter() - started)))

    def _prepare(self, question: str, history: list[dict] | None, store: Any, deadline: float) -> Prepared:
        condensed = None
        llm = self.llm
        if llm is not None and history:
            condensed = llm.condense(question, history, deadline=deadline)
        parsed = parse_question(question, history, condensed=condensed, report_titles=report_titles(store))
        return prepare(store, self.settings, parsed)

    def ask(self, question: str, history: list[dict] | None = None, id: Any = None, use_llm: bool = True) -> Answer:
        """The answer to `question` (with `history` for follow-ups); InputError for empty or too long input.
        `use_llm=False`: the extractive answer even when an LLM is configured (the page checks suggestions so)."""
        final: Answer | None = None
        for item in self._run(question, history, id, streaming=False, use_llm=use_llm):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def stream(self, question: str, history: list[dict] | None = None, id: Any = None) -> Iterator[str | Answer]:
        """Extractive: the final Answer at once. LLM: text deltas, then the final Answer (which replaces them)."""
        yield from self._run(question, history, id, streaming=True)

    def _run(self, question: str, history: list[dict] | None, id: Any, streaming: bool,
             use_llm: bool = True) -> Iterator[str | Answer]:
        started = time.perf_counter()
        question = clean_question(question, self.settings.server.max_question_chars)
        history = bounded_history(history, self.settings.server.max_question_chars)
        store = self.store
        early = self._smalltalk(question, detect_language(question), store, id, started)
        if early is not None:
            yield early
            return
        # One LLM time budget for condensing and answering together: the user waits at most timeout_s for it.
        deadline = time.monotonic() + self.settings.llm.timeout_s
        prepared = self._prepare(question, history, store, deadline)
        retrieved_at = time.perf_counter()
        extractive = extractive_answer(store, self.settings, prepared, prepared.query.question.asks)
        answer = extractive.answer
        llm = self.llm if use_llm else None
        if llm is not None and (not answer.refused or self._second_opinion(extractive.verdict, prepared)):
            answer = yield from self._llm_answer(llm, store, prepared, extractive.passages, answer, streaming, deadline)
        answer.id = id
        answer.question = question
        answer.retrieved = [Retrieved(chunk_id=h.chunk.id, score=round(h.score, 5), section=h.chunk.section,
                                      page=h.chunk.page, text=h.chunk.text) for h in extractive.passages]
        done = time.perf_counter()
        answer.timings_ms = Timings(retrieve=_ms(retrieved_at - started), answer=_ms(done - retrieved_at),
                                    total=_ms(done - started))
        yield answer

    def _second_opinion(self, verdict: Any, prepared: Prepared) -> bool:
        """May the LLM judge a question the extractive checks refused? Only when the refusal rests on weak
        evidence: the checks read words and similarities, and on questions written apart from their
        calibration they refuse some answerable ones (English above all) that a model reading the passages
        answers; it still refuses with the shared sentinel, and its quotes are checked all the same."""
        return (self.settings.llm.second_opinion and verdict is not None and verdict.reason in SOFT_REFUSALS
                and bool(prepared.hits))

    def _llm_answer(self, llm: Any, store: Any, prepared: Prepared, handed: list[Any], fallback: Answer,
                    streaming: bool, deadline: float) -> Iterator[str]:
        from bot.llm.client import LLMFailure, LLMResult

        language = prepared.query.language
        passages = [h.chunk for h in handed]
        try:
            if streaming:
                result = None
                for item in llm.stream(prepared.question_for_llm, language, passages, store, deadline=deadline):
                    if isinstance(item, LLMResult):
                        result = item
                    else:
                        yield item
            else:
                result = llm.answer(prepared.question_for_llm, language, passages, store, deadline=deadline)
            if result is None:
                raise LLMFailure(_FALLBACK_NOTICE[language])
        except LLMFailure as failure:
            if fallback.refused:
                return fallback  # the checks' refusal stands; no answer to offer "as quotes instead"
            detail = str(failure).strip()
            notice = _FALLBACK_NOTICE[language] + (f" ({detail})" if detail else "")
            return fallback.model_copy(update={"notice": notice})
        if result.refused and fallback.refused:
            return fallback.model_copy(update={"mode": "llm"})  # both refuse: our refusal, with its nearest passages
        if result.refused:
            # The model found no answer in the passages: say so, with our nearest passages.
            return fallback.model_copy(update={"mode": "llm", "refused": True, "answer": result.answer,
                                               "citations": [c.model_copy(update={"nearest": True})
                                                             for c in fallback.citations[:3]]})
        return Answer(question=fallback.question, language=language, mode="llm", refused=False,
                      answer=result.answer, citations=result.citations, notice=result.notice)
