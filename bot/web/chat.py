"""What the chat page does, apart from its layout: asking (streamed), follow-up suggestions, the reader
at a citation, feedback. State per browser session is a list of turns {question, answer (contract dict)}."""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from bot.feedback import FeedbackStore
from bot.history import history_turns
from bot.types import Answer
from bot.web.holder import ServiceHolder
from bot.web.observe import Metrics, answer_facts, count_answer, llm_configured, log_line
from bot.web.reader import ReportReader, readers_from_store
from bot.web.render import answer_html, escape, memo_markdown, question_html, section_title, source_line, \
    streaming_html
from bot.web.texts import texts
from ingest.errors import InputError, StoreError
from ingest.settings import Settings

log = logging.getLogger("rapportbot.web")
_OPEN_REF = re.compile(r"#rb-open-(\d+)-(\d+)$")
_GENERIC_TITLES = {"rapporten", "indhold", "indholdsfortegnelse", "forord", "contents"}
_LIST_ITEM = re.compile(r"^#(\d+)\s+")
_GROUPS = ("kommunal", "regional", "statslig")  # how the report names its three leader groups
_MAX_FOLLOW_CHECKS = 8  # candidate questions run through the engine per answer (a few ms each, remembered)


def _title(title: str) -> str:
    return " ".join(title.split()).rstrip(".:?!")


def _topic(title: str) -> str:
    """A section title inside a Danish question: the first letter lower-cased unless the word is a name or an
    acronym ("Barrierer for innovation" -> "barrierer for innovation"; "COI" stays)."""
    title = _title(title)
    return title[0].lower() + title[1:] if len(title) > 1 and title[1].islower() else title


