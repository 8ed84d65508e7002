"""Split-word repair measured on hand-labelled line breaks of the bundled report.

tests/data/dehyphen-dev.tsv is half of the project's labelled sample (the other half is held out);
tests/data/dehyphen-extra.tsv labels the remaining candidates of the report, checked by hand in context.
Each set must reach recall >= 0.95 and precision >= 0.995 on its own. Run with -s to see the figures.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from ingest.cleaning import artifact_lines, clean_lines
from ingest.dehyphen import FUNCTION_WORDS, build_judge
from ingest.settings import BUNDLED_REPORT

DATA = Path(__file__).resolve().parent.parent / "data"
RAW_LINES = BUNDLED_REPORT.read_text(encoding="utf-8").split("\n")


def read_labels(name: str) -> dict[tuple[str, str], tuple[str, int]]:
    labels = {}
    for row in (DATA / name).read_text(encoding="utf-8").splitlines():
        if row.startswith("#") or row.startswith("label\t") or not row.strip():
            continue
        label, left, right, count = row.split("\t")
        assert label in ("JOIN", "KEEP")
        labels[(left, right)] = (label, int(count))
    return labels


@pytest.fixture(scope="module")
def joined() -> Counter:
    result = clean_lines(RAW_LINES, [None] * len(RAW_LINES))
    return Counter((j.left, j.right) for j in result.joins if not j.hyphen)


def score(labels: dict, joined: Counter) -> tuple[float, float, list, list]:
    tp = fp = fn = 0
    missed, wrong = [], []
    for pair, (label, count) in labels.items():
        n = min(joined.get(pair, 0), count)
        if label == "JOIN":
            tp, fn = tp + n, fn + count - n
            missed += [pair] * (count - n)
        else:
            fp += n
            wrong += [pair] * n
    return tp / (tp + fn), tp / (tp + fp) if tp + fp else 1.0, missed, wrong


@pytest.mark.parametrize("name", ["dehyphen-dev.tsv", "dehyphen-extra.tsv"])
def test_split_words_recall_and_precision(name: str, joined: Counter) -> None:
    recall, precision, missed, wrong = score(read_labels(name), joined)
    print(f"\n{name}: recall {recall:.3f}, precision {precision:.4f}; missed {missed}; wrongly joined {wrong}")
    assert recall >= 0.95, missed
    assert precision >= 0.995, wrong


def test_labels_cover_every_candidate_of_the_report() -> None:
    """The two files together label (nearly) every line break the candidate definition finds."""
    dropped = artifact_lines(RAW_LINES)
    candidates: Counter = Counter()
    for i, line in enumerate(RAW_LINES):
        left = re.search(r"(\w+)\s*$", line)
        if not left or i in dropped:
            continue
        j = i + 1
        while j < len(RAW_LINES) and (j in dropped or not RAW_LINES[j].strip()):
            j += 1
        right = re.match(r"\s*([a-zæøå]\w*)", RAW_LINES[j]) if j < len(RAW_LINES) else None
        if right:
            candidates[(left.group(1), right.group(1))] += 1
    labels = {**read_labels("dehyphen-dev.tsv"), **read_labels("dehyphen-extra.tsv")}
    unlabelled = [pair for pair in candidates if pair not in labels]
    assert len(unlabelled) <= 1, unlabelled  # one left out as undecidable (see the extra file's header)
    assert all(candidates[pair] == count for pair, (_, count) in labels.items())


def judge_for(text: str):
    """A judge over a small made-up document, with its breaks found as cleaning finds them."""
    lines = text.split("\n")
    breaks = []
    for i in range(len(lines) - 1):
        left, right = re.search(r"(\w+)$", lines[i]), re.match(r"([a-zæøå]\w*)", lines[i + 1])
        if left and right:
            breaks.append((i, i + 1, left.group(1), right.group(1)))
    return build_judge(lines, breaks)


def test_document_evidence_decides_between_two_real_words() -> None:
    text = "Vi taler om partnerskaber i dag.\nDet skal ske i partner\nskaber med borgerne og\nde andre."
    judge = judge_for(text)
    assert judge.should_join("partner", "skaber")      # the document writes "partnerskaber" whole
    assert not judge.should_join("og", "de")           # two function words
    assert not judge_for("Det skal ske i partner\nskaber med borgerne.").should_join("partner", "skaber")


def test_fragments_and_bound_endings_join() -> None:
    judge = judge_for("Arbejdet med udvik\nlingen og kommuner\nne går godt.")
    assert judge.should_join("udvik", "lingen")        # neither half is a word
    assert judge.should_join("kommuner", "ne")         # "-ne" never stands alone
    assert "ne" not in FUNCTION_WORDS


def test_an_unknown_word_before_a_function_word_stays_apart() -> None:
    judge = judge_for("borgerne er idérige\nog effektive.")
    assert not judge.should_join("idérige", "og")


def test_a_definite_noun_after_a_bare_noun_makes_a_compound() -> None:
    judge = judge_for("Vi har fokus på klima\nindsatsen i år, og vi vil styrke\nindsatsen mere.")
    assert judge.should_join("klima", "indsatsen")       # no article or adjective can stand there
    assert not judge.should_join("styrke", "indsatsen")  # a verb before the noun phrase
