"""LLM answers through any OpenAI-compatible server (OpenAI, Azure, vLLM, Ollama, llama.cpp server).

The model gets numbered passages and must quote them; what it returns is parsed (bot.llm.parse) and every
quote is checked against the report (bot.llm.citations). No verified quote, no answer: LLMFailure, and the
caller falls back to the extractive answer. Every call is bounded by settings.llm.timeout_s in total, also
when a server hangs halfway through a stream.
"""
from __future__ import annotations

import queue
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from bot.llm.citations import guard_inline_quotes, number_citations, verify_model_quotes
from bot.llm.parse import QUOTES_HEADING, MalformedReply, parse_reply, passage_markers, renumber_markers, streamed_answer
from bot.llm.prompts import load_prompt, refusal_phrase
from bot.llm.sanitise import plain_prose, settled_prose
from bot.types import Citation
from ingest.settings import Settings
from ingest.types import Chunk

_LANGUAGE_NAMES = {"da": "Danish", "en": "English"}
_MESSAGES = {
    "timeout": ("Sprogmodellen svarede ikke inden for {seconds:g} s.",
                "The language model did not answer within {seconds:g} s."),
    "unreachable": ("Sprogmodellen kunne ikke nås.", "The language model could not be reached."),
    "http": ("Sprogmodellen svarede med en fejl (HTTP {status}).", "The language model returned an error (HTTP {status})."),
    "malformed": ("Sprogmodellens svar kunne ikke læses.", "The language model's reply could not be read."),
    "no_quote": ("Sprogmodellens svar havde intet citat, der kunne findes i rapporten.",
                 "The language model's answer had no quote that could be found in the report."),
    "failed": ("Sprogmodellen fejlede.", "The language model failed."),
    "dropped_one": ("Et citat fra sprogmodellen kunne ikke findes i rapporten og er fjernet.",
                    "A quote from the language model could not be found in the report and was removed."),
    "dropped_many": ("{count} citater fra sprogmodellen kunne ikke findes i rapporten og er fjernet.",
                     "{count} quotes from the language model could not be found in the report and were removed."),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MAX_QUESTION_CHARS = 2000


class LLMFailure(Exception):
    """The LLM gave no usable answer; the message can be shown to the user."""


@dataclass
class LLMResult:
    answer: str
    citations: list[Citation]
    refused: bool
    notice: str | None


def _message(key: str, language: str, **values: Any) -> str:
    return _MESSAGES[key][1 if language == "en" else 0].format(**values)


def _failure_key(error: BaseException) -> tuple[str, dict[str, Any]]:
    import openai

    if isinstance(error, (TimeoutError, openai.APITimeoutError)):
        return "timeout", {}
    if isinstance(error, openai.APIConnectionError):
        return "unreachable", {}
    if isinstance(error, openai.APIStatusError):
        return "http", {"status": error.status_code}
    if isinstance(error, (ValueError, openai.APIResponseValidationError)):  # a body that is not a completion
        return "malformed", {}
    return "failed", {}


def _cited_lines(citations: object) -> list[str]:
    """An earlier answer's citations as numbered lines under it (bot/history.py), so the model resolves "the
    second one" or "uddyb nummer tre" against what that answer cited, as the extractive path does."""
    lines = []
    for c in citations if isinstance(citations, list) else []:
        if isinstance(c, dict) and isinstance(c.get("quote"), str) and isinstance(c.get("n"), int):
            where = f" ({c['section'].split(' > ')[-1]})" if isinstance(c.get("section"), str) and c["section"] else ""
            lines.append(f"  [{c['n']}] \"{' '.join(c['quote'].split())[:300]}\"{where}")
    return lines[:8]


class LLMAnswerer:
    """Answers, streams and condenses follow-ups with one ChatOpenAI client built from settings.llm."""

    def __init__(self, settings: Settings) -> None:
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_openai import ChatOpenAI

        self.settings = settings
        llm = settings.llm
        self.timeout_s = llm.timeout_s
        self.max_reply_chars = llm.max_reply_chars
        # Local servers need no key, but the OpenAI client insists on one.
        self._chat = ChatOpenAI(model=llm.model, base_url=llm.base_url, api_key=llm.api_key or "not-needed",
                                temperature=llm.temperature, timeout=llm.timeout_s, max_retries=0,
                                max_tokens=llm.max_tokens,
                                use_responses_api=False)
        self._answer_prompt = ChatPromptTemplate.from_messages(
            [("system", load_prompt("system")), ("human", load_prompt("answer"))])
        self._condense_prompt = ChatPromptTemplate.from_messages([("human", load_prompt("condense"))])
        self._passage_template = load_prompt("passage")

    # -- prompts ------------------------------------------------------------------------------------
    def _answer_messages(self, question: str, language: str, passages: Sequence[Chunk]) -> list:
        question = _CONTROL.sub(" ", question)[:_MAX_QUESTION_CHARS].strip()
        numbered = "\n\n".join(
            self._passage_template.format(n=n, section=c.section or "-", page=c.page if c.page is not None else "-",
                                          speaker=c.speaker or "-", text=c.text.strip())
            for n, c in enumerate(passages, start=1))
        return self._answer_prompt.format_messages(
            passages=numbered, question=question, answer_language=_LANGUAGE_NAMES.get(language, "Danish"),
            refusal=refusal_phrase(language), quotes_heading=QUOTES_HEADING)

    # -- calls --------------------------------------------------------------------------------------
    def _budget(self, deadline: float | None) -> float:
        """Seconds left: timeout_s, or less when the caller's deadline (time.monotonic) comes first."""
        if deadline is None:
            return self.timeout_s
        return max(0.0, min(self.timeout_s, deadline - time.monotonic()))

    def _invoke(self, messages: list, deadline: float | None = None) -> str:
        """The reply text, within timeout_s in total (a thread: httpx only bounds each read)."""
        box: dict[str, Any] = {}

        def call() -> None:
            try:
                box["text"] = self._chat.invoke(messages).text
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
                box["error"] = error

        worker = threading.Thread(target=call, daemon=True, name="llm-invoke")
        worker.start()
        worker.join(self._budget(deadline))
        if worker.is_alive():
            raise TimeoutError
        if "error" in box:
            raise box["error"]
        return box["text"][:self.max_reply_chars]

    def _stream_text(self, messages: list, deadline: float | None = None) -> Iterator[str]:
        """Text chunks as they arrive; TimeoutError when the whole reply takes longer than timeout_s."""
        chunks: queue.Queue = queue.Queue()
        stop = threading.Event()
        done = object()

        def produce() -> None:
            stream = self._chat.stream(messages)
            try:
                for chunk in stream:
                    if stop.is_set():
                        break
                    chunks.put(chunk.text)
                chunks.put(done)
            except BaseException as error:  # noqa: BLE001
                chunks.put(error)
            finally:
                stream.close()  # closes the HTTP response when the consumer gave up

        threading.Thread(target=produce, daemon=True, name="llm-stream").start()
        deadline = time.monotonic() + self._budget(deadline)
        try:
            while True:
                try:
                    item = chunks.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise TimeoutError from None
                if item is done:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()

    def _guarded(self, language: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except LLMFailure:
            raise
        except MalformedReply:
            raise LLMFailure(_message("malformed", language)) from None
        except Exception as error:  # noqa: BLE001 - every client fault becomes a user-presentable failure
            key, values = _failure_key(error)
            raise LLMFailure(_message(key, language, seconds=self.timeout_s, **values)) from error

    # -- public -------------------------------------------------------------------------------------
    def answer(self, question: str, language: str, passages: list[Chunk], store: Any,
               deadline: float | None = None) -> LLMResult:
        """A verified answer; LLMFailure on any fault or when no quote survives checking. `deadline`
        (time.monotonic) lets a caller share one time budget between condensing and answering."""
        messages = self._guarded(language, lambda: self._answer_messages(question, language, passages))
        return self._guarded(language,
                             lambda: self._finish(self._invoke(messages, deadline), language, passages, store))

    def stream(self, question: str, language: str, passages: Sequence[Chunk], store: Any,
               deadline: float | None = None) -> Iterator[str | LLMResult]:
        """Answer text deltas as they arrive (provisional: markers are renumbered and quotes checked only at
        the end), then the final verified LLMResult, which replaces the streamed text. Raises LLMFailure."""
        messages = self._guarded(language, lambda: self._answer_messages(question, language, passages))
        text, shown = "", ""
        chunks = self._stream_text(messages, deadline)
        try:
            while True:
                piece = self._guarded(language, lambda: next(chunks, None))
                if piece is None:
                    break
                text += piece
                if len(text) >= self.max_reply_chars:
                    # A runaway reply: stop reading (the finally below closes the response) and check what came.
                    text = text[:self.max_reply_chars]
                    break
                visible = settled_prose(streamed_answer(text))
                if len(visible) > len(shown) and visible.startswith(shown):
                    yield visible[len(shown):]
                    shown = visible
        finally:
            chunks.close()  # tells the reader thread to stop and close the response
        yield self._guarded(language, lambda: self._finish(text, language, passages, store))

    def condense(self, question: str, history: list[dict], deadline: float | None = None) -> str:
        """The follow-up as a standalone question (prompts/condense.txt); the question itself on any failure."""
        turns = []
        for turn in (history or [])[-6:]:
            content = turn.get("content") if isinstance(turn, dict) else None
            if isinstance(content, list):  # multimodal message parts: keep the text ones
                content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            if isinstance(content, str) and content.strip():
                role = "User" if turn.get("role") == "user" else "Assistant"
                turns.append(f"{role}: {' '.join(content.split())[:600]}")
                turns += _cited_lines(turn.get("citations") if role == "Assistant" else None)
        if not turns or not question.strip():
            return question
        messages = self._condense_prompt.format_messages(history="\n".join(turns),
                                                         question=_CONTROL.sub(" ", question)[:_MAX_QUESTION_CHARS])
        try:
            reply = re.sub(r"<think>.*?</think>", "", self._invoke(messages, deadline), flags=re.DOTALL)
        except Exception:  # noqa: BLE001 - condensing is a nicety: the original question still works
            return question
        lines = [line.strip() for line in reply.splitlines() if line.strip()]
        if not lines:
            return question
        standalone = re.sub(r"^(standalone question|selvstændigt spørgsmål)\s*:\s*", "", lines[0], flags=re.I)
        standalone = standalone.strip().strip("\"“”„«»'").strip()
        if not standalone or len(standalone) > max(4 * len(question), 400):
            return question
        return standalone

    # -- checking -----------------------------------------------------------------------------------
    def _finish(self, text: str, language: str, passages: Sequence[Chunk], store: Any) -> LLMResult:
        parsed = parse_reply(text, [refusal_phrase("da"), refusal_phrase("en")])
        if parsed.refused:
            return LLMResult(answer=refusal_phrase(language), citations=[], refused=True, notice=None)
        verified = verify_model_quotes(parsed.quotes, passages, store, self.settings.answer.max_quotes)
        if not verified.citations:
            raise LLMFailure(_message("no_quote", language))
        prose = plain_prose(parsed.answer)  # no HTML or links from the model, ever
        mapping = number_citations(verified, passage_markers(prose))
        answer = renumber_markers(prose, mapping)
        if not re.search(r"\[\d+\]", answer):  # the model forgot its markers: point at every citation
            answer = f"{answer} " + "".join(f"[{c.n}]" for c in verified.citations)
        answer, unverified = guard_inline_quotes(answer, passages)
        dropped = verified.dropped + unverified
        notice = None
        if dropped:
            notice = _message("dropped_one" if dropped == 1 else "dropped_many", language, count=dropped)
        return LLMResult(answer=answer, citations=verified.citations, refused=False, notice=notice)
