"""The plan database on both backends, with the same cases: SQLite files and a real
PostgreSQL server started for the session (tests/conftest.py). Words are found literally in
either script, filters agree, rebuilding replaces and prunes, and several loaders at once —
or one killed in the middle — leave every document once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from pipeline import db
from pipeline.assemble import iter_file
from pipeline.web import make_server
from tests.conftest import BACKENDS, new_target

ROOT = Path(__file__).resolve().parent.parent
# words of one to eight characters, both scripts, Latin in another case, two words at once
QUERIES = ["科", "满意度", "保卫科", "創城", "第二季度", "领导小组", "醫院", "创建文明城市工作",
           "健康教育", "消毒", "经济", "改革開放", "政府工作报告", "全面建成小康社会", "就业",
           "人", "稳中求进", "疫情防控", "发展 质量", "gdp"]
HOSTILE = ['"', "AND OR NOT", "'; DROP TABLE documents; --", "NEAR(a b)", "%_\\", "x:y",
           "满意度' OR '1'='1", "?", "%s", "$1"]
_corpora: dict[str, tuple[db.Database, dict[str, dict]]] = {}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, seeds_dir, reports_dir) -> list[Path]:
    extra = tmp_path_factory.mktemp("inputs")
    (extra / "script.txt").write_text(
        "医院工作计划\n一、工作目标\n群众满意度达到90%以上<script>alert(1)</script>。\n",
        encoding="utf-8")
    return [seeds_dir, reports_dir, extra]


def corpus(backend: str, request: pytest.FixtureRequest, inputs: list[Path]):
    """The database of the seeds and the government reports on ``backend`` (built once),
    opened read-only, and its records by id."""
    if backend not in _corpora:
        folder = request.getfixturevalue("tmp_path_factory").mktemp(backend)
        target = new_target(backend, request, folder)
        report = db.build(target, inputs)
        assert report.documents > 40 and not report.errors
        database = db.open_database(target, read_only=True)
        records = {i: database.document(i) for i in database.doc_ids()}
        _corpora[backend] = database, records
    return _corpora[backend]


@pytest.fixture(scope="module", params=BACKENDS)
def plans(request, inputs):
    yield corpus(request.param, request, inputs)


@pytest.fixture(scope="module", autouse=True)
def _close_corpora():
    yield
    for database, _ in _corpora.values():
        database.close()
    _corpora.clear()


def holds(record: dict, query: str) -> bool:
    """Whether a document holds every word of ``query``, as the index defines it: the
    characters in order, punctuation and spaces aside, in the title or in the text."""
    fields = [db.indexed(record["title"] or ""), db.indexed(record["text_simplified"])]
    return all(any(db.indexed(w) in f for f in fields) for w in db.query_words(query))


@pytest.mark.parametrize("query", QUERIES)
def test_a_query_finds_every_document_that_contains_it(plans, query):
    database, records = plans
    want = {i for i, r in records.items() if holds(r, query)}
    result = database.search(query, limit=1000)
    got = {h["doc_id"] for h in result["hits"]}
    assert want and got == want and result["total"] == len(want)
    scores = [h["score"] for h in result["hits"]]
    assert scores == sorted(scores, reverse=True)
    in_text = [h for h in result["hits"] if all(
        db.indexed(w) in db.indexed(records[h["doc_id"]]["text_simplified"])
        for w in db.query_words(query))]
    assert in_text and all("<mark>" in h["snippet"] for h in in_text)


def test_both_backends_find_the_same_documents_with_the_same_scores(request, inputs):
    sqlite, _ = corpus("sqlite", request, inputs)
    postgres, _ = corpus("postgresql", request, inputs)
    for query in QUERIES:
        a, b = sqlite.search(query, limit=1000), postgres.search(query, limit=1000)
        assert a["total"] == b["total"] > 0, query
        scores_a = {h["doc_id"]: h["score"] for h in a["hits"]}
        scores_b = {h["doc_id"]: h["score"] for h in b["hits"]}
        assert scores_a.keys() == scores_b.keys(), query
        for doc_id, score in scores_a.items():  # the same formula; rounding to 4 digits aside
            assert score == pytest.approx(scores_b[doc_id], rel=2e-3), (query, doc_id)
        assert a["facets"] == b["facets"], query
    for f in (db.Filters(unit="院保卫科"), db.Filters(kind="report"), db.Filters(year=2009),
              db.Filters(indicator="满意度", comparator=">=", value=90),
              db.Filters(deadline_from="2000-01-01", deadline_to="2030-12-31"),
              db.Filters(phase="阶段"), db.Filters(target_kind="target")):
        a, b = sqlite.search("", f, limit=1000), postgres.search("", f, limit=1000)
        assert a == b and a["total"] > 0, f
    for q, f in (("满意度", db.Filters(kind="plan")), ("工作", db.Filters(phase="阶段")),
                 ("医院 工作", db.Filters(unit="院保卫科")), ("经济", db.Filters(kind="report"))):
        a, b = sqlite.search(q, f, limit=1000), postgres.search(q, f, limit=1000)
        assert a["total"] == b["total"] > 0, (q, f)
        assert {h["doc_id"]: h["score"] for h in a["hits"]} == pytest.approx(
            {h["doc_id"]: h["score"] for h in b["hits"]}, rel=2e-3), (q, f)


def test_both_backends_find_the_same_tasks(request, inputs):
    sqlite, records = corpus("sqlite", request, inputs)
    postgres, _ = corpus("postgresql", request, inputs)
    unit = "各重点医院"  # given work in one of the seed plans, with dated deadlines
    expected = sorted(
        (doc_id, k["id"]) for doc_id, r in records.items() for k in r["tasks"]
        if any(u["name"] == unit for u in r["units"]
               if u["id"] in {x["unit"] for x in k.get("roles", [])}))
    dated = sqlite.search_tasks(due_after="2000-01-01", limit=1000)
    with_unit = next(h for h in dated["hits"] if h["units"])
    for args in ({"unit": unit}, {"due_after": "2000-01-01"},
                 {"unit": with_unit["units"][0]["name"], "due_before": with_unit["due"]}):
        a = sqlite.search_tasks(limit=1000, **args)
        b = postgres.search_tasks(limit=1000, **args)
        assert a == b and a["total"] > 0, args
    found = sqlite.search_tasks(unit=unit, limit=1000)
    assert sorted((h["doc_id"], h["task"]) for h in found["hits"]) == expected


def test_filters_combine_with_words(plans):
    database, records = plans
    both = database.search("满意度", db.Filters(indicator="满意度", comparator=">=", value=90))
    words = database.search("满意度")
    assert 0 < both["total"] < words["total"]
    for hit in both["hits"]:
        assert any("满意度" in t["indicator"] and t["value"] is not None and t["value"] >= 90
                   for t in records[hit["doc_id"]]["targets"])
    unit = database.search("", db.Filters(unit="院保卫科"))
    assert unit["total"] >= 1 and all(
        any(u["name"] == "院保卫科" for u in records[h["doc_id"]]["units"]) for h in unit["hits"])
    kinds = database.search("", db.Filters(kind="report"), limit=100)
    assert kinds["total"] and all(records[h["doc_id"]]["kind"] == "report"
                                  for h in kinds["hits"])
    with pytest.raises(db.QueryError, match="comparator"):
        database.search("", db.Filters(comparator="<>", value=1))
    facets = database.search("医院")["facets"]
    assert facets["kind"] and facets["year"] and all(v["count"] > 0 for v in facets["unit"])


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_text_not_syntax(plans, query):
    database, records = plans
    before = database.count("documents")
    try:
        result = database.search(query)
    except db.QueryError as exc:  # nothing but punctuation: nothing the index could hold
        assert str(exc) == "the query has no characters to search for."
    else:
        assert result["total"] == sum(holds(r, query) for r in records.values())
    assert database.count("documents") == before == len(records)


def test_a_wildcard_and_punctuation_are_not_syntax(plans):
    database, _ = plans
    assert database.search("满意*")["total"] == database.search("满意")["total"]
    assert database.search("科 。")["total"] == database.search("科")["total"] > 0
    with pytest.raises(db.QueryError, match="at most 64"):
        database.search("科" * 65)


def test_the_read_only_connection_cannot_write(plans):
    database, _ = plans
    with database.connection() as con, pytest.raises(database.dialect.Error):
        con.execute("DELETE FROM files")


def copies(folder: Path, seeds_dir: Path, n: int, tag: str = "") -> list[Path]:
    """``n`` files made of the seed pages, each unique by its first line."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = sorted(seeds_dir.glob("*.txt"))
    out = []
    for i in range(n):
        page = pages[i % len(pages)]
        path = folder / f"{tag}{i:03d}_{page.name}"
        path.write_text(f"第{i}份{tag}\n" + page.read_text(encoding="utf-8"), encoding="utf-8")
        out.append(path)
    return out


