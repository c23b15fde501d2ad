"""A searchable plan database in SQLite: full-text search that works for Chinese, and filters.

Full text: each document's simplified text is indexed one character per token (an FTS5
table with the unicode61 tokenizer over the characters separated by spaces), so a query of
any length — one character (科) or eight (创建文明城市工作) — is a phrase of characters,
ranked by BM25, with highlighted snippets. A query in traditional script is converted to
simplified first. The query is always taken literally: quotes, operators and SQL in it are
characters to find, never syntax.

Structured data: documents, sections and every extracted item are tables that the filters
use (unit, year, kind, phase, indicator, target kind, comparator and value, deadline range).

Incremental: a file already in the database with the same content is skipped; a file whose
content changed replaces its old documents.
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .assemble import iter_file, iter_paths
from .batch import document_id, read_records
from .edtf import bounds
from .normalize import to_simplified

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    rowid INTEGER PRIMARY KEY, doc_id TEXT UNIQUE NOT NULL, path TEXT NOT NULL,
    sha256 TEXT NOT NULL, doc_index INTEGER NOT NULL, title TEXT, kind TEXT, year INTEGER,
    span_start INTEGER, span_end INTEGER, record BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sections (doc_id TEXT, id TEXT, level INTEGER, marker TEXT,
    heading TEXT, kind TEXT, parent TEXT, span_start INTEGER, span_end INTEGER);
CREATE TABLE IF NOT EXISTS phases (doc_id TEXT, id TEXT, ordinal INTEGER, name TEXT,
    period TEXT, span_start INTEGER, span_end INTEGER);
CREATE TABLE IF NOT EXISTS dates (doc_id TEXT, id TEXT, text TEXT, type TEXT, value TEXT,
    start_date TEXT, end_date TEXT, span_start INTEGER, span_end INTEGER);
CREATE TABLE IF NOT EXISTS units (doc_id TEXT, id TEXT, text TEXT, name TEXT, role TEXT,
    span_start INTEGER, span_end INTEGER);
CREATE TABLE IF NOT EXISTS targets (doc_id TEXT, id TEXT, text TEXT, indicator TEXT,
    comparator TEXT, value REAL, value_max REAL, unit TEXT, kind TEXT,
    span_start INTEGER, span_end INTEGER);
CREATE TABLE IF NOT EXISTS tasks (doc_id TEXT, id TEXT, text TEXT, section TEXT, phase TEXT,
    responsible TEXT, dates TEXT, targets TEXT, span_start INTEGER, span_end INTEGER);
CREATE TABLE IF NOT EXISTS task_units (doc_id TEXT, task TEXT, unit TEXT, name TEXT,
    role TEXT, inherited TEXT);
CREATE TABLE IF NOT EXISTS task_deadlines (doc_id TEXT, task TEXT, date TEXT, value TEXT,
    end_date TEXT, inherited TEXT);
CREATE INDEX IF NOT EXISTS task_units_name ON task_units(name, doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, body, tokenize='unicode61');
CREATE INDEX IF NOT EXISTS units_name ON units(name, doc_id);
CREATE INDEX IF NOT EXISTS targets_indicator ON targets(indicator, doc_id);
CREATE INDEX IF NOT EXISTS dates_type ON dates(type, end_date, doc_id);
CREATE INDEX IF NOT EXISTS documents_path ON documents(path);
"""
ITEM_TABLES = ("sections", "phases", "dates", "units", "targets", "tasks", "task_units",
               "task_deadlines")
MAX_QUERY = 64
COMPARATORS = {">=", "<=", "=", ">", "<"}


class NotADatabase(ValueError):
    """A file that is not a database built by ``jihua db build``."""


class QueryError(ValueError):
    """A search the database cannot run, with a message for the person who asked."""


def spaced(text: str) -> str:
    """One token per character for the index (whitespace dropped)."""
    return " ".join(c for c in text if not c.isspace())


def unspaced(snippet: str) -> str:
    """A snippet of spaced text back to ordinary text (the <mark> tags kept)."""
    return re.sub(r"(?<=[^\s]) (?=[^\s])", "", snippet).replace(" ", "")


