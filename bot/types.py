"""The answer contract shared by `rapportbot ask --json`, `/api/ask`, the page and the eval."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

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
