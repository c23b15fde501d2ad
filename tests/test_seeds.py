"""Every seed page through the whole pipeline, with assertions on what comes out."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from pipeline import extract_file
from pipeline.clean import TONED
from pipeline.schema import record_schema

from .conftest import CASES, SEEDS, seed_files
from .spans import check_record_spans

EXPECTED = {k: v for k, v in json.loads((CASES / "seeds.json").read_text()).items()
            if k != "comment"}
NAMES = sorted(EXPECTED)
RESIDUE = re.compile(rf"[(（][a-zü{TONED}]{{1,7}}[)）]")
FURNITURE = ["小编", "本文来源", "上一篇", "下一篇", "延伸阅读", "相关文章", "相关推荐",
             "导语", "liuxue86", "淘宝精品"]

_cache: dict[str, list[dict]] = {}


def records(name: str) -> list[dict]:
    if name not in _cache:
        _cache[name] = extract_file(SEEDS / name)
    return _cache[name]


@pytest.fixture(params=NAMES)
def seed(request, seeds_dir):
    return request.param


def test_every_seed_file_has_expectations(seeds_dir):
    assert sorted(p.name for p in seed_files()) == NAMES


def test_document_count_and_titles(seed):
    got = [r["title"] for r in records(seed)]
    assert got == EXPECTED[seed]["titles"]
    assert [r["doc_index"] for r in records(seed)] == list(range(1, len(got) + 1))


def test_kinds_and_years(seed):
    want = EXPECTED[seed]
    if "kinds" in want:
        assert [r["kind"] for r in records(seed)] == want["kinds"]
    if "years" in want:
        assert [r["year"] for r in records(seed)] == want["years"]


def test_no_pinyin_residue_left(seed):
    for r in records(seed):
        assert not RESIDUE.findall(r["text_simplified"]), r["title"]
        for s in r["sections"]:
            assert not RESIDUE.search(s["heading"])


def test_every_span_maps_back_to_the_original(seed):
    text = (SEEDS / seed).read_text(encoding="utf-8")
    for r in records(seed):
        assert check_record_spans(r, text) == []


def test_site_furniture_belongs_to_no_document(seed):
    for r in records(seed):
        for word in FURNITURE:
            assert word not in r["text_simplified"], (r["title"], word)


def test_records_are_valid_against_the_schema(seed):
    validator = jsonschema.Draft202012Validator(record_schema())
    for r in records(seed):
        validator.validate(r)


def test_every_document_has_an_outline(seed):
    for r in records(seed):
        if len(r["text_simplified"]) > 600:
            assert r["sections"], r["title"]


def test_site_heading_year_does_not_become_the_document_year(seeds_dir):
    # 2023年度医院工作计划精选篇1 is the site's heading over a plan that says 2009年.
    first = records("003_407c6774ff7c0586.txt")[0]
    assert first["year"] == 2009
    assert first["year_source"] == "opening"


def test_report_with_next_year_plan_is_mixed(seeds_dir):
    # 篇8: 一、主要工作开展情况 (report) then 二、xx年工作思路 (plan).
    doc = records("002_25b50e54dfb77805.txt")[7]
    top = [(s["heading"], s["kind"]) for s in doc["sections"] if s["level"] == 1]
    assert top[0] == ("主要工作开展情况", "report")
    assert top[1] == ("xx年工作思路", "plan")
    assert doc["kind"] == "mixed"


def test_broken_characters_are_warnings_not_deletions(seeds_dir):
    # 000 has mojibake such as 控?zé)煿ぷ?/p> from a bad conversion upstream.
    name = "000_c891bcb0939ef272.txt"
    text = (SEEDS / name).read_text(encoding="utf-8")
    mojibake = [w for r in records(name) for w in r["warnings"] if w["code"] == "mojibake"]
    assert len(mojibake) >= 3
    joined = "\n".join(r["text_original"] for r in records(name))
    for w in mojibake:
        s, e = w["span"]
        broken = text[s:e]
        assert "?" in broken or any("\u3040" <= c <= "\u30ff" or "\u2500" <= c <= "\u257f"
                                    for c in broken)
        assert broken in joined  # reported, and still there
