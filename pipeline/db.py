"""A searchable plan database, a SQLite file or PostgreSQL: full-text search that works for
Chinese, and filters.

Full text: each document's simplified text is indexed one character per token (an FTS5
table with the unicode61 tokenizer over the characters separated by spaces), so a query of
any length — one character (科) or eight (创建文明城市工作) — is a phrase of characters,
ranked by BM25, with highlighted snippets. A query in traditional script is converted to
simplified first. The query is always taken literally: quotes, operators and SQL in it are
characters to find, never syntax.

Structured data: documents, sections and every extracted item are tables that the filters
use (unit, year, kind, phase, indicator, target kind, comparator and value, deadline range).

Incremental: a file already in the database with the same content is skipped; a file whose
content changed replaces its old documents; a file gone from a folder given again is removed.
Each file is loaded in one transaction that also records it in ``files``: a run killed in
the middle leaves whole files only, and running it again completes it. Several loaders may
run at once: a file is loaded under a lock on its path (SQLite: the write lock; PostgreSQL:
an advisory lock), so each file is loaded once.

Two backends behind one interface (:class:`Database`, from :func:`open_database`): a SQLite
file (the default, this module) or a PostgreSQL database named by a ``postgresql://`` URL
(:mod:`pipeline.db_postgres`). The tables, ids and hits are the same; what differs — the
connection, the full-text match, the score and the snippet, the lock — is a
:class:`Dialect`. The SQL below is written once, with ``?`` parameters.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sqlite3
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .assemble import iter_file, iter_paths
from .batch import document_id, read_records
from .edtf import bounds
from .guard import StopNow, StopSignals
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
CREATE INDEX IF NOT EXISTS sections_doc ON sections(doc_id);
CREATE INDEX IF NOT EXISTS phases_doc ON phases(doc_id);
CREATE INDEX IF NOT EXISTS dates_doc ON dates(doc_id);
CREATE INDEX IF NOT EXISTS units_doc ON units(doc_id);
CREATE INDEX IF NOT EXISTS targets_doc ON targets(doc_id);
CREATE INDEX IF NOT EXISTS tasks_doc ON tasks(doc_id);
CREATE INDEX IF NOT EXISTS task_units_doc ON task_units(doc_id);
CREATE INDEX IF NOT EXISTS task_deadlines_doc ON task_deadlines(doc_id);
"""
ITEM_TABLES = ("sections", "phases", "dates", "units", "targets", "tasks", "task_units",
               "task_deadlines")
TABLES = ("files", "documents", *ITEM_TABLES)
MAX_QUERY = 64
COMPARATORS = {">=", "<=", "=", ">", "<"}
BUSY_SECONDS = 600  # how long a SQLite loader waits for another one's write lock


class NotADatabase(ValueError):
    """A file that is not a database built by ``jihua db build``."""


class MissingDriver(ValueError):
    """A PostgreSQL URL without the ``postgres`` extra installed."""


class QueryError(ValueError):
    """A search the database cannot run, with a message for the person who asked."""


def spaced(text: str) -> str:
    """One token per character for the index (whitespace dropped)."""
    return " ".join(c for c in text if not c.isspace())


def unspaced(snippet: str) -> str:
    """A snippet of spaced text back to ordinary text (the <mark> tags kept)."""
    return re.sub(r"(?<=[^\s]) (?=[^\s])", "", snippet).replace(" ", "")


def fold(c: str) -> str:
    """One character in lower case (kept when lower case would be longer)."""
    low = c.lower()
    return low if len(low) == 1 else c


def indexed(text: str) -> str:
    """The characters a query can find, as the SQLite index holds them: letters and digits
    (punctuation and spaces are not indexed, so a phrase runs across them), lower case."""
    return "".join(fold(c) for c in text if unicodedata.category(c)[0] in "LN")


def query_words(q: str) -> list[str]:
    """The words of a query, each the literal characters to find (simplified, indexed)."""
    words = []
    for word in to_simplified(q).split():
        # only what the index holds: punctuation is not indexed, so it cannot be asked for
        kept = "".join(c for c in word if unicodedata.category(c)[0] in "LN")
        if kept:
            words.append(kept)
    return words


def is_url(target: str | Path) -> bool:
    """Whether ``target`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def connect(path: str | Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection to a SQLite database; ``read_only`` opens the file so that nothing can
    change it."""
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
        # autocommit: each file's transaction is begun and ended by `build`
        con = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            con.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            con.close()
            raise NotADatabase(f"{path}: not a jihua database ({exc}).") from exc
    con.row_factory = sqlite3.Row
    return con


