"""Tasks: segmentation and links, case by case (tests/cases/tasks.json)."""

from __future__ import annotations

import json

import pytest

from pipeline import extract_file, extract_text

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


def test_docx_task_table_gives_one_task_per_row(tmp_path):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.add_paragraph("医院质量提升工作方案")
    d.add_paragraph("一、任务分工")
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate([("工作任务", "责任科室", "完成时限"),
                             ("修订临床路径", "医务科", "9月底前"),
                             ("开展护理质量检查", "护理部", "每月")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    path = tmp_path / "plan.docx"
    d.save(path)
    [doc] = extract_file(path)
    units = {u["id"]: u["name"] for u in doc["units"]}
    dates = {x["id"]: x["value"] for x in doc["dates"]}
    got = [(k["text"].split("\t")[0], [units[u] for u in k["responsible"]],
            dates.get(k["deadline"]), k["inherited"]) for k in doc["tasks"]]
    table_links = {"responsible": "table", "deadline": "table"}
    assert got == [
        ("修订临床路径", ["医务科"], "../XXXX-09-30", table_links),
        ("开展护理质量检查", ["护理部"], "P1M", table_links),
    ]
