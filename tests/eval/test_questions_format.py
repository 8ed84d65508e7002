"""`rapportbot eval --questions FILE`: JSON, JSONL and YAML in; clear errors naming file, item and field."""
from __future__ import annotations

import json

import pytest

from eval.questions import load_questions
from ingest.errors import InputError

GOOD = [
    {"id": 1, "question": "Hvor mange topledere er interviewet?", "lang": "da", "kind": "number",
     "evidence": ["baserer sig på samtaler med 24"], "must_mention": ["24"], "gold_answer": "24"},
    {"id": "oos", "question": "What is the weather?", "kind": "out_of_scope"},
]


def test_json_jsonl_and_yaml_give_the_same_questions(tmp_path):
    (tmp_path / "q.json").write_text(json.dumps(GOOD), encoding="utf-8")
    (tmp_path / "q.jsonl").write_text("\n".join(json.dumps(q) for q in GOOD) + "\n\n", encoding="utf-8")
    (tmp_path / "q.yaml").write_text(
        "- id: 1\n  question: Hvor mange topledere er interviewet?\n  lang: da\n  kind: number\n"
        "  evidence: [baserer sig på samtaler med 24]\n  must_mention: [24]\n  gold_answer: '24'\n"
        "- {id: oos, question: 'What is the weather?', kind: out_of_scope}\n", encoding="utf-8")
    loaded = [load_questions(tmp_path / name) for name in ("q.json", "q.jsonl", "q.yaml")]
    assert loaded[0] == loaded[1] == loaded[2]
    first, second = loaded[0]
    assert first.id == "1" and first.must_mention == ["24"] and first.answerable
    assert second.lang is None and not second.answerable and second.evidence == []


def test_feedback_export_lines_are_accepted_and_unknown_fields_ignored(tmp_path):
    path = tmp_path / "feedback.jsonl"
    path.write_text(json.dumps({"id": "fb-7", "question": "Hvad siger de om klima?", "rating": -1,
                                "comment": "manglede kilde", "answer": "...", "created": "2026-11-27",
                                "evidence": "", "gold_answer": ""}) + "\n", encoding="utf-8")
    (q,) = load_questions(path)
    assert q.id == "fb-7" and q.kind == "fact" and q.evidence == [] and q.gold_answer is None


def test_unknown_suffix_is_sniffed(tmp_path):
    path = tmp_path / "questions.txt"
    path.write_text("\n".join(json.dumps(q) for q in GOOD), encoding="utf-8")
    assert len(load_questions(path)) == 2


@pytest.mark.parametrize("content, suffix, message", [
    ('[{"id": "a"}]', ".json", "item 1 (id 'a'): field 'question': Field required"),
    ('[{"id": "a", "question": "x", "lang": "de"}]', ".json", "item 1 (id 'a'): field 'lang'"),
    ('[{"id": "a", "question": "x", "evidence": [3, ""]}]', ".json", "field 'evidence'"),
    ('[{"id": "a", "question": "x", "kind": "out_of_scope", "evidence": ["y"]}]', ".json", "out_of_scope"),
    ('[{"id": "a", "question": "x"}, {"id": "a", "question": "y"}]', ".json", "item 2 (id 'a'): duplicate id"),
    ('{"id": "a", "question": "x"}\n{"id": "b", "question": \n', ".jsonl", "line 2: not valid JSON"),
    ("- id: a\n  question: [unclosed\n", ".yaml", "cannot parse YAML (line 3"),
    ('[{"id": "a",, }]', ".json", "cannot parse JSON (line 1"),
    ('{"id": "a", "question": "x"}', ".json", "expected a list of questions"),
    ("[]", ".json", "holds no questions"),
    ('["just a string"]', ".json", "item 1: expected an object"),
])
def test_bad_files_name_file_item_and_field(tmp_path, content, suffix, message):
    path = tmp_path / f"bad{suffix}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_questions(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such question file"):
        load_questions(tmp_path / "nope.yaml")


def test_csv_with_list_cells(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,question,kind,evidence,must_mention,lang\n'
                    'a,Hvor lang tid varede interviewene?,,cirka 30 minutters varighed,30;minut,da\n'
                    'b,Hvem er Stefan Hermann?,fact,"[""Stefan Hermann, rektor, Københavns""]",rektor,\n',
                    encoding="utf-8")
    a, b = load_questions(path)
    assert (a.kind, a.evidence, a.must_mention, a.lang) == ("fact", ["cirka 30 minutters varighed"], ["30", "minut"], "da")
    assert b.evidence == ["Stefan Hermann, rektor, Københavns"] and b.lang is None