class ChatLogic:
    def __init__(self, settings: Settings, holder: ServiceHolder, feedback: FeedbackStore, metrics: Metrics,
                 metadata: dict[str, Any]) -> None:
        self.settings, self.holder, self.feedback, self.metrics = settings, holder, feedback, metrics
        self.metadata = metadata
        self.t = texts(settings.server.ui_language)
        self._readers: dict[str, ReportReader] = {}
        self._readers_version: object = object()
        self._follow_checked: dict[str, bool] = {}

    # --- the report ------------------------------------------------------------------------------
    def readers(self) -> dict[str, ReportReader]:
        store = getattr(self.holder.get(), "store", None)
        version = (id(store), getattr(store, "version", None))
        if version != self._readers_version:
            self._readers = readers_from_store(store, self.metadata)
            self._readers_version = version
        return self._readers

    def llm_enabled(self) -> bool:
        return llm_configured(self.holder.peek(), self.settings)

    def store_banner(self) -> str:
        """Empty while the store is loaded; else a clear line that names `rapportbot ingest`."""
        try:
            self.holder.get()
            return ""
        except StoreError as err:
            return (f'<div class="rb-missing" id="rb-no-store"><strong>{escape(str(self.t["no_store"]))}</strong>'
                    f'<br><small>{escape(str(err))}</small></div>')

    def reference(self) -> str:
        m = self.metadata
        parts = [m.get("title"), m.get("publisher"), str(m["year"]) if m.get("year") else None]
        return ", ".join(p for p in parts if p)

    def reader_html(self, turns: list[dict] | None = None, ref: str | None = None) -> str:
        """The reader, plain or opened at citation `ref` ("#rb-open-<turn>-<n>") with its quote marked."""
        try:
            readers = self.readers()
        except StoreError as err:
            return f'<div class="rb-reader rb-missing">{escape(str(err))}</div>'
        if not readers:
            return f'<div class="rb-reader rb-missing">{escape(str(self.t["no_store"]))}</div>'
        match = _OPEN_REF.search(ref or "")
        citation = None
        if match and turns and int(match.group(1)) < len(turns):
            answer = Answer.model_validate(turns[int(match.group(1))]["answer"])
            citation = next((c for c in answer.citations if c.n == int(match.group(2))), None)
        if citation is None:
            reader = next(iter(readers.values()))
            return reader.render(caption=str(self.t["reader_hint"]), toc_label=str(self.t["toc"]))
        reader = readers.get(citation.doc_id or "") or next(iter(readers.values()))
        span = reader.locate(citation.quote, citation.start)
        # The reader is the page's, so its caption is in the page's language ("s. 33"), whatever the answer's.
        caption = str(self.t["reader_at"]).format(n=citation.n,
                                                  source=source_line(citation, self.settings.server.ui_language))
        return reader.render(*(span or (None, None)), caption=caption, toc_label=str(self.t["toc"]))

    # --- asking ----------------------------------------------------------------------------------
    def messages(self, turns: list[dict], link_citations: bool, pending: str | None = None,
                 partial: str | None = None) -> list[dict]:
        """Chatbot messages rebuilt from the turns (the Chatbot's own value is never read back)."""
        out: list[dict] = []
        for i, turn in enumerate(turns):
            out.append({"role": "user", "content": question_html(turn["question"])})
            if "answer" in turn:
                answer = Answer.model_validate(turn["answer"])
                out.append({"role": "assistant", "content": answer_html(answer, i if link_citations else None)})
            else:
                out.append({"role": "assistant", "content": f'<div class="rb-answer rb-error">{escape(turn["error"])}</div>'})
        if pending is not None:
            out.append({"role": "user", "content": question_html(pending)})
            out.append({"role": "assistant", "content": streaming_html(partial or "")})
        return out

    def ask(self, question: str, turns: list[dict], user: str | None) -> Iterator[tuple[str, Any]]:
        """Events: ("partial", text) while an LLM streams, then ("answer", Answer) or ("error", message)."""
        history = history_turns([(turn["question"], turn["answer"]) for turn in turns if "answer" in turn])
        try:
            if not question.strip():
                raise InputError(str(self.t["empty"]))
            if len(question) > self.settings.server.max_question_chars:
                raise InputError(f"{len(question)} > {self.settings.server.max_question_chars}")
            text = ""
            for event in self.holder.get().stream(question, history or None):
                if isinstance(event, Answer):
                    self._note(event, user)
                    yield "answer", event
                    return
                text += str(event)
                yield "partial", text
        except StoreError:
            yield "error", str(self.t["no_store"])
        except InputError as err:
            yield "error", str(err)
        except Exception:  # noqa: BLE001 - the page shows a short line; the log has the traceback
            log.exception("page answer failed")
            yield "error", str(self.t["error"])

    def ask_contract(self, question: str, history: list[dict] | None = None) -> dict:
        """Ask the report. `history`: the earlier turns, [{"role": "user" | "assistant", "content": "..."}].
        Returns the answer contract of `rapportbot ask --json` and /api/ask: answer, citations (verbatim
        quotes with section and page), language, refused, mode."""
        import gradio as gr

        if not (question or "").strip():
            raise gr.Error(str(self.t["empty"]))
        if len(question) > self.settings.server.max_question_chars:
            raise gr.Error(f"the question is {len(question)} characters long; at most "
                           f"{self.settings.server.max_question_chars} are answered")
        turns = [{"role": str(m.get("role")), "content": str(m.get("content") or "")} for m in (history or [])
                 if isinstance(m, dict) and m.get("role") in ("user", "assistant")]
        try:
            answer = self.holder.get().ask(question, turns[-12:] or None)
        except StoreError:
            raise gr.Error(str(self.t["no_store"])) from None
        except InputError as err:
            raise gr.Error(str(err)) from None
        count_answer(self.metrics, "page", answer_facts(answer, self.llm_enabled()))
        return answer.model_dump(mode="json")

    def _note(self, answer: Answer, user: str | None) -> None:
        facts = answer_facts(answer, self.llm_enabled())
        count_answer(self.metrics, "page", facts)
        record = {"route": "page/ask", **facts}
        if user:
            record["user"] = user
        log_line(record, self.settings.server.log_questions)

    def followups(self, answer: Answer, turns: list[dict]) -> list[str]:
        """Two or three next questions drawn from what the answer cites (the next list item, the same topic
        from another leader group, the section around the quote), in the answer's language, each one checked:
        only a suggestion the engine answers (not refuses) in that language is offered."""
        asked = {t["question"].casefold() for t in turns} | {answer.question.casefold()}
        out: list[str] = []
        checked = 0
        for question in self._follow_candidates(answer):
            if len(out) >= 3 or checked >= _MAX_FOLLOW_CHECKS:
                break
            if question.casefold() in asked or question in out:
                continue
            checked += question not in self._follow_checked
            if self._answered(question, answer.language):
                out.append(question)
        return out

    def _follow_candidates(self, answer: Answer) -> Iterator[str]:
        t = texts(answer.language)
        # Inside a Danish sentence a title reads lower-cased; in English it stays the report's, in quotes.
        topic = _topic if answer.language == "da" else _title
        try:
            sections = [s.title for reader in self.readers().values() for s in reader.sections]
        except StoreError:
            sections = []
        for c in answer.citations:
            title = section_title(c.section)
            number = _LIST_ITEM.match(title)
            if number:  # the next list item ("#2 ..." after "#1 ...")
                following = next((s for s in sections if s.startswith(f"#{int(number.group(1)) + 1} ")), None)
                if following:
                    yield str(t["follow_item"]).format(item=topic(_LIST_ITEM.sub("", following)))
        for c in answer.citations:
            group = next((g for g in _GROUPS if c.speaker and c.speaker.casefold().startswith(g)), None)
            title = section_title(c.section)
            if group and title and title.casefold() not in _GENERIC_TITLES:  # the same topic, another group
                other = next(g for g in _GROUPS if g != group)
                yield str(t["follow_group"]).format(group=t["groups"][other], topic=topic(_LIST_ITEM.sub("", title)))
        for c in answer.citations:  # the section around the quote, then the quote's own section
            parts = [p.strip() for p in (c.section or "").split(" > ") if p.strip()]
            for title in [*reversed(parts[:-1]), *parts[-1:]]:
                if title.casefold() not in _GENERIC_TITLES:
                    for template in t["follow_section"]:
                        yield str(template).format(title=_title(_LIST_ITEM.sub("", title)),
                                                   topic=topic(_LIST_ITEM.sub("", title)))

    def _answered(self, question: str, language: str) -> bool:
        """Is `question` answered (not refused) in `language`? Extractive check, remembered per question."""
        if question not in self._follow_checked:
            try:
                answer = self.holder.get().ask(question, use_llm=False)
                ok = not answer.refused and answer.language == language
            except Exception:  # noqa: BLE001 - a suggestion that cannot be checked is not offered
                log.exception("follow-up check failed")
                ok = False
            if len(self._follow_checked) > 2000:
                self._follow_checked.clear()
            self._follow_checked[question] = ok
        return self._follow_checked[question]

    def memo(self, turns: list[dict], turn: int | None) -> str:
        if not turns or turn is None or turn >= len(turns) or "answer" not in turns[turn]:
            return ""
        return memo_markdown(Answer.model_validate(turns[turn]["answer"]), self.reference())

    # --- feedback --------------------------------------------------------------------------------
    def rate(self, turns: list[dict], turn: int, rating: str | None, user: str | None,
             row_id: int | None = None, issue: str | None = None, comment: str | None = None) -> int | None:
        """Store a rating/comment for `turn`; amends `row_id` when the answer was rated already."""
        if turn >= len(turns) or "answer" not in turns[turn]:
            return None
        if row_id is not None:
            self.feedback.amend(row_id, rating=rating, issue=issue, comment=comment)
            return row_id
        answer = turns[turn]["answer"]
        row = self.feedback.record(question=turns[turn]["question"], answer=answer["answer"],
                                   citations=answer.get("citations", []), mode=answer.get("mode"),
                                   language=answer.get("language"), refused=answer.get("refused"),
                                   rating=rating, issue=issue, comment=comment, user=user)
        self.metrics.feedback.labels(rating or "none").inc()
        log_line({"route": "page/feedback", "rating": rating, "issue": issue, "turn": turn}, False)
        return row


def about_html(metadata: dict[str, Any], language: str) -> str:
    t = texts(language)
    # The method text in the page's language (metadata "method_da"/"method_en"), else the plain "method".
    method = metadata.get(str(t["method_key"])) or metadata.get("method")
    rows = [(t["title"], metadata.get("title")), (t["publisher"], metadata.get("publisher")),
            (t["year"], metadata.get("year")), (t["method"], method)]
    cells = "".join(f"<dt>{escape(str(k))}</dt><dd>{escape(str(v))}</dd>" for k, v in rows if v)
    return f'<dl class="rb-about">{cells}</dl>'


def load_metadata(store: Any, path: Any) -> dict[str, Any]:
    """data/metadata.json, else the first document's metadata in the store."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    for doc in (getattr(store, "documents", None) or {}).values():
        return dict(getattr(doc, "metadata", None) or {})
    return {}
