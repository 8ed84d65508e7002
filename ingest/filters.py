"""Chroma's metadata filter syntax (`where`) evaluated in Python, for the lexical side of retrieval.

Supported, as in Chroma: {"field": value}, {"field": {"$eq"|"$ne"|"$gt"|"$gte"|"$lt"|"$lte"|"$in"|"$nin": v}},
{"$and": [...]}, {"$or": [...]}. A missing field matches only "$ne" and "$nin", as in Chroma.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.types import Chunk

_COMPARE = {
    "$eq": lambda a, b: a == b,
    "$ne": lambda a, b: a != b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
    "$in": lambda a, b: a in b,
    "$nin": lambda a, b: a not in b,
}


def matches_where(metadata: dict[str, Any], where: dict[str, Any] | None) -> bool:
    """True when `metadata` satisfies the Chroma-style filter `where` (None or {} matches all)."""
    if not where:
        return True
    for key, condition in where.items():
        if key == "$and":
            if not all(matches_where(metadata, part) for part in condition):
                return False
        elif key == "$or":
            if not any(matches_where(metadata, part) for part in condition):
                return False
        elif not _matches_field(metadata, key, condition):
            return False
    return True


def _matches_field(metadata: dict[str, Any], key: str, condition: Any) -> bool:
    if not isinstance(condition, dict):
        condition = {"$eq": condition}
    for op, operand in condition.items():
        if op not in _COMPARE:
            raise ValueError(f"unsupported filter operator {op!r}")
        if key not in metadata:
            if op not in ("$ne", "$nin"):
                return False
            continue
        try:
            if not _COMPARE[op](metadata[key], operand):
                return False
        except TypeError:  # comparing a number with a string: no match, as in Chroma
            return False
    return True


SECTION_LEVELS = 3


def filter_metadata(chunk: "Chunk") -> dict[str, str | int | float | bool]:
    """Chunk.metadata() plus `section_1`..`section_3`: the section path cut at each level, so a filter
    such as {"section_1": "Det siger toplederne om innovationsarbejdet"} selects a section with its
    sub-sections (Chroma has no prefix operator)."""
    meta = chunk.metadata()
    parts = [p.strip() for p in chunk.section.split(" > ")]
    for level in range(1, min(SECTION_LEVELS, len(parts)) + 1):
        meta[f"section_{level}"] = " > ".join(parts[:level])
    return meta


def chroma_where(where: dict[str, Any] | None) -> dict[str, Any] | None:
    """`where` as Chroma accepts it: several top-level conditions become one "$and" (Chroma rejects the
    implicit form that `matches_where` allows)."""
    if not where:
        return None
    if len(where) == 1:
        return where
    return {"$and": [{key: value} for key, value in where.items()]}
