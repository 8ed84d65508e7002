"""Helpers of the robustness suites: the hostile corpus, the checks every answer must pass, store copies,
a changed copy of the report and a store moved into a real Chroma server."""
from __future__ import annotations

import errno
import json
import re
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from eval.bench.processes import bench_env, run_measured
from ingest.settings import PROJECT_ROOT

HOSTILE_FILE = PROJECT_ROOT / "tests" / "data" / "hostile_questions.jsonl"
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")


def load_hostile() -> list[dict[str, Any]]:
    return [json.loads(line) for line in HOSTILE_FILE.read_text(encoding="utf-8").split("\n") if line.strip()]


def hostile_sample(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One item of each category, in file order: the category's first item with an injected `marker` (so the
    "never shown" check has something to catch), else its first item. The variants within a category take the
    same code paths; every kind of hostile input still goes through every channel."""
    chosen: dict[str, dict[str, Any]] = {}
    for item in items:
        current = chosen.get(item["category"])
        if current is None or (item.get("marker") and not current.get("marker")):
            chosen[item["category"]] = item
    picked = {id(item) for item in chosen.values()}
    return [item for item in items if id(item) in picked]


def prompt_lines() -> list[str]:
    """Distinctive lines of our own prompts: none may ever appear in an answer (no prompt leak)."""
    lines: list[str] = []
    for path in (PROJECT_ROOT / "prompts").glob("*.txt"):
        lines += [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                  if len(line.strip()) > 40 and "{" not in line]
    return lines


def assert_no_traceback(text: str, where: str) -> None:
    match = TRACEBACK.search(text or "")
    assert match is None, f"traceback text in {where}: ...{text[max(0, match.start() - 200):match.end() + 300]}"


def check_answer(payload: dict[str, Any], report_text: str, item: dict[str, Any] | None = None) -> None:
    """An answer object honours the contract, quotes only the report, and shows no injected text."""
    from bot.types import Answer

    answer = Answer.model_validate(payload)
    where = f"answer to {item['id'] if item else answer.question[:40]!r}"
    assert_no_traceback(answer.answer + (answer.notice or ""), where)
    for citation in answer.citations:
        assert citation.quote.strip(), f"empty quote in {where}"
        assert citation.quote in report_text, f"quote not verbatim in the report ({where}): {citation.quote[:120]!r}"
    marker = (item or {}).get("marker")
    if marker:
        shown = answer.answer + " ".join(c.quote for c in answer.citations)
        assert marker not in shown, f"injected text {marker!r} reached the {where}"
    for line in prompt_lines():
        assert line not in answer.answer, f"prompt text leaked into the {where}: {line[:60]!r}"


def copy_store(built_store: Path, target: Path) -> Path:
    """A private copy of the shared store, for tests that change or break it."""
    shutil.copytree(built_store, target, symlinks=True)
    return target


# A passage the bundled report does not hold: after an ingest of the changed copy it must be citable.
NEW_PASSAGE = ("Tillæg om Zylofon-forsøget\n\n"
               "Zylofon-forsøget i Nordby Kommune viste, at topledere, der afsætter fast tid til eksperimenter, "
               "får flere radikale løsninger i drift. Forsøget blev gennemført med sytten institutioner.\n")
NEW_QUESTION = "Hvad viste Zylofon-forsøget i Nordby Kommune?"


def changed_report(directory: Path) -> Path:
    """A copy of the bundled report under the same file name, with NEW_PASSAGE appended."""
    from ingest.settings import BUNDLED_REPORT

    directory.mkdir(parents=True, exist_ok=True)
    target = directory / BUNDLED_REPORT.name
    target.write_text(BUNDLED_REPORT.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + NEW_PASSAGE,
                      encoding="utf-8")
    for extra in BUNDLED_REPORT.parent.glob("metadata.json"):
        shutil.copy(extra, directory / extra.name)
    return target


def chroma_backed_store(built_store: Path, work: Path):
    """A copy of the shared store moved into a real `chroma run` server (vectors reused, nothing embedded).
    Returns (store directory, running ChromaServer); the caller stops the server."""
    from eval.bench.processes import ChromaServer

    store = copy_store(built_store, work / "store")
    chroma = ChromaServer(work / "chroma-data").start()
    run = run_measured(["ingest"], bench_env(store, RAPPORTBOT_CHROMA_URL=chroma.url), timeout_s=300)
    if run.returncode != 0:
        chroma.stop()
        raise AssertionError(f"ingest into the Chroma server failed: {run.stderr[-1500:]}")
    return store, chroma


@contextmanager
def small_disk(directory: Path, size: str = "256k") -> Iterator[Path]:
    """A real tmpfs of `size` mounted at `directory` (the test runs as root, as in CI); unmounted after.
    Fill it with `fill_disk`, make it read-only with `remount_read_only`."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)], check=True)
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def fill_disk(directory: Path) -> None:
    """Write until the file system says ENOSPC."""
    try:
        with open(directory / "filler.bin", "wb") as handle:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
    except OSError as err:
        assert err.errno == errno.ENOSPC, err


def remount_read_only(directory: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(directory)], check=True)