def doc_counts(files: list[Path]) -> dict[str, int]:
    """The documents of each file, by path."""
    return {str(p): sum(1 for r in iter_file(p) if "doc_index" in r) for p in files}


def consistent(target: str | Path, expected: dict[str, int] | None = None,
               *, settled: bool = True) -> tuple[int, int]:
    """Check that the database holds whole files only (each with the documents
    ``expected`` of it); ``(files, documents)``. While a loader runs (not ``settled``), the
    documents are read before the files, so a file committed in between is no error."""
    database = db.open_database(target, read_only=True)
    try:
        with database.connection() as con:
            by_path = con.execute(
                "SELECT path, count(*), min(doc_index), max(doc_index) FROM documents"
                " GROUP BY path").fetchall()
            files = {p for (p,) in con.execute("SELECT path FROM files").fetchall()}
        assert {p for p, *_ in by_path} <= files  # no document of a file not recorded whole
        for path, n, lo, hi in by_path:  # no file half loaded
            assert hi - lo == n - 1
            assert expected is None or expected[path] == n
        documents = sum(n for _, n, *_ in by_path)
        if settled:
            # every file recorded has all its documents
            assert expected is None or {p for p, *_ in by_path} == {
                p for p in files if expected[p]}
            assert database.count("fulltext") == documents == len(set(database.doc_ids()))
        return len(files), documents
    finally:
        database.close()


