"""The plan database, `jihua search`, and `jihua serve` in a real browser."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from pipeline import db
from pipeline.web import FILTERS, make_server

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "out" / "screenshots"
QUERIES = ["满意度", "保卫科", "創城", "第二季度", "科"]
HOSTILE = ['"', "AND OR NOT", "'; DROP TABLE documents; --", "NEAR(a b)", "%_\\", "x:y"]


@pytest.fixture(scope="module")
def database(tmp_path_factory, seeds_dir):
    folder = tmp_path_factory.mktemp("db")
    extra = folder / "inputs"
    extra.mkdir()
    (extra / "script.txt").write_text(
        "医院工作计划\n一、工作目标\n群众满意度达到90%以上<script>alert(1)</script>。\n",
        encoding="utf-8")
    path = folder / "plans.db"
    report = db.build(path, [seeds_dir, extra])
    assert report.documents == 29 and not report.errors
    return path


@pytest.fixture(scope="module")
def server(database):
    srv = make_server(database, port=0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


@pytest.mark.parametrize("query", QUERIES)
def test_a_query_finds_every_document_that_contains_it(database, query):
    con = db.connect(database, read_only=True)
    want = {r["doc_id"] for r in con.execute("SELECT doc_id FROM documents")
            if db.to_simplified(query) in db.document(con, r["doc_id"])["text_simplified"]}
    result = db.search(con, query, limit=1000)
    got = {h["doc_id"] for h in result["hits"]}
    assert want and got == want and result["total"] == len(want)
    scores = [h["score"] for h in result["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert all("<mark>" in h["snippet"] for h in result["hits"])


def test_filters_combine_with_words(database):
    con = db.connect(database, read_only=True)
    both = db.search(con, "满意度", db.Filters(indicator="满意度", comparator=">=", value=90))
    words = db.search(con, "满意度")
    assert 0 < both["total"] < words["total"]
    for hit in both["hits"]:
        record = db.document(con, hit["doc_id"])
        assert any("满意度" in t["indicator"] and t["value"] is not None and t["value"] >= 90
                   for t in record["targets"])
    unit = db.search(con, "", db.Filters(unit="院保卫科"))
    assert unit["total"] >= 1
    assert all(any(u["name"] == "院保卫科" for u in db.document(con, h["doc_id"])["units"])
               for h in unit["hits"])
    kinds = db.search(con, "", db.Filters(kind="report"))
    assert kinds["total"] and all(db.document(con, h["doc_id"])["kind"] == "report"
                                  for h in kinds["hits"])


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_text_not_syntax(database, query):
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    con = db.connect(database, read_only=True)
    try:
        assert db.search(con, query)["total"] == 0
    except db.QueryError as exc:  # nothing but punctuation: nothing the index could hold
        assert str(exc) == "the query has no characters to search for."
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before


def test_punctuation_in_a_query_is_ignored(database):
    con = db.connect(database, read_only=True)
    assert db.search(con, "科 !")["total"] == db.search(con, "科 。")["total"] == db.search(
        con, "科")["total"] > 0


def test_a_wildcard_is_punctuation_not_a_prefix_search(database):
    con = db.connect(database, read_only=True)
    assert db.search(con, "满意*")["total"] == db.search(con, "满意")["total"]
    assert db.search(con, "满*")["total"] == db.search(con, "满")["total"]


def test_two_copies_of_a_file_are_two_documents(tmp_path, seeds_dir):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(seeds_dir / "001_a00c42bcfbbeb1a1.txt", src / "a.txt")
    shutil.copy(seeds_dir / "001_a00c42bcfbbeb1a1.txt", src / "b.txt")
    path = tmp_path / "x.db"
    db.build(path, [src])
    (src / "b.txt").write_text((src / "b.txt").read_text(encoding="utf-8") + "\n附。\n",
                               encoding="utf-8")
    db.build(path, [src])
    con = db.connect(path, read_only=True)
    docs = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    assert docs == 2 == con.execute("SELECT count(*) FROM fts").fetchone()[0]
    units = con.execute("SELECT count(*) FROM units").fetchone()[0]
    one = len(db.document(con, con.execute("SELECT doc_id FROM documents").fetchone()[0])["units"])
    assert units == 2 * one


def test_a_file_that_is_not_a_database_is_refused_in_one_sentence(tmp_path):
    bad = tmp_path / "x?y#z.db"
    bad.write_text("not a database", encoding="utf-8")
    with pytest.raises(db.NotADatabase, match="not a jihua database"):
        db.connect(bad, read_only=True)
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "search", str(bad), "科"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 1 and "not a jihua database" in out.stderr
    assert "Traceback" not in out.stderr


def test_rebuilding_adds_nothing_twice_and_replaces_a_changed_file(tmp_path, seeds_dir):
    src = tmp_path / "in"
    shutil.copytree(seeds_dir, src)
    path = tmp_path / "x.db"
    first = db.build(path, [src])
    again = db.build(path, [src])
    assert (again.skipped, again.documents) == (first.files, 0)
    page = src / "001_a00c42bcfbbeb1a1.txt"
    page.write_text(page.read_text(encoding="utf-8") + "\n补充说明。\n", encoding="utf-8")
    changed = db.build(path, [src])
    assert (changed.replaced, changed.documents) == (1, 1)
    con = db.connect(path, read_only=True)
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == first.documents
    assert con.execute("SELECT count(*) FROM fts").fetchone()[0] == first.documents


def test_api_search_and_errors(server):
    status, body = get(f"{server}/api/search?q={quote('滿意度')}&kind=plan")
    hits = json.loads(body)["hits"]
    assert status == 200 and hits and set(hits[0]) >= {"source", "doc_index", "title",
                                                       "score", "snippet"}
    status, body = get(f"{server}/api/search?q=x&value={quote('>>9')}")
    assert status == 400 and "not a value filter" in json.loads(body)["error"]
    for bad in ("abc", "²", "99999999999999999999"):
        status, body = get(f"{server}/api/search?q=x&year={quote(bad)}")
        assert status == 400 and "four-digit year" in json.loads(body)["error"]
    status, body = get(f"{server}/api/search?q=x&limit={quote('²')}")
    assert status == 400 and "whole number" in json.loads(body)["error"]
    for q in HOSTILE:
        status, body = get(f"{server}/api/search?q={quote(q)}")
        data = json.loads(body)
        assert (status, data.get("total")) == (200, 0) or (
            status == 400 and "no characters" in data["error"])
    assert get(f"{server}/api/doc/nope")[0] == 404
    assert "/api/search" in json.loads(get(f"{server}/api")[1])
    req = urllib.request.Request(f"{server}/api/search?q=x", method="POST", data=b"")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req)
    assert info.value.code == 405


def test_document_text_is_escaped(server, database):
    con = db.connect(database, read_only=True)
    doc_id = con.execute("SELECT doc_id FROM documents WHERE path LIKE '%script.txt'").fetchone()[0]
    status, page = get(f"{server}/doc/{quote(doc_id)}")
    assert status == 200
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page


def test_search_cli_json(database):
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "search", str(database),
                          "保卫科", "--format", "json"], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    hits = json.loads(out.stdout)
    assert hits and all(h["snippet"] and "保卫科" in h["snippet"] for h in hits)


def no_year_doc(server: str) -> str:
    """The doc_id of the test's own plan, which states no year."""
    status, body = get(server + "/api/search?q=alert")
    assert status == 200
    return json.loads(body)["hits"][0]["doc_id"]


