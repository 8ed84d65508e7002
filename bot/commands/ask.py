"""`rapportbot ask`: one question, an interactive loop, or a batch file, answered from the store."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Iterator

from ingest.errors import InputError, RapportbotError
from ingest.settings import Settings

_PROMPT = "Spørgsmål (tom linje afslutter) / Question (empty line quits): "


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", nargs="*", help="the question (quote it); none on a terminal: ask interactively")
    parser.add_argument("--json", action="store_true", help="print the answer as one JSON object (the API contract)")
    parser.add_argument("--batch", metavar="FILE", type=Path,
                        help="answer every {\"id\", \"question\"} in FILE (JSON list or JSONL; '-' reads stdin); "
                             "prints one JSON object per line")


def format_answer(answer: Any) -> str:
    """The answer for a terminal: the text, then each quote's section, page and speaker."""
    lines = [answer.answer]
    if answer.notice:
        lines += ["", f"({answer.notice})"]
    if answer.citations:
        lines += ["", "Kilder:" if answer.language == "da" else "Sources:"]
        for c in answer.citations:
            where = [c.section]
            if c.page is not None:
                where.append(f"s. {c.page}" if answer.language == "da" else f"p. {c.page}")
            if c.speaker:
                where.append(c.speaker)
            lines.append(f"[{c.n}] {' · '.join(where)}")
    return "\n".join(lines)


def read_batch(path: Path) -> list[Any]:
    """Items of a batch file: a JSON list, or one JSON value per line (JSONL); a bad line becomes an error item."""
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror or err}") from err
    except UnicodeDecodeError as err:
        raise InputError(f"{path} is not UTF-8 text") from err
    stripped = text.strip()
    if not stripped:
        raise InputError(f"{path} is empty")
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as err:
            raise InputError(f"{path} is not a valid JSON list: {err.msg} (line {err.lineno})") from err
        return list(items)
    return [_BadLine(number, value.msg) if isinstance(value, json.JSONDecodeError) else value
            for number, value in jsonl_lines(stripped)]


def jsonl_lines(text: str) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) for each non-blank line of JSON Lines text; a line that is not JSON gives its
    json.JSONDecodeError as the value, so each caller decides: skip it, report it, or stop."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as err:
                yield number, err


class _BadLine:
    def __init__(self, number: int, message: str):
        self.number, self.message = number, message


def answer_batch(service: Any, items: list[Any]) -> Iterator[dict]:
    """One JSON-ready dict per item: the Answer contract, or {"id", "error"} for an item that cannot be asked."""
    for index, item in enumerate(items, start=1):
        if isinstance(item, _BadLine):
            yield {"id": None, "error": f"line {item.number} is not JSON: {item.message}"}
            continue
        item_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(item_id, (dict, list)):
            item_id = json.dumps(item_id, ensure_ascii=False)
        question = item.get("question") if isinstance(item, dict) else None
        if not isinstance(question, str):
            yield {"id": item_id, "error": f"item {index} has no \"question\" string"}
            continue
        try:
            answer = service.ask(question, id=item_id)
        except RapportbotError as err:
            yield {"id": item_id, "error": str(err)}
            continue
        except Exception as err:  # noqa: BLE001 - one bad item must not stop the batch
            yield {"id": item_id, "error": f"{type(err).__name__}: {err}"}
            continue
        yield answer.model_dump(mode="json")


def line_editing() -> bool:
    """Arrow keys, editing and the session's history (Up: the questions asked before) for `input()`, through
    the standard library's readline. Kept in memory only: questions can be sensitive, so none is written to
    disk. False where there is no readline (Windows): plain input."""
    try:
        import readline
    except ImportError:
        return False
    readline.set_history_length(500)
    readline.set_auto_history(True)
    return True


def _interactive(service: Any) -> int:
    from bot.history import history_turns

    line_editing()
    exchanges: list[tuple[str, Any]] = []
    while True:
        try:
            question = input(_PROMPT)
        except EOFError:
            print()
            return 0
        if not question.strip():
            return 0
        try:
            answer = service.ask(question, history=history_turns(exchanges) or None)
        except InputError as err:
            print(err)
            continue
        print()
        print(format_answer(answer))
        print()
        exchanges = [*exchanges, (question, answer)][-12:]


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        return _run(args, settings)
    except BrokenPipeError:  # `rapportbot ask ... | head`: the reader left; not an error
        sys.stderr.close()
        return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    question = " ".join(args.question).strip()
    if args.batch is None and not question and not sys.stdin.isatty():
        question = sys.stdin.read().strip()  # `echo "..." | rapportbot ask`
    if args.batch is None and not question and not sys.stdin.isatty():
        raise InputError("Skriv et spørgsmål. / Ask a question: rapportbot ask \"...\"")
    if args.batch is not None:
        items = read_batch(args.batch)  # read before loading models: a bad file fails fast

    from bot.service import AnswerService  # heavy: the store and the embedding model

    service = AnswerService(settings)
    if service.store.notice:
        print(f"rapportbot: {service.store.notice}", file=sys.stderr)
    if args.batch is not None:
        out = sys.stdout
        for row in answer_batch(service, items):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
        return 0
    if not question:
        return _interactive(service)
    answer = service.ask(question)
    if args.json:
        print(json.dumps(answer.model_dump(mode="json"), ensure_ascii=False))
    else:
        print(format_answer(answer))
    return 0