def test_rebuilding_skips_replaces_and_prunes(new_database, tmp_path, seeds_dir):
    target = new_database()
    src = tmp_path / "in"
    shutil.copytree(seeds_dir, src)
    first = db.build(target, [src])
    again = db.build(target, [src])
    assert (again.skipped, again.documents, again.removed) == (first.files, 0, 0)
    page = src / "001_a00c42bcfbbeb1a1.txt"
    page.write_text(page.read_text(encoding="utf-8") + "\n补充说明。\n", encoding="utf-8")
    changed = db.build(target, [src])
    assert (changed.replaced, changed.documents) == (1, 1)
    assert consistent(target) == (first.files, first.documents)
    gone = sorted(src.glob("*.txt"))[-1]
    lost = doc_counts([gone])[str(gone)]
    gone.unlink()
    pruned = db.build(target, [src])
    assert pruned.removed == 1 and pruned.skipped == first.files - 1
    assert consistent(target) == (first.files - 1, first.documents - lost)
    database = db.open_database(target, read_only=True)
    try:
        assert all(h["source"] != str(gone) for h in database.search("", limit=100)["hits"])
        assert database.count("units") == sum(
            len(database.document(i)["units"]) for i in database.doc_ids())
    finally:
        database.close()
    kept = db.build(target, [page])  # a file given alone prunes nothing
    assert (kept.skipped, kept.removed) == (1, 0)


def test_two_copies_of_a_file_are_two_documents(new_database, tmp_path, seeds_dir):
    target = new_database()
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(seeds_dir / "001_a00c42bcfbbeb1a1.txt", src / "a.txt")
    shutil.copy(seeds_dir / "001_a00c42bcfbbeb1a1.txt", src / "b.txt")
    db.build(target, [src])
    assert consistent(target) == (2, 2)


