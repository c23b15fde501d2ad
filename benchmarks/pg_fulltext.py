"""Benchmark (run on demand): ways to find a Chinese phrase in PostgreSQL 15, measured on
the same documents, to choose the index of the `fulltext` table.

    .venv/bin/python benchmarks/pg_fulltext.py [--copies 100] [--postgres URL]

Builds a database of the seed pages (copied ``--copies`` times, as in db_speed.py) and the
government work reports, then times each query word (1 to 8 characters) 5 times with:
  grams  — the GIN index of characters and character bigrams, then strpos (what the
           database uses, the index forced as its search does);
  trgm   — pg_trgm's GIN index on the text with LIKE '%word%' (stock contrib); pg_trgm
           needs 3 characters, so words of 1 or 2 go to a sequential scan;
  scan   — strpos over every row, no index.
The database needs a UTF-8 LC_CTYPE (for pg_trgm, CJK characters are letters only then; in
the C locale it ignores them). Every way must find the same rows; prints the median
milliseconds and the index sizes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ["科", "人", "满意", "经济", "保卫科", "满意度", "创城", "第二季度", "领导小组",
         "健康教育", "政府工作报告", "创建文明城市工作", "全面建成小康社会", "稳中求进"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=100)
    ap.add_argument("--postgres", help="an empty PostgreSQL database (postgresql://…)")
    args = ap.parse_args()
    import psycopg

    from benchmarks.db_speed import copied_batches
    from pipeline import db
    from pipeline.db_postgres import grams

    shared = ROOT.parent / "shared"
    cluster = None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            url = args.postgres
            if url is None:
                from tests.pgcluster import Cluster, server_bin

                cluster = Cluster(server_bin(), durable=True).start()  # type: ignore[arg-type]
                # pg_trgm takes CJK characters for letters only under a UTF-8 locale
                url = cluster.create_database("plans", ctype="C.utf8")
            halves = copied_batches(shared / "seeds", Path(tmp), args.copies)
            db.build(url, [*halves, shared / "external" / "gov-work-reports"])
            con = psycopg.connect(url, autocommit=True)
            con.execute("SET jit = off")
            con.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            t = time.perf_counter()
            con.execute("CREATE INDEX fulltext_trgm ON fulltext USING gin (body gin_trgm_ops)")
            trgm_build = time.perf_counter() - t
            con.execute("VACUUM ANALYZE fulltext")
            ways = {
                "grams": lambda w: ("SELECT count(*) FROM fulltext t WHERE t.grams @> %s::text[]"
                                    " AND strpos(t.body, %s) > 0", (grams(w), w)),
                "trgm": lambda w: ("SELECT count(*) FROM fulltext t WHERE t.body LIKE %s",
                                   (f"%{w}%",)),
                "scan": lambda w: ("SELECT count(*) FROM fulltext t WHERE strpos(t.body, %s) > 0",
                                   (w,)),
            }
            out: dict = {"documents": con.execute("SELECT count(*) FROM fulltext").fetchone()[0],
                         "trgm_index_build_seconds": round(trgm_build, 1)}
            for name in ("fulltext_grams", "fulltext_trgm"):
                size = con.execute("SELECT pg_relation_size(%s)", (name,)).fetchone()[0]
                out[f"{name}_mb"] = round(size / 2**20, 1)
            for w in WORDS:
                row = {}
                counts = set()
                for name, way in ways.items():
                    sql, params = way(w)
                    if name == "grams" or (name == "trgm" and len(w) >= 3):
                        # the index, as the database's search forces it
                        con.execute("SET enable_seqscan = off")
                        con.execute("SET enable_indexscan = off")
                    runs = []
                    for _ in range(5):
                        t = time.perf_counter()
                        counts.add(con.execute(sql, params).fetchone()[0])
                        runs.append(time.perf_counter() - t)
                    con.execute("RESET enable_seqscan")
                    con.execute("RESET enable_indexscan")
                    row[name] = round(statistics.median(runs) * 1000, 1)
                if len(counts) != 1:
                    raise SystemExit(f"{w}: the ways disagree ({counts})")
                row["hits"] = counts.pop()
                out[w] = row
                print(w, row, file=sys.stderr)
            con.close()
        finally:
            if cluster is not None:
                cluster.stop()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
