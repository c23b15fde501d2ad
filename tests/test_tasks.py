"""Tasks: segmentation and links, case by case (tests/cases/tasks.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import extract_file, extract_text
from pipeline.evaluate import evaluate_tasks, pair_tasks

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


PLAN = ("医院工作方案\n一、实施步骤\n(一)动员部署阶段(2024年3月至4月)\n"
        "医务科牵头,护理部配合,召开全院动员大会。\n(二)整改落实阶段(2024年5月至9月)\n"
        "各科室对照标准开展自查整改,整改率达到100%。\n")


def test_task_links_rows_join_the_tasks_and_items():
    from pipeline.batch import table_rows

    [record] = extract_text(PLAN, "plan.txt")
    rows = table_rows(record)
    tasks = {r["id"]: r for r in rows["tasks"]}
    ids = {r["id"] for g in ("units", "dates", "targets", "phases", "sections") for r in rows[g]}
    assert rows["task_links"] and all(r["task"] in tasks for r in rows["task_links"])
    assert all(r["item"] in ids for r in rows["task_links"])
    kinds = {(r["kind"], r["role"], r["inherited_from"]) for r in rows["task_links"]}
    assert {("unit", "lead", None), ("deadline", None, "phase"), ("target", None, None)} <= kinds
    assert [t["deadline_value"] for t in tasks.values()] == ["2024-03/2024-04", "2024-05/2024-09"]


def test_the_matrix_names_lead_and_other_units_and_the_deadline():
    from pipeline import matrix

    rows = matrix.rows(extract_text(PLAN, "plan.txt"))
    got = [(r["section"], r["phase"], r["lead_unit"], r["other_units"], r["deadline_edtf"],
            r["deadline_from"], r["targets"]) for r in rows]
    assert got == [
        ("动员部署阶段(2024年3月至4月)", "动员部署阶段", "医务科", "护理部(配合)",
         "2024-03/2024-04", "phase", ""),
        ("整改落实阶段(2024年5月至9月)", "整改落实阶段", "各科室", "", "2024-05/2024-09",
         "phase", "整改率达到100%"),
    ]
    text = matrix.as_table(rows)
    assert text.splitlines()[0].split()[:5] == ["文件", "篇", "章节", "阶段", "任务"]


def test_jihua_tasks_writes_csv_and_a_readable_xlsx(tmp_path):
    import csv

    from click.testing import CliRunner

    from pipeline.cli import main

    src = tmp_path / "plan.txt"
    src.write_text(PLAN, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["tasks", str(src), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.output.splitlines()))
    assert [r["lead_unit"] for r in rows] == ["医务科", "各科室"]
    result = runner.invoke(main, ["tasks", str(src), "--format", "xlsx"])
    assert result.exit_code == 1 and "-o FILE.xlsx" in result.output
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "matrix.xlsx"
    result = runner.invoke(main, ["tasks", str(src), "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out).active
    values = list(ws.iter_rows(values_only=True))
    assert values[0][:5] == ("文件", "篇", "章节", "阶段", "任务") and len(values) == 3
    assert values[1][5] == "医务科" and ws.freeze_panes == "A2"
    assert ws.column_dimensions["E"].width > ws.column_dimensions["B"].width


TASK_GOLD = Path(__file__).resolve().parent.parent / "corpora" / "gold" / "tasks"


def test_a_task_spanning_several_gold_tasks_matches_one_at_most():
    gold = [{"span": [0, 10]}, {"span": [10, 20]}, {"span": [20, 30]}]
    assert len(pair_tasks(gold, [{"span": [0, 30]}])) == 1  # the other two are missed
    assert len(pair_tasks(gold, [{"span": [0, 12]}, {"span": [12, 30]}])) == 2
    # overlap must reach half of the shorter span
    assert pair_tasks([{"span": [0, 10]}], [{"span": [6, 40]}]) == []
    assert pair_tasks([{"span": [0, 10]}], [{"span": [4, 40]}]) == [(0, 0)]


def test_task_gold_points_into_the_seeds(seeds_dir):
    files = sorted(TASK_GOLD.glob("*.tasks.json"))
    assert len(files) == 5
    for gf in files:
        gold = json.loads(gf.read_text(encoding="utf-8"))
        raw = (seeds_dir / gold["source"]).read_text(encoding="utf-8")
        for t in gold["tasks"]:
            a, b = t["span"]
            assert 0 <= a < b <= len(raw)
            for x in t["targets"]:
                assert a <= x["span"][0] < x["span"][1] <= b


# The figures the rules reach on the task gold (bars asked: task F1 0.85, unit-link F1 0.80,
# deadline recall 0.85, target-link F1 0.85), held at what they reach: a change that drops
# below them fails.
def test_task_scores_on_gold(seeds_dir):
    s = evaluate_tasks(TASK_GOLD, seeds_dir)["all"]
    assert s["task_f1"] >= 0.92
    assert s["target_f1"] >= 0.95
    assert s["deadline_accuracy"] >= 0.955
    assert s["deadline_recall"] >= 0.945
    assert s["unit_f1"] >= 0.80


def test_search_tasks_by_unit_and_due_date(tmp_path):
    from click.testing import CliRunner

    from pipeline import db
    from pipeline.cli import main

    src = tmp_path / "plan.txt"
    src.write_text("医院2025年工作方案\n一、工作任务\n1、医务科负责修订诊疗规范,2025年6月底前完成。\n"
                   "2、医务科每月开展病历质控。\n3、护理部负责护理培训,2025年9月底前完成。\n",
                   encoding="utf-8")
    path = tmp_path / "plans.db"
    db.build(path, [src])
    con = db.connect(path, read_only=True)
    due = db.search_tasks(con, unit="医务科", due_before="2025-06-30")
    assert [(h["units"][0]["name"], h["deadline"], h["due"]) for h in due["hits"]] == [
        ("医务科", "../2025-06-30", "2025-06-30")]
    assert db.search_tasks(con, unit="医务科")["total"] == 2
    assert db.search_tasks(con, due_after="2025-07-01")["total"] == 1
    with pytest.raises(db.QueryError):
        db.search_tasks(con, due_before="June")
    con.close()
    result = CliRunner().invoke(main, ["search", str(path), "--tasks", "--unit", "医务科",
                                       "--due-before", "2025-06-30", "--format", "json"])
    assert result.exit_code == 0, result.output
    [hit] = json.loads(result.output)
    assert hit["text"].startswith("医务科负责修订诊疗规范") and hit["span"][1] > hit["span"][0]


def test_the_plan_page_has_a_task_table_that_points_at_each_span():
    import html
    import re

    from pipeline.web import document_page

    [record] = extract_text(PLAN, "plan.txt")
    page = document_page(record)
    rows = re.findall(r"<tr data-task='(k\d+)'>", page)
    assert rows == [k["id"] for k in record["tasks"]]
    base = record["span"][0]
    original = re.search(r"<div class='text' id='original'[^>]*>(.*?)</div>", page, re.S)[1]
    assert html.unescape(re.sub(r"<[^>]+>", "", original)) == record["text_original"]
    for k in record["tasks"]:
        inner = re.search(rf"<span class='task' data-task='{k['id']}'>(.*?)</span>", original)
        a, b = k["span"]
        assert html.unescape(re.sub(r"<[^>]+>", "", inner[1])) == \
            record["text_original"][a - base:b - base]
    assert "医务科 (lead)、护理部 (cooperating)" in page
    assert "2024年3月至4月 [2024-03/2024-04]" in page


def test_batch_task_links_join_tasks_and_units(tmp_path):
    from pipeline.batch import load_tables, run_batch

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "plan.txt").write_text(PLAN, encoding="utf-8")
    run_batch([tmp_path / "in"], tmp_path / "out", workers=1)
    t = load_tables(tmp_path / "out")
    links = t["task_links"]
    units = links[links["kind"] == "unit"].merge(
        t["units"], left_on=["doc_id", "item"], right_on=["doc_id", "id"])
    assert sorted(zip(units["name"], units["role_x"], strict=True)) == [
        ("医务科", "lead"), ("各科室", "responsible"), ("护理部", "cooperating")]
    joined = links.merge(t["tasks"], left_on=["doc_id", "task"], right_on=["doc_id", "id"])
    assert len(joined) == len(links) and set(t["tasks"]["deadline_value"]) == {
        "2024-03/2024-04", "2024-05/2024-09"}
