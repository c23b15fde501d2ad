"""The target tagger against its case tables: tests/cases/targets.json (the targets
decisions in EXTRACTION.md) and tests/cases/targets_negative.json (text with no target)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import extract_text
from pipeline.evaluate import evaluate

from .conftest import CASES, case_param

GOLD = Path(__file__).resolve().parent.parent / "corpora" / "gold"
TARGETS = json.loads((CASES / "targets.json").read_text(encoding="utf-8"))
NEGATIVE = json.loads((CASES / "targets_negative.json").read_text(encoding="utf-8"))
SECTIONS = {
    "plan": ("医院工作计划", "一、工作目标"),
    "report": ("医院工作总结", "一、主要工作开展情况"),
}


def targets_of(section: str, body: str) -> list[dict]:
    title, heading = SECTIONS[section]
    records = extract_text(f"{title}\n{heading}\n{body}\n")
    assert len(records) == 1
    return records[0]["targets"]


@pytest.mark.parametrize("case", [case_param(r) for r in TARGETS])
def test_target_case(case: dict) -> None:
    found = targets_of(case["section"], case["text"])
    got = [{k: t.get(k) for k in e} for t, e in zip(found, case["expected"], strict=False)]
    assert len(found) == len(case["expected"]), [t["text"] for t in found]
    assert got == case["expected"], case["comment"]


@pytest.mark.parametrize("case", [case_param(r) for r in NEGATIVE])
def test_no_target(case: dict) -> None:
    assert targets_of(case["section"], case["text"]) == [], case["comment"]


def test_every_case_names_its_evidence() -> None:
    for row in TARGETS + NEGATIVE:
        assert row["id"] and row["comment"] and row["evidence"], row
    assert len({r["id"] for r in TARGETS}) == len(TARGETS)


def test_the_period_of_a_count_is_in_the_record() -> None:
    (t,) = targets_of("plan", "每季度向院办报送一次质控数据。")
    assert (t["period"], t["value"], t["unit"]) == ("P3M", 1, "次")


def test_targets_on_the_gold_reach_a_second_annotators_agreement(seeds_dir) -> None:
    """Two annotators agree on targets at F1 ≈ 0.92–0.95 (values ≈ 0.97); the tagger must
    reach F1 0.95 with values 0.97 on the gold brought in line with the decisions."""
    scores = evaluate(GOLD, seeds_dir)["labels"]["target"]
    assert scores["overlap_f1"] >= 0.95 and scores["value_accuracy"] >= 0.97, scores