def connect(path: str | Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection; ``read_only`` opens the file so that nothing can change it."""
    if read_only:
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path}: no such database; build it with `jihua db build`.")
        con = sqlite3.connect(
            Path(path).resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False
        )
        try:
            con.execute("SELECT 1 FROM documents LIMIT 1")
        except sqlite3.DatabaseError as exc:
            con.close()
            raise NotADatabase(
                f"{path}: not a jihua database ({exc}); build one with `jihua db build`."
            ) from exc
    else:
        con = sqlite3.connect(path)
        con.executescript(SCHEMA)
    con.row_factory = sqlite3.Row
    return con


@dataclass
class BuildReport:
    files: int = 0
    skipped: int = 0
    replaced: int = 0
    documents: int = 0
    errors: list[str] = field(default_factory=list)


def _records(inputs: Iterable[str | Path]) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """``(path, sha256, records)`` per source file, from files or `jihua batch` folders."""
    for item in map(Path, inputs):
        if item.is_dir() and (item / "documents.jsonl").is_file():
            # a file's records stand together: one file at a time, not the folder at once
            grouped = itertools.groupby(read_records(item), key=lambda r: r["source"]["path"])
            for path, group in grouped:
                records = list(group)
                sha = next((r["source"].get("sha256") for r in records if "doc_index" in r), "")
                yield path, sha or "", records
            continue
        for p in iter_paths([item]):
            records = list(iter_file(p))
            sha = next((r["source"]["sha256"] for r in records if "doc_index" in r), "")
            yield str(p), sha, records


def build(db_path: str | Path, inputs: Iterable[str | Path]) -> BuildReport:
    """Add the documents of ``inputs`` to the database (created if need be)."""
    report = BuildReport()
    try:
        con = connect(db_path)
    except sqlite3.DatabaseError as exc:
        raise NotADatabase(f"{db_path}: not a jihua database ({exc}).") from exc
    try:
        for path, sha, records in _records(inputs):
            report.files += 1
            known = con.execute("SELECT sha256 FROM files WHERE path = ?", (path,)).fetchone()
            if known is not None and known["sha256"] == sha and sha:
                report.skipped += 1
                continue
            with con:
                if known is not None:
                    _remove(con, path)
                    report.replaced += 1
                for r in records:
                    if "error" in r:
                        report.errors.append(r["message"])
                        continue
                    _insert(con, r)
                    report.documents += 1
                con.execute("INSERT OR REPLACE INTO files(path, sha256) VALUES (?, ?)", (path, sha))
        if report.documents or report.replaced:
            con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        con.commit()
    finally:
        con.close()
    return report


def _remove(con: sqlite3.Connection, path: str) -> None:
    ids = [r["doc_id"] for r in con.execute("SELECT doc_id FROM documents WHERE path = ?", (path,))]
    for doc_id in ids:
        for table in ITEM_TABLES:
            con.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))
    con.execute(
        "DELETE FROM fts WHERE rowid IN (SELECT rowid FROM documents WHERE path = ?)", (path,)
    )
    con.execute("DELETE FROM documents WHERE path = ?", (path,))


def _insert(con: sqlite3.Connection, r: dict[str, Any]) -> None:
    src = r["source"]
    doc_id = document_id(src["path"], src["sha256"], r["doc_index"])
    cur = con.execute(
        "INSERT INTO documents(doc_id, path, sha256, doc_index, title, kind, year,"
        " span_start, span_end, record) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            doc_id,
            src["path"],
            src["sha256"],
            r["doc_index"],
            r["title"],
            r["kind"],
            r["year"],
            r["span"][0],
            r["span"][1],
            zlib.compress(json.dumps(r, ensure_ascii=False).encode("utf-8"), 6),
        ),
    )
    rowid = cur.lastrowid
    con.execute(
        "INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)",
        (rowid, spaced(r["title"] or ""), spaced(r["text_simplified"])),
    )
    con.executemany(
        "INSERT INTO sections VALUES (?,?,?,?,?,?,?,?,?)",
        [
            (
                doc_id,
                s["id"],
                s["level"],
                s["marker"],
                s["heading"],
                s["kind"],
                s["parent"],
                *s["span"],
            )
            for s in r["sections"]
        ],
    )
    con.executemany(
        "INSERT INTO phases VALUES (?,?,?,?,?,?,?)",
        [
            (
                doc_id,
                p["id"],
                p["ordinal"],
                p["name"],
                p["period"]["value"] if p["period"] else None,
                *p["span"],
            )
            for p in r["phases"]
        ],
    )
    rows = []
    for d in r["dates"]:
        b = bounds(d["value"], unknown_year=0) if d["value"] and "X" not in d["value"] else None
        start, end = b or (None, None)
        rows.append(
            (
                doc_id,
                d["id"],
                d["text"],
                d["type"],
                d["value"],
                start.isoformat() if start else None,
                end.isoformat() if end else None,
                *d["span"],
            )
        )
    con.executemany("INSERT INTO dates VALUES (?,?,?,?,?,?,?,?,?)", rows)
    con.executemany(
        "INSERT INTO units VALUES (?,?,?,?,?,?,?)",
        [(doc_id, u["id"], u["text"], u["name"], u["role"], *u["span"]) for u in r["units"]],
    )
    con.executemany(
        "INSERT INTO targets VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                doc_id,
                t["id"],
                t["text"],
                t["indicator"],
                t["comparator"],
                t["value"],
                t["value_max"],
                t["unit"],
                t["kind"],
                *t["span"],
            )
            for t in r["targets"]
        ],
    )
    con.executemany(
        "INSERT INTO tasks VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            (
                doc_id,
                k["id"],
                k["text"],
                k["section"],
                k["phase"],
                json.dumps(k["responsible"]),
                json.dumps(k["dates"]),
                json.dumps(k["targets"]),
                *k["span"],
            )
            for k in r["tasks"]
        ],
    )
    names = {u["id"]: u["name"] for u in r["units"]}
    con.executemany(
        "INSERT INTO task_units VALUES (?,?,?,?,?,?)",
        [(doc_id, k["id"], x["unit"], names.get(x["unit"]), x["role"], x["inherited"])
         for k in r["tasks"] for x in k.get("roles", [])],
    )
    dates = {d["id"]: d for d in r["dates"]}
    rows = []
    for k in r["tasks"]:
        d = dates.get(k.get("deadline") or "")
        if d is None:
            continue
        value = d["value"]
        b = bounds(value, unknown_year=0) if value and "X" not in value else None
        end = b[1] if b else None
        rows.append((doc_id, k["id"], d["id"], value, end.isoformat() if end else None,
                     (k.get("inherited") or {}).get("deadline")))
    con.executemany("INSERT INTO task_deadlines VALUES (?,?,?,?,?,?)", rows)


@dataclass
class Filters:
    unit: str | None = None
    year: int | None = None
    kind: str | None = None
    phase: str | None = None
    indicator: str | None = None
    target_kind: str | None = None
    comparator: str | None = None
    value: float | None = None
    deadline_from: str | None = None
    deadline_to: str | None = None


def _fts_query(q: str) -> str:
    """The literal FTS5 query for ``q``: each word a phrase of its characters."""
    phrases = []
    for word in to_simplified(q).split():
        # only what the index holds: punctuation is not indexed, so it cannot be asked for
        kept = "".join(c for c in word if unicodedata.category(c)[0] in "LN")
        if kept:
            phrases.append('"' + spaced(kept).replace('"', '""') + '"')
    return " AND ".join(phrases)


def _where(f: Filters) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if f.unit:
        clauses.append("d.doc_id IN (SELECT doc_id FROM units WHERE name = ?)")
        args.append(to_simplified(f.unit))
    if f.year is not None:
        clauses.append("d.year = ?")
        args.append(f.year)
    if f.kind:
        clauses.append("d.kind = ?")
        args.append(f.kind)
    if f.phase:
        clauses.append("d.doc_id IN (SELECT doc_id FROM phases WHERE name LIKE ? ESCAPE '\\')")
        args.append(f"%{_like(to_simplified(f.phase))}%")
    if f.indicator or f.target_kind or f.comparator:
        sub = ["1=1"]
        if f.indicator:
            sub.append("indicator LIKE ? ESCAPE '\\'")
            args.append(f"%{_like(to_simplified(f.indicator))}%")
        if f.target_kind:
            sub.append("kind = ?")
            args.append(f.target_kind)
        if f.comparator:
            if f.comparator not in COMPARATORS or f.value is None:
                raise QueryError(
                    "a value filter needs a comparator (>=, <=, =, >, <) and a "
                    "number, as in --value '>=90'."
                )
            sub.append(f"value {f.comparator} ?")  # the comparator is one of COMPARATORS
            args.append(f.value)
        clauses.append(f"d.doc_id IN (SELECT doc_id FROM targets WHERE {' AND '.join(sub)})")
    if f.deadline_from or f.deadline_to:
        clauses.append(
            "d.doc_id IN (SELECT doc_id FROM dates WHERE type = 'deadline'"
            " AND end_date BETWEEN ? AND ?)"
        )
        args += [f.deadline_from or "0001-01-01", f.deadline_to or "9999-12-31"]
    return clauses, args


def _like(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(
    con: sqlite3.Connection,
    q: str = "",
    filters: Filters | None = None,
    limit: int = 20,
    offset: int = 0,
) -> dict[str, Any]:
    """Hits ranked by BM25 (or by document order without words), facets and the total."""
    f = filters or Filters()
    q = (q or "").strip()
    if len(q) > MAX_QUERY:
        raise QueryError(f"the query is {len(q)} characters long; at most {MAX_QUERY}.")
    clauses, args = _where(f)
    if q:
        match = _fts_query(q)
        if not match:
            raise QueryError("the query has no characters to search for.")
        base = "FROM fts JOIN documents d ON d.rowid = fts.rowid WHERE fts MATCH ?" + "".join(
            f" AND {c}" for c in clauses
        )
        params: list[Any] = [match, *args]
        select = (
            "SELECT d.doc_id, d.path, d.doc_index, d.title, bm25(fts) AS score, "
            "snippet(fts, 1, '<mark>', '</mark>', '…', 16) AS snippet "
        )
        order = " ORDER BY score"
    else:
        base = "FROM documents d" + (" WHERE " + " AND ".join(clauses) if clauses else "")
        params = list(args)
        select = "SELECT d.doc_id, d.path, d.doc_index, d.title, NULL AS score, NULL AS snippet "
        order = " ORDER BY d.path, d.doc_index"
    try:
        rows = con.execute(
            select + base + order + " LIMIT ? OFFSET ?", [*params, limit, offset]
        ).fetchall()
        ids = [r[0] for r in con.execute("SELECT d.doc_id " + base, params)]
        total = len(ids)
        # the matched ids once, as a JSON array, instead of matching again for each facet
        matched = "(SELECT value FROM json_each(?))"
        ids_json = [json.dumps(ids)]
        facets = {
            "unit": _facet(
                con,
                "SELECT name AS v, count(DISTINCT doc_id) AS n FROM units "
                f"WHERE doc_id IN {matched} GROUP BY name",
                ids_json,
            ),
            "year": _facet(
                con,
                "SELECT year AS v, count(*) AS n FROM documents "
                f"WHERE doc_id IN {matched} GROUP BY year",
                ids_json,
            ),
            "kind": _facet(
                con,
                "SELECT kind AS v, count(*) AS n FROM documents "
                f"WHERE doc_id IN {matched} GROUP BY kind",
                ids_json,
            ),
            "indicator": _facet(
                con,
                "SELECT indicator AS v, count(DISTINCT doc_id) AS n "
                f"FROM targets WHERE doc_id IN {matched} "
                "GROUP BY indicator",
                ids_json,
            ),
        }
    except sqlite3.OperationalError as exc:
        raise QueryError(f"the search could not be run ({exc}).") from exc
    hits = []
    for r in rows:
        snippet = unspaced(r["snippet"]) if r["snippet"] else None
        hits.append(
            {
                "source": r["path"],
                "doc_index": r["doc_index"],
                "title": r["title"],
                "score": _significant(-r["score"]) if r["score"] is not None else None,
                "snippet": snippet,
                "doc_id": r["doc_id"],
            }
        )
    return {"total": total, "hits": hits, "facets": facets}


def _significant(x: float) -> float:
    """A BM25 score to four significant digits: scores of a word found in every document
    are tiny (its weight is near zero), and a fixed number of decimals would show them all
    as 0.0."""
    return float(f"{x:.4g}")


def search_tasks(
    con: sqlite3.Connection,
    unit: str | None = None,
    due_before: str | None = None,
    due_after: str | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """Tasks given to ``unit`` (canonical name, its own or inherited) whose deadline ends
    on or before ``due_before`` / on or after ``due_after`` (YYYY-MM-DD; a task without a
    dated deadline is left out when either is given), in document order."""
    clauses, args = [], []
    if unit:
        clauses.append("EXISTS (SELECT 1 FROM task_units u WHERE u.doc_id = k.doc_id "
                       "AND u.task = k.id AND u.name = ?)")
        args.append(to_simplified(unit))
    for bound, op in ((due_before, "<="), (due_after, ">=")):
        if bound:
            if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", bound):
                raise QueryError(f"{bound!r} is not a date; write it as YYYY-MM-DD.")
            clauses.append(f"t.end_date IS NOT NULL AND t.end_date {op} ?")
            args.append(bound)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    sql = ("SELECT k.doc_id, k.id, k.text, k.span_start, k.span_end, d.path, d.doc_index, "
           "d.title, t.value AS deadline, t.end_date, t.inherited AS deadline_from "
           "FROM tasks k JOIN documents d ON d.doc_id = k.doc_id "
           "LEFT JOIN task_deadlines t ON t.doc_id = k.doc_id AND t.task = k.id"
           f"{where} ORDER BY d.path, d.doc_index, k.span_start")
    try:
        rows = con.execute(sql, args).fetchall()
    except sqlite3.OperationalError as exc:
        raise QueryError(f"the task search could not be run ({exc}).") from exc
    hits = []
    for r in rows[:limit]:
        units = con.execute("SELECT name, role, inherited FROM task_units WHERE doc_id = ? "
                            "AND task = ?", (r["doc_id"], r["id"])).fetchall()
        hits.append({"source": r["path"], "doc_index": r["doc_index"], "title": r["title"],
                     "doc_id": r["doc_id"], "task": r["id"], "text": r["text"],
                     "span": [r["span_start"], r["span_end"]],
                     "units": [{"name": u["name"], "role": u["role"],
                                "inherited": u["inherited"]} for u in units],
                     "deadline": r["deadline"], "due": r["end_date"],
                     "deadline_from": r["deadline_from"]})
    return {"total": len(rows), "hits": hits}


def _facet(con: sqlite3.Connection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    rows = con.execute(sql + " ORDER BY n DESC, v LIMIT 15", params).fetchall()
    return [{"value": r["v"], "count": r["n"]} for r in rows if r["v"] is not None]


def document(con: sqlite3.Connection, doc_id: str) -> dict[str, Any] | None:
    """The full record of one document, or None."""
    row = con.execute("SELECT record FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
    return json.loads(zlib.decompress(row["record"])) if row else None


def parse_value(text: str) -> tuple[str, float]:
    """``'>=90'`` -> ``('>=', 90.0)`` (a value filter from the command line or the web)."""
    m = re.fullmatch(r"\s*(>=|<=|>|<|=)\s*(-?\d+(?:\.\d+)?)\s*%?\s*", text or "")
    if not m:
        raise QueryError(f"{text!r} is not a value filter; write it like >=90 or <15.")
    return m.group(1), float(m.group(2))
