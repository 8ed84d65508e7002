"""OpenAI-compatible endpoints under /v1, so chat front-ends and scripts can use rapportbot as a "model".

The last user message is the question, earlier user/assistant messages the history. The assistant
message is the answer with its citations written out in Markdown; the structured answer (the
`/api/ask` contract) rides along as `rapportbot`, on the response and on the final stream chunk.
"""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from bot.history import citation_items, citations_from_markdown
from bot.types import Answer
from bot.web.api import MAX_HISTORY_TURNS, MAX_TURN_CHARS, check_question, note_answer
from bot.web.render import answer_markdown, lead_text
from bot.web.usage import usage
from ingest.errors import InputError

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL = "rapportbot"


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatRequest(BaseModel):
    # Clients send many OpenAI fields (temperature, max_tokens, user...); they are accepted and ignored.
    model_config = ConfigDict(extra="allow")
    model: str = MODEL
    messages: list[ChatMessage] = Field(min_length=1, max_length=2 * MAX_HISTORY_TURNS)
    stream: bool = False
    stream_options: StreamOptions | None = None


def split_messages(messages: list[ChatMessage]) -> tuple[str, list[dict]]:
    """(question, history): the last user message and the user/assistant turns before it."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last_user is None:
        raise InputError("messages hold no user message: the last user message is the question")
    for n, message in enumerate(messages[:last_user]):
        if len(message.text()) > MAX_TURN_CHARS:
            raise InputError(f"messages.{n}: {len(message.text())} characters; earlier messages may hold at most "
                             f"{MAX_TURN_CHARS} (the history limit of /api/ask)")
    history = [_history_turn(m) for m in messages[:last_user]
               if m.role in ("user", "assistant") and m.text().strip()]
    if len(history) > MAX_HISTORY_TURNS:
        raise InputError(f"{len(history)} earlier user/assistant messages; at most {MAX_HISTORY_TURNS} "
                         "(the history limit of /api/ask)")
    return messages[last_user].text(), history


def _history_turn(message: ChatMessage) -> dict:
    """A message as the history turn every client sends (bot/history.py). An assistant message's citations
    come from the `rapportbot` answer a client kept on it, else from the citation lines our reply wrote."""
    turn: dict = {"role": message.role, "content": message.text()}
    if message.role != "assistant":
        return turn
    kept = getattr(message, "rapportbot", None)
    if isinstance(kept, dict) and isinstance(kept.get("citations"), list):
        citations = citation_items(kept["citations"])
    else:
        citations = citations_from_markdown(message.text())
    if citations:
        turn["citations"] = citations[:20]
    return turn


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


@router.get("/models", summary="The one model: rapportbot")
def models() -> dict[str, Any]:
    return {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "rapportbot"}]}


@router.post("/chat/completions", summary="Ask the report, OpenAI style (streamed with stream=true)",
             responses={422: {"description": "Bad messages; `error` says what is wrong"}})
def chat_completions(body: ChatRequest, request: Request):
    question, history = split_messages(body.messages)
    check_question(question, request.app.state.settings.server.max_question_chars)
    service = request.app.state.holder.get()
    if body.stream:
        # Validate first (above), so a bad question is a 4xx, not an error inside the stream.
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        prompt = [m.text() for m in body.messages]
        return StreamingResponse(_stream(request, service.stream(question, history or None),
                                         prompt if include_usage else None),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    answer = service.ask(question, history or None)
    note_answer(request, answer, "v1")
    content = answer_markdown(answer)
    return {"id": _completion_id(), "object": "chat.completion", "created": int(time.time()), "model": MODEL,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}],
            "usage": usage([m.text() for m in body.messages], content),
            "rapportbot": answer.model_dump(mode="json")}


def _sse_chunk(cid: str, created: int, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    payload = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _stream(request: Request, events: Iterator[str | Answer], prompt: list[str] | None = None) -> Iterator[str]:
    """SSE chunks: role, text deltas, the citations written out, then a final chunk carrying the contract.
    With `prompt` (stream_options.include_usage), every chunk has `"usage": null` and one more chunk with no
    choices carries the usage of the whole stream, as OpenAI does."""
    cid, created = _completion_id(), int(time.time())
    sent: list[str] = []
    with_usage = {"usage": None} if prompt is not None else {}

    def _chunk(cid: str, created: int, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        sent.append(delta.get("content") or "")
        return _sse_chunk(cid, created, delta, finish, **with_usage, **extra)

    yield _chunk(cid, created, {"role": "assistant", "content": ""})
    streamed = ""
    try:
        for event in events:
            if isinstance(event, Answer):
                if not streamed:
                    yield _chunk(cid, created, {"content": answer_markdown(event)})
                elif " ".join(streamed.split()) == " ".join(lead_text(event).split()):
                    # The text is out; add what the verified answer adds: its notice and citations.
                    tail = answer_markdown(event)[len(lead_text(event)):]
                    if tail:
                        yield _chunk(cid, created, {"content": tail})
                else:
                    # Checking the quotes changed the provisional text (markers renumbered, a quote dropped):
                    # a client cannot take back what it showed, so the verified answer follows in full.
                    yield _chunk(cid, created, {"content": "\n\n---\n\n" + answer_markdown(event)})
                note_answer(request, event, "v1")
                yield _chunk(cid, created, {}, "stop", rapportbot=event.model_dump(mode="json"))
                if prompt is not None:
                    payload = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL,
                               "choices": [], "usage": usage(prompt, "".join(sent))}
                    yield f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
                break
            if event:
                streamed += str(event)
                yield _chunk(cid, created, {"content": str(event)})
    except InputError as err:
        yield f"data: {json.dumps({'error': {'message': str(err), 'type': 'invalid_request_error'}})}\n\n"
    except Exception:  # noqa: BLE001 - the status line is sent; tell the client in-band, log the rest
        import logging
        logging.getLogger("rapportbot.web").exception("stream failed")
        yield f"data: {json.dumps({'error': {'message': 'the answer failed; see the server log', 'type': 'server_error'}})}\n\n"
    yield "data: [DONE]\n\n"
