"""Each layer on its own: cleaning, conversion, outline, rules, schema."""

from __future__ import annotations

import json

import pytest

from pipeline import extract_text
from pipeline.clean import clean
from pipeline.normalize import fold, prepare, to_simplified
from pipeline.outline import parse
from pipeline.rules import REQUIRED, validate
from pipeline.schema import SCHEMA_PATH, render
from pipeline.split import lines_of

from .conftest import CASES

CLEANING = json.loads((CASES / "cleaning.json").read_text(encoding="utf-8"))
OUTLINE = json.loads((CASES / "outline.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CLEANING, ids=[c["id"] for c in CLEANING])
def test_cleaning(case):
    result = clean(case["text"])
    assert result.text == case["expected"]
    # the map takes every kept character back to the same character in the original
    for i, ch in enumerate(result.text):
        original = case["text"][result.map[i]]
        assert original == ch or case["text"][result.map[i]] == "&"


def test_replacement_characters_are_reported_with_their_span():
    text = "一、工作\ufffd\ufffd任务"
    warnings = clean(text).warnings
    assert [(w["code"], w["span"]) for w in warnings] == [("replacement_character", [4, 6])]


def test_t2s_keeps_length_and_converts():
    assert to_simplified("醫院創城工作實施方案") == "医院创城工作实施方案"
    text = "乾淨的頭髮,一隻"
    assert len(to_simplified(text)) == len(text)


def test_fold_is_for_matching_only_and_keeps_length():
    assert fold("（一）１２　ＡＢ") == "(一)12 AB"


@pytest.mark.parametrize("case", OUTLINE, ids=[c["id"] for c in OUTLINE])
def test_outline(case):
    text = prepare(case["text"])
    sections = parse(lines_of(text), text)
    got = [[s.level, s.marker, text.simp[s.heading[0]:s.heading[1]]] for s in sections]
    want = [[lvl, marker, fold(heading)] for lvl, marker, heading in case["expected"]]
    assert [[lvl, m, fold(h)] for lvl, m, h in got] == want


def test_outline_parents_and_children_agree():
    record = extract_text("医院工作计划\n一、目标\n（一）甲\n1、乙\n2、丙\n（二）丁\n二、措施\n")[0]
    by_id = {s["id"]: s for s in record["sections"]}
    for s in record["sections"]:
        for child in s["children"]:
            assert by_id[child]["parent"] == s["id"]
            assert by_id[child]["level"] == s["level"] + 1
    assert [s["heading"] for s in record["sections"] if s["parent"] is None] == ["目标", "措施"]


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_rule_files_are_valid(name):
    assert validate(name) == []


def test_rule_validator_names_file_line_and_id(tmp_path):
    (tmp_path / "genre.tsv").write_text(
        "id\tkind\tword\tcomment\nok\tplan\t计划\tfine\n"
        "bad\tfuture\t\tno word\nok\tplan\t方案\tdup\n",
        encoding="utf-8")
    problems = validate("genre.tsv", tmp_path)
    assert "genre.tsv:3 bad: empty word" in problems
    assert "genre.tsv:3 bad: kind 'future' is not one of ['other', 'plan', 'problems', 'report']" \
        in problems
    assert "genre.tsv:4 ok: duplicate id" in problems


def test_committed_schema_is_current():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render(), \
        "the JSON Schema is stale: run python -m pipeline.schema"


def test_text_without_a_plan_still_gives_one_document():
    records = extract_text("The quick brown fox jumps over the lazy dog.\n")
    assert len(records) == 1
    assert records[0]["sections"] == []
    assert records[0]["title"] is None
    assert [w["code"] for w in records[0]["warnings"]] == ["no_title"]
