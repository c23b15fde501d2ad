"""`jihua audit`: targets against actuals, on the seed pair and on the government reports."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.audit import VERDICTS, Figure, audit, convert, judge, to_csv, to_html, to_json
from pipeline.normalize import to_simplified

from .conftest import CASES, REPORTS, SEEDS

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = json.loads((CASES / "audit_gov.json").read_text(encoding="utf-8"))["rows"]


@pytest.fixture
def reports(reports_dir):
    return reports_dir


_cache: dict[str, list] = {}


def gov_audit(pair: str) -> list:
    if pair not in _cache:
        a, b = pair.split("->")
        _cache[pair] = audit(REPORTS / f"{a}.txt", REPORTS / f"{b}.txt")
    return _cache[pair]


def test_the_seed_plan_and_report_agree_on_the_queue_time(seeds_dir):
    rows = audit(SEEDS / "000_c891bcb0939ef272.txt", SEEDS / "004_02486fcf23ba9c6e.txt")
    row = next(r for r in rows if r.target["canonical"] == "waiting_time")
    assert (row.verdict, row.target["comparator"], row.target["value"], row.target["unit"]) == (
        "met", "<=", 15, "分钟")
    assert row.actual["text"] == "等候不超过15分钟"
    for side, name in ((row.target, "000_c891bcb0939ef272.txt"),
                       (row.actual, "004_02486fcf23ba9c6e.txt")):
        source = (SEEDS / name).read_text(encoding="utf-8")
        s, e = side["span"]
        assert "不超过15分钟" in to_simplified(source[s:e])
        a, b = side["sentence_span"]
        assert source[a:b] == side["sentence"] and a <= s < e <= b


@pytest.mark.parametrize("row", EXPECTED, ids=[f"{r['pair']}-{r['indicator']}" for r in EXPECTED])
def test_government_reports_match_the_hand_checked_table(row, reports):
    rows = [r for r in gov_audit(row["pair"]) if r.target["canonical"] == row["indicator"]]
    assert rows, f"no target found for {row['indicator']}"
    got = next((r for r in rows if row["target_text"] in r.target["sentence"]), rows[0])
    assert got.verdict == row["verdict"], got.reason
    if row.get("actual_value") is not None:
        value = convert(got.actual["value"], got.actual["unit"], row["actual_unit"])
        assert value is not None and math.isclose(value, row["actual_value"], rel_tol=1e-6)


def test_every_consecutive_pair_of_reports_is_audited(reports):
    years = sorted(int(p.stem) for p in reports.glob("*.txt"))
    pairs = [(a, b) for a, b in itertools.pairwise(years) if b == a + 1]
    assert len(pairs) == 13
    for a, b in pairs:
        rows = gov_audit(f"{a}->{b}")
        known = {r.target["canonical"] for r in rows if r.target["canonical"]}
        assert {"gdp_growth", "new_urban_jobs", "cpi"} <= known, (a, b, known)
        assert all(r.verdict in VERDICTS and r.reason for r in rows)


def figure(value, unit, comparator="=", direction="higher", value_max=None):
    return Figure(indicator="x", comparator=comparator, value=value, value_max=value_max,
                  unit=unit, kind="target", text="x", span=[0, 1], path="p", sentence="x",
                  sentence_span=[0, 1], canonical="x", direction=direction)


def test_units_are_converted_where_they_can_be():
    assert convert(2.5, "‰", "%") == pytest.approx(0.25)
    assert convert(1.3, "吨", "斤") == pytest.approx(2600)
    assert convert(3, "个百分点", "%") is None
    assert judge(figure(1100e4, "人", ">="), figure(1352e4, "人"))[0] == "exceeded"
    assert judge(figure(3, "%", "~", "lower"), figure(28, "‰"))[0] == "met"  # 2.8 %
    assert judge(figure(3, "%", "~", "lower"), figure(25, "‰"))[0] == "exceeded"  # 2.5 %
    verdict, reason = judge(figure(5, "%", ">="), figure(0.5, "个百分点"))
    assert verdict == "unclear" and "个百分点" in reason and "%" in reason


@pytest.mark.parametrize(("target", "actual", "verdict"), [
    (figure(6, "%", "range", value_max=6.5), figure(6.1, "%"), "met"),
    (figure(6, "%", "range", value_max=6.5), figure(5.5, "%"), "not_met"),
    (figure(4.5, "%", "<=", "lower"), figure(4.9, "%"), "not_met"),
    (figure(4.5, "%", "<=", "lower"), figure(3.8, "%"), "exceeded"),
    (figure(5.5, "%", "~", "lower"), figure(5.2, "%"), "met"),
    (figure(90, "%", ">="), figure(89.8, "%"), "not_met"),  # a floor has no tolerance
    (figure(90, "%", ">="), figure(90, "%"), "met"),
    (figure(90, "%", ">="), figure(90.1, "%"), "exceeded"),
    (figure(None, "%", "="), figure(12, "%"), "unclear"),
])
def test_verdict_rules(target, actual, verdict):
    assert judge(target, actual)[0] == verdict


def test_outputs_json_csv_and_html(tmp_path):
    text = ("医院工作总结\n一、主要工作开展情况\n群众满意度达到95%。门诊量12万人次<script>alert(1)</script>。\n"
            "二、2025年工作计划\n群众满意度达到90%以上。病床使用率达到85%以上。\n")
    path = tmp_path / "mixed.txt"
    path.write_text(text, encoding="utf-8")
    rows = audit(path)
    verdicts = {r.indicator: r.verdict for r in rows}
    assert verdicts == {"群众满意度": "exceeded", "病床使用率": "no_evidence"}
    data = json.loads(to_json(rows))
    assert set(data[0]) >= {"indicator", "target", "actual", "verdict", "reason"}
    assert set(data[0]["target"]) >= {"text", "span", "comparator", "value", "value_max", "unit"}
    assert set(data[0]["actual"]) >= {"text", "span", "value", "unit"}
    assert data[1]["actual"] is None
    assert len(list(csv.DictReader(io.StringIO(to_csv(rows))))) == 2
    page = to_html(rows)
    assert "<mark>群众满意度达到90%以上</mark>" in page and "exceeded" in page


def test_html_shows_markup_in_a_plan_as_text(tmp_path):
    text = "医院工作总结\n一、主要工作开展情况\n满意度达到95%<b>好</b>。\n二、2025年工作计划\n满意度达到90%以上。\n"
    path = tmp_path / "p.txt"
    path.write_text(text, encoding="utf-8")
    page = to_html(audit(path))
    assert "<b>好</b>" not in page and "&lt;b&gt;好&lt;/b&gt;" in page


def test_audit_cli_writes_csv_and_html(tmp_path, seeds_dir):
    out, page = tmp_path / "a.csv", tmp_path / "a.html"
    cmd = [sys.executable, "-m", "pipeline.cli", "audit", str(SEEDS / "000_c891bcb0939ef272.txt"),
           str(SEEDS / "004_02486fcf23ba9c6e.txt"), "--format", "csv", "-o", str(out),
           "--html", str(page)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert any(r["verdict"] == "met" and r["actual_text"] == "等候不超过15分钟" for r in rows)
    assert page.read_text(encoding="utf-8").startswith("<!doctype html>")
    bad = subprocess.run([sys.executable, "-m", "pipeline.cli", "audit", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 1 and "not a `jihua batch` output folder" in bad.stderr


def test_two_batch_folders_audit_like_the_two_files(tmp_path, seeds_dir):
    from pipeline.batch import run_batch

    run_batch([SEEDS / "000_c891bcb0939ef272.txt"], tmp_path / "plan", workers=1)
    run_batch([SEEDS / "004_02486fcf23ba9c6e.txt"], tmp_path / "report", workers=1)
    from_folders = audit(tmp_path / "plan", tmp_path / "report")
    from_files = audit(SEEDS / "000_c891bcb0939ef272.txt", SEEDS / "004_02486fcf23ba9c6e.txt")
    assert [(r.target["span"], r.verdict) for r in from_folders] == [
        (r.target["span"], r.verdict) for r in from_files]
