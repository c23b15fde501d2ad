"""Tasks: segmentation and links, case by case (tests/cases/tasks.json)."""

from __future__ import annotations

import json

import pytest

from pipeline import extract_text

from .conftest import CASES

DATA = json.loads((CASES / "tasks.json").read_text(encoding="utf-8"))
CASE_LIST = [
    pytest.param(c, id=c["id"],
                 marks=[pytest.mark.xfail(strict=True, reason=c["xfail"])] if "xfail" in c else [])
    for c in DATA["cases"]
]


def got_tasks(text: str) -> list[dict]:
    [doc] = extract_text("医院工作方案\n" + text)
    units = {u["id"]: u for u in doc["units"]}
    dates = {d["id"]: d for d in doc["dates"]}
    out = []
    for k in doc["tasks"]:
        deadline = None
        if k["deadline"]:
            deadline = [dates[k["deadline"]]["value"], k["inherited"].get("deadline")]
        out.append({
            "text": k["text"],
            "units": [[units[r["unit"]]["name"], r["role"], r["inherited"]] for r in k["roles"]],
            "deadline": deadline,
        })
    return out


@pytest.mark.parametrize("case", CASE_LIST)
def test_task_case(case):
    assert got_tasks(case["text"]) == case["expected"]


def test_task_links_are_ids_of_the_document():
    [doc] = extract_text("医院工作方案\n一、工作任务\n"
                         "1、由院办负责,6月30日前完成培训,参训率达到95%以上。")
    [task] = doc["tasks"]
    ids = {x["id"] for g in ("units", "dates", "targets") for x in doc[g]}
    assert set(task["responsible"]) | set(task["dates"]) | set(task["targets"]) <= ids
    assert task["deadline"] in task["dates"] and task["targets"]