def loader(target: str | Path, *inputs: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", "db", "build", str(target),
                             *map(str, inputs)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_loaders_at_once_load_every_document_once(new_database, tmp_path, seeds_dir):
    target = new_database()
    a = copies(tmp_path / "a", seeds_dir, 6, "a")
    b = copies(tmp_path / "b", seeds_dir, 6, "b")
    shared = copies(tmp_path / "shared", seeds_dir, 3, "s")  # both load these too
    runs = [loader(target, tmp_path / "a", tmp_path / "shared"),
            loader(target, tmp_path / "shared", tmp_path / "b")]
    for run in runs:
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
        assert "Traceback" not in err
    want = doc_counts(a + b + shared)
    assert consistent(target, want) == (15, sum(want.values()))


@pytest.mark.parametrize(("signum", "after"), [
    pytest.param(signal.SIGKILL, 0, id="sigkill-first-file"),
    pytest.param(signal.SIGKILL, 2, id="sigkill"),
    pytest.param(signal.SIGTERM, 2, id="sigterm"),
    pytest.param(signal.SIGINT, 2, id="sigint"),
])
def test_a_killed_loader_leaves_whole_files_and_a_rerun_completes_it(
        new_database, tmp_path, seeds_dir, signum, after):
    target = new_database()
    files = copies(tmp_path / "in", seeds_dir, 20)
    run = loader(target, tmp_path / "in")
    try:
        deadline = time.monotonic() + 300
        loaded = -1
        while time.monotonic() < deadline and run.poll() is None and loaded < after:
            time.sleep(0.05)
            try:
                loaded = consistent(target, settled=False)[0]
            except (ValueError, OSError, db.SQLITE.Error):
                loaded = -1  # not created yet
        assert run.poll() is None, "the loader ended before it could be killed"
    finally:
        if run.poll() is None:
            os.kill(run.pid, signum)
        _, err = run.communicate()
    want = doc_counts(files)
    done, _ = consistent(target, want)
    assert after <= done < len(files)
    if signum != signal.SIGKILL:
        assert run.returncode == 128 + signum and "Traceback" not in err
        assert f"stopped after {done} files loaded (0 unchanged); run the same command " \
               "again to complete" in err
    rerun = db.build(target, [tmp_path / "in"])
    assert (rerun.skipped, rerun.files) == (done, len(files))
    assert consistent(target, want) == (len(files), sum(want.values()))


def test_serve_says_when_its_role_could_write(postgres):
    url = postgres.create_database("roles")
    db.build(url, [])
    postgres.execute("CREATE ROLE reader LOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public"
                     " TO reader", "roles")
    owner = db.open_database(url, read_only=True)
    reader = db.open_database(postgres.url("roles", "reader"), read_only=True)
    try:
        assert "can change the plan tables" in (owner.writable_note() or "")
        assert reader.writable_note() is None
        assert reader.search("科")["total"] == 0
    finally:
        owner.close()
        reader.close()
    with pytest.raises(db.NotADatabase, match="not a jihua database"):
        db.open_database(postgres.url("postgres"), read_only=True)
    with pytest.raises(db.NotADatabase, match="cannot connect"):
        db.open_database(postgres.url("nowhere"), read_only=True)


def test_a_url_without_the_postgres_extra_names_the_extra(tmp_path):
    code = ("import sys; sys.modules['psycopg'] = None; from pipeline.cli import main; "
            "main(['search', 'postgresql://u@127.0.0.1:1/x', '科'])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip() == f"Error: {db_postgres_extra()}"


def db_postgres_extra() -> str:
    from pipeline.db_postgres import EXTRA

    return EXTRA


def test_the_commands_and_the_server_take_either_backend(plans):
    database, _ = plans
    target = str(database.target)
    out = subprocess.run([sys.executable, "-m", "pipeline", "search", target, "保卫科",
                          "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    hits = json.loads(out.stdout)
    assert hits and all("<mark>保卫科</mark>" in h["snippet"] for h in hits)
    server = make_server(database.target, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with urllib.request.urlopen(f"{base}/api/search?q={quote('滿意度')}&limit=100") as r:
            data = json.loads(r.read())
        assert data == database.search("满意度", limit=100)
        doc_id = data["hits"][0]["doc_id"]
        with urllib.request.urlopen(f"{base}/doc/{quote(doc_id)}") as r:
            assert r.status == 200 and "id='title'" in r.read().decode("utf-8")
    finally:
        server.shutdown()
        server.server_close()
