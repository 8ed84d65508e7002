"""The HTTP API under /api: ask (the `rapportbot ask --json` contract), health and feedback."""
from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.types import Answer, HistoryCitation
from bot.web.observe import answer_facts, count_answer, llm_configured
from ingest.errors import InputError

router = APIRouter(prefix="/api", tags=["api"])
# The history limits of /api/ask, shared with /v1: a follow-up needs a few turns, not megabytes.
MAX_HISTORY_TURNS = 50
MAX_TURN_CHARS = 20_000
# Feedback fields: a citation is a quote with its place; 20 of them of a few kB each is plenty.
MAX_CITATION_CHARS = 5_000


class Turn(BaseModel):
    """One earlier message (bot/history.py): an assistant turn may carry that answer's citations, so a
    follow-up such as "uddyb nummer to" is resolved against what it cited."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)
    citations: list[HistoryCitation] | None = Field(
        None, max_length=20, description="Optional, assistant turns: the `citations` of that answer, as /api/ask "
                                         "returned them (n and quote are needed; other fields are optional).")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(description="The question, Danish or English (at most RAPPORTBOT_MAX_QUESTION_CHARS).")
    history: list[Turn] | None = Field(None, max_length=MAX_HISTORY_TURNS,
                                       description="Earlier turns, oldest first, for follow-up questions.")


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=20_000)
    answer: str = Field("", max_length=50_000, description="The answer text that is rated.")
    citations: list[dict[str, Any]] = Field(default_factory=list, max_length=20)
    mode: Literal["extractive", "llm"] | None = None
    language: Literal["da", "en"] | None = None
    refused: bool | None = None
    rating: Literal["up", "down"] | None = None
    issue: Literal["quote_wrong", "answer_wrong", "incomplete", "other"] | None = Field(
        None, description="quote_wrong: the quote is wrong or does not support the answer.")
    comment: str | None = Field(None, max_length=4000)

    @field_validator("citations")
    @classmethod
    def _small_citations(cls, citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for n, citation in enumerate(citations):
            size = len(json.dumps(citation, ensure_ascii=False))
            if size > MAX_CITATION_CHARS:
                raise ValueError(f"citation {n} is {size} characters as JSON; the limit is {MAX_CITATION_CHARS}")
        return citations


class Health(BaseModel):
    status: Literal["ok"]
    store_loaded: bool
    chunks: int
    documents: int
    mode: Literal["extractive", "llm"]
    version: str | None


def check_question(question: str, max_chars: int) -> str:
    """The question as the service gets it; a clear InputError for empty or too long ones."""
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty")
    if len(question) > max_chars:
        raise InputError(f"the question is {len(question)} characters long; the limit is {max_chars}")
    return question


def answer_question(request: Request, question: str, history: list[dict] | None, channel: str) -> Answer:
    """Ask the service, then count and describe the answer for the request log."""
    app = request.app
    settings = app.state.settings
    answer = app.state.holder.get().ask(check_question(question, settings.server.max_question_chars), history or None)
    note_answer(request, answer, channel)
    return answer


def note_answer(request: Request, answer: Answer, channel: str) -> None:
    state = request.app.state
    facts = answer_facts(answer, llm_configured(state.holder.peek(), state.settings))
    count_answer(request.app.state.metrics, channel, facts)
    request.scope.setdefault("rapportbot", {})["answer"] = facts


@router.post("/ask", response_model=Answer, summary="Ask the report",
             responses={422: {"description": "Bad question or body; `error` says what is wrong"}})
def ask(body: AskRequest, request: Request) -> Answer:
    """The answer in the same JSON contract as `rapportbot ask --json`."""
    history = [turn.model_dump(exclude_none=True) for turn in body.history] if body.history else None
    return answer_question(request, body.question, history, "api")


@router.get("/health", response_model=Health, summary="Is the store loaded?")
def health(request: Request) -> Health:
    service = request.app.state.holder.get()  # StoreError -> 503 naming `rapportbot ingest`
    store = getattr(service, "store", None)
    chunks = getattr(store, "chunks", None) or []
    return Health(status="ok", store_loaded=store is not None, chunks=len(chunks),
                  documents=len(getattr(store, "documents", None) or {}),
                  mode="llm" if llm_configured(service, request.app.state.settings) else "extractive",
                  version=str(getattr(store, "version", None)) if getattr(store, "version", None) else None)


@router.post("/feedback", status_code=201, summary="Rate an answer",
             responses={422: {"description": "Bad body; `error` says what is wrong"}})
def feedback(body: FeedbackRequest, request: Request) -> JSONResponse:
    """Store a thumbs up/down and/or a comment on an answer (one row per call)."""
    if body.rating is None and body.issue is None and not (body.comment or "").strip():
        raise InputError("give a rating (up/down), an issue or a comment")
    user = request.scope.get("rapportbot", {}).get("user")
    row_id = request.app.state.feedback.record(user=user, **body.model_dump())
    request.app.state.metrics.feedback.labels(body.rating or "none").inc()
    return JSONResponse({"id": row_id}, status_code=201)