@dataclass
class BuildReport:
    files: int = 0
    skipped: int = 0
    replaced: int = 0
    documents: int = 0
    removed: int = 0
    errors: list[str] = field(default_factory=list)
    stopped: int = 0  # the signal (SIGINT, SIGTERM) that stopped the run before the end


def _records(
    inputs: Iterable[str | Path], folders: list[str] | None = None
) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """``(path, sha256, records)`` per source file, from files or `jihua batch` folders.
    The plain folders among ``inputs`` are appended to ``folders``."""
    for item in map(Path, inputs):
        if item.is_dir() and (item / "documents.jsonl").is_file():
            # a file's records stand together: one file at a time, not the folder at once
            grouped = itertools.groupby(read_records(item), key=lambda r: r["source"]["path"])
            for path, group in grouped:
                records = list(group)
                sha = next((r["source"].get("sha256") for r in records if "doc_index" in r), "")
                yield path, sha or "", records
            continue
        if item.is_dir() and folders is not None:
            folders.append(str(item))
        for p in iter_paths([item]):
            records = list(iter_file(p))
            sha = next((r["source"]["sha256"] for r in records if "doc_index" in r), "")
            yield str(p), sha, records


class Dialect:
    """What differs between the backends; everything else is written once, in this module.
    The SQLite dialect is this class itself."""

    name = "sqlite"
    Error: type[Exception] = sqlite3.Error

    def sql(self, text: str) -> str:
        """``text`` with its ``?`` parameters as the driver wants them."""
        return text

    @contextmanager
    def file_transaction(self, con: Any, path: str) -> Iterator[None]:
        """One transaction that holds the lock on ``path`` against other loaders."""
        con.execute("BEGIN IMMEDIATE")  # the write lock, taken before reading `files`
        try:
            yield
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def executemany(self, con: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
        con.executemany(self.sql(sql), rows)

    def insert_document(self, con: Any, row: Sequence[Any]) -> int:
        cur = con.execute(
            "INSERT INTO documents(doc_id, path, sha256, doc_index, title, kind, year,"
            " span_start, span_end, record) VALUES (?,?,?,?,?,?,?,?,?,?)",
            row,
        )
        return int(cur.lastrowid)

    def insert_text(self, con: Any, rowid: int, title: str, text: str) -> None:
        con.execute(
            "INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)",
            (rowid, spaced(title), spaced(text)),
        )

    def remove_text(self, con: Any, path: str) -> None:
        con.execute(
            "DELETE FROM fts WHERE rowid IN (SELECT rowid FROM documents WHERE path = ?)", (path,)
        )

    def finish(self, con: Any) -> None:
        """After a build that changed something."""
        con.execute("INSERT INTO fts(fts) VALUES ('optimize')")

    def match(
        self, con: Any, words: list[str]
    ) -> tuple[str, list[Any], str, list[Any]]:
        """The full-text part of a search: ``(select, select_args, from_where, where_args)``;
        the select names ``score`` (lower is better) and ``snippet`` (or NULL)."""
        match = " AND ".join('"' + spaced(w).replace('"', '""') + '"' for w in words)
        return (
            "bm25(fts) AS score, snippet(fts, 1, '<mark>', '</mark>', '…', 16) AS snippet ",
            [],
            "FROM fts JOIN documents d ON d.rowid = fts.rowid WHERE fts MATCH ?",
            [match],
        )

    def ranked(
        self, con: Any, words: list[str], clauses: list[str], args: list[Any]
    ) -> list[tuple[Any, ...]] | None:
        """Every hit of ``words`` and the filters, best first, when the dialect ranks them
        itself; None when the SQL of :meth:`match` does."""
        return None

    def snippet(self, snippet: str | None, words: list[str], record: Any) -> str | None:
        """The snippet shown for a hit (``record`` reads the document when needed)."""
        return unspaced(snippet) if snippet else None

    def ids(self, ids: list[str]) -> tuple[str, list[Any]]:
        """A subquery of the matched ids, passed once, for the facets."""
        return "(SELECT value FROM json_each(?))", [json.dumps(ids)]


SQLITE = Dialect()


def _remove(con: Any, d: Dialect, path: str) -> None:
    ids = [
        r[0] for r in con.execute(d.sql("SELECT doc_id FROM documents WHERE path = ?"), (path,))
    ]
    for doc_id in ids:
        for table in ITEM_TABLES:
            con.execute(d.sql(f"DELETE FROM {table} WHERE doc_id = ?"), (doc_id,))
    d.remove_text(con, path)
    con.execute(d.sql("DELETE FROM documents WHERE path = ?"), (path,))


def _insert(con: Any, d: Dialect, r: dict[str, Any]) -> None:
    src = r["source"]
    doc_id = document_id(src["path"], src["sha256"], r["doc_index"])
    rowid = d.insert_document(
        con,
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
    d.insert_text(con, rowid, r["title"] or "", r["text_simplified"])
    for table, rows in _item_rows(doc_id, r).items():
        if rows:
            marks = ",".join("?" * len(rows[0]))
            d.executemany(con, f"INSERT INTO {table} VALUES ({marks})", rows)


def _item_rows(doc_id: str, r: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of a document's items, table by table."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    out["sections"] = [
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
    ]
    out["phases"] = [
        (
            doc_id,
            p["id"],
            p["ordinal"],
            p["name"],
            p["period"]["value"] if p["period"] else None,
            *p["span"],
        )
        for p in r["phases"]
    ]
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
    out["dates"] = rows
    out["units"] = [
        (doc_id, u["id"], u["text"], u["name"], u["role"], *u["span"]) for u in r["units"]
    ]
    out["targets"] = [
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
    ]
    out["tasks"] = [
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
    ]
    names = {u["id"]: u["name"] for u in r["units"]}
    out["task_units"] = [
        (doc_id, k["id"], x["unit"], names.get(x["unit"]), x["role"], x["inherited"])
        for k in r["tasks"]
        for x in k.get("roles", [])
    ]
    dates = {d["id"]: d for d in r["dates"]}
    out["task_deadlines"] = []
    for k in r["tasks"]:
        d = dates.get(k.get("deadline") or "")
        if d is None:
            continue
        value = d["value"]
        b = bounds(value, unknown_year=0) if value and "X" not in value else None
        end = b[1] if b else None
        out["task_deadlines"].append((doc_id, k["id"], d["id"], value,
                                      end.isoformat() if end else None,
                                      (k.get("inherited") or {}).get("deadline")))
    return out


def _load(con: Any, d: Dialect, inputs: Iterable[str | Path], prune: bool) -> BuildReport:
    """Load ``inputs`` file by file, one transaction each; then remove the files gone from
    the folders given (``prune``)."""
    report = BuildReport()
    stop = StopSignals()
    with stop.active():
        try:
            _load_files(con, d, inputs, prune, report, stop)
        except StopNow as exc:  # a second signal: the file in hand is rolled back
            report.stopped = exc.signum
    return report


def _load_files(con: Any, d: Dialect, inputs: Iterable[str | Path], prune: bool,
                report: BuildReport, stop: StopSignals) -> None:
    folders: list[str] = []
    seen: set[str] = set()
    changed = False
    for path, sha, records in _records(inputs, folders):
        if stop:  # a signal: the files loaded stay, a rerun loads the rest
            report.stopped = stop.signum
            return
        report.files += 1
        seen.add(path)
        with d.file_transaction(con, path):
            known = con.execute(d.sql("SELECT sha256 FROM files WHERE path = ?"), (path,))
            known = known.fetchone()
            if known is not None and known[0] == sha and sha:
                report.skipped += 1
                continue
            if known is not None:
                _remove(con, d, path)
                report.replaced += 1
            for r in records:
                if "error" in r:
                    report.errors.append(r["message"])
                    continue
                _insert(con, d, r)
                report.documents += 1
            con.execute(
                d.sql(
                    "INSERT INTO files(path, sha256) VALUES (?, ?)"
                    " ON CONFLICT(path) DO UPDATE SET sha256 = excluded.sha256"
                ),
                (path, sha),
            )
            changed = True
    if prune and folders:
        under = tuple(f.rstrip("/" + os.sep) + os.sep for f in folders)
        stale = [
            p
            for (p,) in con.execute(d.sql("SELECT path FROM files")).fetchall()
            if p.startswith(under) and p not in seen
        ]
        for path in stale:
            with d.file_transaction(con, path):
                _remove(con, d, path)
                con.execute(d.sql("DELETE FROM files WHERE path = ?"), (path,))
            report.removed += 1
            changed = True
    if changed:
        d.finish(con)


def build(
    target: str | Path, inputs: Iterable[str | Path], *, prune: bool = True
) -> BuildReport:
    """Add the documents of ``inputs`` to the database (created if need be): a SQLite path
    or a ``postgresql://`` URL. Files gone from a folder given again are removed
    (``prune``)."""
    database = open_database(target)
    try:
        return database.build(inputs, prune=prune)
    finally:
        database.close()


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
    con: Any,
    q: str = "",
    filters: Filters | None = None,
    limit: int = 20,
    offset: int = 0,
) -> dict[str, Any]:
    """Hits ranked by BM25 (or by document order without words), facets and the total.
    ``con`` is a SQLite connection or a :class:`Database`."""
    if isinstance(con, Database):
        return con.search(q, filters, limit=limit, offset=offset)
    return _search(con, SQLITE, q, filters, limit, offset)


def _search(
    con: Any, d: Dialect, q: str, filters: Filters | None, limit: int, offset: int
) -> dict[str, Any]:
    f = filters or Filters()
    q = (q or "").strip()
    if len(q) > MAX_QUERY:
        raise QueryError(f"the query is {len(q)} characters long; at most {MAX_QUERY}.")
    clauses, args = _where(f)
    words = query_words(q)
    try:
        if q and not words:
            raise QueryError("the query has no characters to search for.")
        ranked = d.ranked(con, words, clauses, args) if q else None
        if ranked is not None:
            # ranked by the dialect: every hit, best first, as (doc_id, path, doc_index,
            # title, score)
            rows = [(*r, None) for r in ranked[offset : offset + limit]]
            ids = [r[0] for r in ranked]
        elif q:
            select_sql, select_args, base, match_args = d.match(con, words)
            base += "".join(f" AND {c}" for c in clauses)
            params: list[Any] = [*match_args, *args]
            select = "SELECT d.doc_id, d.path, d.doc_index, d.title, " + select_sql
            order = " ORDER BY score, d.rowid"
        else:
            base = "FROM documents d" + (" WHERE " + " AND ".join(clauses) if clauses else "")
            params, select_args = list(args), []
            select = (
                "SELECT d.doc_id, d.path, d.doc_index, d.title, NULL AS score, NULL AS snippet "
            )
            order = " ORDER BY d.path, d.doc_index"
        if ranked is None:
            rows = con.execute(
                d.sql(select + base + order + " LIMIT ? OFFSET ?"),
                [*select_args, *params, limit, offset],
            ).fetchall()
            ids = [r[0] for r in con.execute(d.sql("SELECT d.doc_id " + base), params)]
        total = len(ids)
        # the matched ids once, instead of matching again for each facet
        matched, ids_args = d.ids(ids)
        facets = {
            "unit": _facet(
                con,
                d,
                "SELECT name AS v, count(DISTINCT doc_id) AS n FROM units "
                f"WHERE doc_id IN {matched} GROUP BY name",
                ids_args,
            ),
            "year": _facet(
                con,
                d,
                "SELECT year AS v, count(*) AS n FROM documents "
                f"WHERE doc_id IN {matched} GROUP BY year",
                ids_args,
            ),
            "kind": _facet(
                con,
                d,
                "SELECT kind AS v, count(*) AS n FROM documents "
                f"WHERE doc_id IN {matched} GROUP BY kind",
                ids_args,
            ),
            "indicator": _facet(
                con,
                d,
                "SELECT indicator AS v, count(DISTINCT doc_id) AS n "
                f"FROM targets WHERE doc_id IN {matched} "
                "GROUP BY indicator",
                ids_args,
            ),
        }
    except d.Error as exc:
        raise QueryError(f"the search could not be run ({exc}).") from exc
    hits = []
    for r in rows:
        doc_id, path, doc_index, title, score, snippet = r[:6]
        hits.append(
            {
                "source": path,
                "doc_index": doc_index,
                "title": title,
                "score": _significant(-score) if score is not None else None,
                "snippet": (
                    d.snippet(snippet, words, lambda i=doc_id: _document(con, d, i))
                    if q
                    else None
                ),
                "doc_id": doc_id,
            }
        )
    return {"total": total, "hits": hits, "facets": facets}


def search_tasks(con: Any, unit: str | None = None, due_before: str | None = None,
                 due_after: str | None = None, limit: int = 100) -> dict[str, Any]:
    """The tasks given to ``unit`` and due in a range; ``con`` is a SQLite connection or a
    :class:`Database`."""
    if isinstance(con, Database):
        return con.search_tasks(unit, due_before, due_after, limit)
    return _search_tasks(con, SQLITE, unit, due_before, due_after, limit)


def _search_tasks(
    con: Any,
    d: Dialect,
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
    rows = [tuple(r) for r in con.execute(d.sql(sql), args).fetchall()]
    hits = []
    for (doc_id, task, text, start, end, path, doc_index, title, deadline, due,
         deadline_from) in rows[:limit]:
        units = con.execute(d.sql("SELECT name, role, inherited FROM task_units "
                                  "WHERE doc_id = ? AND task = ?"), (doc_id, task)).fetchall()
        hits.append({"source": path, "doc_index": doc_index, "title": title,
                     "doc_id": doc_id, "task": task, "text": text, "span": [start, end],
                     "units": [{"name": n, "role": role, "inherited": inh}
                               for n, role, inh in (tuple(u) for u in units)],
                     "deadline": deadline, "due": due, "deadline_from": deadline_from})
    return {"total": len(rows), "hits": hits}


def _significant(x: float) -> float:
    """A BM25 score to four significant digits: scores of a word found in every document
    are tiny (its weight is near zero), and a fixed number of decimals would show them all
    as 0.0."""
    return float(f"{x:.4g}")


def _facet(con: Any, d: Dialect, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    rows = con.execute(d.sql(sql + " ORDER BY n DESC, v LIMIT 15"), params).fetchall()
    return [{"value": r[0], "count": r[1]} for r in rows if r[0] is not None]


def document(con: Any, doc_id: str) -> dict[str, Any] | None:
    """The full record of one document, or None (``con``: SQLite or a :class:`Database`)."""
    if isinstance(con, Database):
        return con.document(doc_id)
    return _document(con, SQLITE, doc_id)


def _document(con: Any, d: Dialect, doc_id: str) -> dict[str, Any] | None:
    row = con.execute(d.sql("SELECT record FROM documents WHERE doc_id = ?"), (doc_id,))
    row = row.fetchone()
    return json.loads(zlib.decompress(row[0])) if row else None


def parse_value(text: str) -> tuple[str, float]:
    """``'>=90'`` -> ``('>=', 90.0)`` (a value filter from the command line or the web)."""
    m = re.fullmatch(r"\s*(>=|<=|>|<|=)\s*(-?\d+(?:\.\d+)?)\s*%?\s*", text or "")
    if not m:
        raise QueryError(f"{text!r} is not a value filter; write it like >=90 or <15.")
    return m.group(1), float(m.group(2))


class Database:
    """A plan database, SQLite or PostgreSQL: what the commands and the server use. Each
    call borrows a connection (a new read-only one per call for SQLite, one from the pool
    for PostgreSQL), so one Database serves many threads."""

    dialect: Dialect = SQLITE

    def __init__(self, target: str | Path, *, read_only: bool = False) -> None:
        self.target = target
        self.read_only = read_only
        if read_only:
            connect(target, read_only=True).close()  # fail now, with a clear message

    @contextmanager
    def connection(self) -> Iterator[Any]:
        con = connect(self.target, read_only=self.read_only)
        try:
            yield con
        finally:
            con.close()

    def build(self, inputs: Iterable[str | Path], *, prune: bool = True) -> BuildReport:
        with self.connection() as con:
            return _load(con, self.dialect, inputs, prune)

    def search(
        self, q: str = "", filters: Filters | None = None, limit: int = 20, offset: int = 0
    ) -> dict[str, Any]:
        with self.connection() as con:
            return _search(con, self.dialect, q, filters, limit, offset)

    def document(self, doc_id: str) -> dict[str, Any] | None:
        with self.connection() as con:
            return _document(con, self.dialect, doc_id)

    def search_tasks(self, unit: str | None = None, due_before: str | None = None,
                     due_after: str | None = None, limit: int = 100) -> dict[str, Any]:
        """The tasks given to a unit and due in a range (see ``_search_tasks``)."""
        with self.connection() as con:
            return _search_tasks(con, self.dialect, unit, due_before, due_after, limit)

    def doc_ids(self) -> list[str]:
        """Every document's id, in load order."""
        with self.connection() as con:
            return [r[0] for r in con.execute("SELECT doc_id FROM documents ORDER BY rowid")]

    def count(self, table: str) -> int:
        """The rows of one of the tables (``TABLES``, or ``fulltext`` for the index)."""
        if table not in (*TABLES, "fulltext"):
            raise ValueError(f"no table {table!r}")
        with self.connection() as con:
            return int(con.execute(f"SELECT count(*) FROM {self._fulltext(table)}").fetchone()[0])

    def _fulltext(self, table: str) -> str:
        return "fts" if table == "fulltext" else table

    def writable_note(self) -> str | None:
        """For a read-only server: a warning if its connection could change the data."""
        return None

    def close(self) -> None:
        """Release what the database holds (PostgreSQL: its pool)."""

    def __str__(self) -> str:
        return str(self.target)


def open_database(target: str | Path, *, read_only: bool = False) -> Database:
    """The database at ``target``: a SQLite path (default) or a ``postgresql://`` URL."""
    if is_url(target):
        from .db_postgres import PostgresDatabase

        return PostgresDatabase(str(target), read_only=read_only)
    return Database(target, read_only=read_only)
