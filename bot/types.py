"""The answer contract shared by `rapportbot ask --json`, `/api/ask`, the page and the eval."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["da", "en"]


class Citation(BaseModel):
    n: int = Field(description="1-based number shown in the answer as [n].")
    quote: str = Field(description="Verbatim span of the cleaned report text, checked in code.")
    section: str
    page: int | None = None
    speaker: str | None = None
    chunk_id: str
    text: str = Field(description="The cited chunk.")
    start: int | None = Field(None, description="Offset of the quote in the cleaned document text (for the reader).")
    doc_id: str | None = None
    nearest: bool = Field(False, description="True on a refusal: the passage is only the nearest one, not an answer.")


class Retrieved(BaseModel):
    chunk_id: str
    score: float
    section: str
    page: int | None = None
    text: str


class Timings(BaseModel):
    retrieve: float = 0.0
    answer: float = 0.0
    total: float = 0.0


class Answer(BaseModel):
    id: str | int | None = None
    question: str
    language: Language
    mode: Literal["extractive", "llm"]
    refused: bool
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[Retrieved] = Field(default_factory=list)
    notice: str | None = None
    timings_ms: Timings = Field(default_factory=Timings)


class HistoryCitation(BaseModel):
    """A citation of an earlier answer as a history turn carries it: enough to resolve "the second one" or
    "uddyb nummer tre" without re-reading the answer's prose. An answer's own `citations` fit as they are
    (the cited chunk's `text` and other fields are ignored)."""

    model_config = ConfigDict(extra="ignore")
    n: int = Field(ge=1, le=1000, description="The number shown as [n] in that answer.")
    quote: str = Field(min_length=1, max_length=5000, description="The quote as the answer showed it.")
    section: str | None = Field(None, max_length=1000)
    page: int | None = None
    speaker: str | None = Field(None, max_length=200)
    chunk_id: str | None = Field(None, max_length=200)
    nearest: bool = Field(False, description="True when the answer was a refusal showing its nearest passages.")


class HistoryTurn(BaseModel):
    """One earlier message of a conversation, as every client sends it (the page, /api/ask, /v1, the CLI)."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)
    citations: list[HistoryCitation] | None = Field(
        None, max_length=20, description="Assistant turns only, optional: the citations of that answer.")
