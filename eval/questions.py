"""The question-set format read by `rapportbot eval --questions FILE`.

A file is a JSON list, JSON Lines (one object per line), YAML (a list) or CSV (header row; list cells as a
JSON list or ';'-separated) of objects with:
  id            (required) string or number, unique in the file
  question      (required) the question as a user would ask it
  lang          optional, "da" | "en"; unset: the language the bot detects
  kind          optional, default "fact"; "out_of_scope" marks a question that must be refused
                (others in our set: number, list, quote, synthesis; any other label is kept for reporting)
  evidence      list of verbatim substrings of the report; any one counts (empty for out_of_scope; an
                answerable question without evidence is left out of retrieval and support metrics)
  must_mention  list of lower-case terms a correct answer contains; "a|b" accepts either
  gold_answer   optional reference answer (used by the LLM judge and the report)
  topic         optional label for grouping in the report
Other fields (e.g. rating/comment/answer in a feedback export) are ignored.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ingest.errors import InputError

OUT_OF_SCOPE = "out_of_scope"


class Question(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    lang: Literal["da", "en"] | None = None
    kind: str = "fact"
    evidence: list[str] = Field(default_factory=list)
    must_mention: list[str] = Field(default_factory=list)
    gold_answer: str | None = None
    topic: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        # Feedback exports and hand-written JSON often number their items.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("question", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return "fact"
        return value.strip() if isinstance(value, str) else value

    @field_validator("lang", "gold_answer", "topic", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        # CSV/JSONL exports write empty strings for missing values.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("evidence", "must_mention", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, str):
            return [value] if value.strip() else []
        if isinstance(value, list):
            # YAML reads an unquoted 2019 or 1.5 as a number; a term is text.
            return [str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in value]
        return value

    @field_validator("evidence", "must_mention")
    @classmethod
    def _no_blank_items(cls, value: list[str]) -> list[str]:
        if any(not item.strip() for item in value):
            raise ValueError("items must be non-empty strings")
        return [item.strip() for item in value]

    @model_validator(mode="after")
    def _out_of_scope_has_no_evidence(self) -> "Question":
        if self.kind == OUT_OF_SCOPE and self.evidence:
            raise ValueError("an out_of_scope question cannot have evidence (the report must not answer it)")
        return self

    @property
    def answerable(self) -> bool:
        return self.kind != OUT_OF_SCOPE


def _read_items(path: Path) -> list[object]:
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        data = yaml.safe_load(text)
    elif suffix == ".jsonl":
        data = _read_jsonl(path, text)
    elif suffix == ".json":
        data = json.loads(text)
    elif suffix == ".csv":
        data = _read_csv(text)
    else:  # unknown suffix: JSON, then JSON Lines, then YAML
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            try:
                data = _read_jsonl(path, text)
            except InputError:
                data = yaml.safe_load(text)
    if isinstance(data, dict) and isinstance(data.get("questions"), list):
        data = data["questions"]
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a list of questions, got {type(data).__name__}")
    return data


def _read_csv(text: str) -> list[object]:
    """CSV with a header row (e.g. `rapportbot feedback export --format csv`); list cells are a JSON list or
    items separated by ';'."""
    import csv
    import io

    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        for field in ("evidence", "must_mention"):
            cell = (row.get(field) or "").strip()
            if cell.startswith("["):
                try:
                    row[field] = json.loads(cell)
                except json.JSONDecodeError:
                    pass
            elif cell:
                row[field] = [item for item in (part.strip() for part in cell.split(";")) if item]
        rows.append({k: v for k, v in row.items() if k is not None})
    return rows


def _read_jsonl(path: Path, text: str) -> list[object]:
    from bot.commands.ask import jsonl_lines

    items = []
    for number, value in jsonl_lines(text):
        if isinstance(value, json.JSONDecodeError):
            raise InputError(f"{path}: line {number}: not valid JSON ({value.msg})") from None
        items.append(value)
    return items


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "item"
    return f"field '{field}': {first['msg']}"


def load_question_sets(paths: list[str | Path]) -> list[Question]:
    """Several question files as one set (e.g. the committed set plus exported feedback); ids stay unique."""
    questions: list[Question] = []
    origin: dict[str, Path] = {}
    for path in paths:
        for question in load_questions(path):
            if question.id in origin:
                raise InputError(f"{path}: id {question.id!r} is already used in {origin[question.id]}")
            origin[question.id] = Path(path)
            questions.append(question)
    return questions


def load_questions(path: str | Path) -> list[Question]:
    """Read and validate a question file; InputError names the file, the item and the field."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such question file")
    try:
        items = _read_items(path)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: cannot parse JSON (line {err.lineno}: {err.msg})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise InputError(f"{path}: cannot parse YAML ({where}{getattr(err, 'problem', None) or err})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    if not items:
        raise InputError(f"{path}: holds no questions")
    questions: list[Question] = []
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        label = f"{path}: item {index}"
        if not isinstance(item, dict):
            raise InputError(f"{label}: expected an object with id and question, got {type(item).__name__}")
        if "id" in item:
            label += f" (id {item['id']!r})"
        try:
            question = Question.model_validate(item)
        except ValidationError as err:
            raise InputError(f"{label}: {_describe(err)}") from None
        if question.id in seen:
            raise InputError(f"{label}: duplicate id {question.id!r}")
        seen.add(question.id)
        questions.append(question)
    return questions


def split_files(split: str, conversations: bool = False) -> list[Path]:
    """The single-question files of one split of the bank (eval/bank/splits.json), or with `conversations`
    its conversation files; globs expanded, sorted."""
    import json

    from ingest.settings import PROJECT_ROOT

    manifest = json.loads((PROJECT_ROOT / "eval" / "bank" / "splits.json").read_text(encoding="utf-8"))
    patterns = manifest["conversations"][split] if conversations else manifest[split]
    return [path for pattern in patterns for path in sorted(PROJECT_ROOT.glob(pattern))]