def test_a_plan_with_no_year_says_so(server):
    status, page = get(server + "/doc/" + quote(no_year_doc(server)))
    assert status == 200 and "年份未注明 year unknown" in page and "None" not in page


def test_search_table_scores_differ_where_bm25_does(database):
    out = subprocess.run([sys.executable, "-m", "pipeline", "search", str(database), "满意度"],
                         capture_output=True, text=True, check=True)
    scores = [line.split()[0] for line in out.stdout.splitlines()[1:] if line[:1] == " "
              and line.split()[0][0].isdigit()]
    assert len(scores) > 2 and "0.0" not in scores and len(set(scores)) > 1


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_in_a_real_browser(server):
    browser_path = chromium()
    if browser_path is None:
        if os.environ.get("JIHUA_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(server + "/")
        for name, (label, _) in FILTERS.items():  # every filter has its label, on the page
            field = page.locator(f"#f-{name}")
            assert page.inner_text(f"label[for=f-{name}]").strip() == label
            box = field.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1200
        page.screenshot(path=str(SHOTS / "0_form.png"))
        page.fill("#q", "满意度")
        page.click("button[type=submit]")
        page.wait_for_selector("#total")
        total = int(page.inner_text("#total").split()[0])
        assert total > 1 and page.locator(".hit mark").count() > 0
        page.screenshot(path=str(SHOTS / "1_search.png"))
        page.click("a.facet[data-facet=kind]")
        page.wait_for_selector("#total")
        assert int(page.inner_text("#total").split()[0]) <= total
        assert "kind=" in page.url
        page.screenshot(path=str(SHOTS / "2_filtered.png"))
        page.click(".hit a")
        page.wait_for_selector("#title")
        assert page.locator("#original mark").count() > 0
        assert page.is_visible("#original") and not page.is_visible("#simplified")
        page.screenshot(path=str(SHOTS / "3_document.png"), full_page=False)
        page.click("#toggle")
        assert page.is_visible("#simplified") and not page.is_visible("#original")
        page.screenshot(path=str(SHOTS / "4_simplified.png"), full_page=False)
        page.goto(server + "/doc/" + quote(no_year_doc(server)))
        page.wait_for_selector("#title")
        meta = page.inner_text("p.src")
        assert "未注明" in meta and "None" not in meta
        browser.close()
    assert all((SHOTS / f).stat().st_size > 10_000 for f in
               ("0_form.png", "1_search.png", "2_filtered.png", "3_document.png",
                "4_simplified.png"))


def test_a_batch_folder_loads_like_its_files(tmp_path, seeds_dir):
    from pipeline.batch import run_batch

    run_batch([seeds_dir], tmp_path / "batch", workers=1)
    from_batch = db.build(tmp_path / "a.db", [tmp_path / "batch"])
    from_files = db.build(tmp_path / "b.db", [seeds_dir])
    assert (from_batch.files, from_batch.documents) == (from_files.files, from_files.documents)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "documents.jsonl").write_text("{bad\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"documents\.jsonl: line 1 is not JSON"):
        db.build(tmp_path / "c.db", [tmp_path / "bad"])
