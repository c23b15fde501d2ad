"""Benchmark (run on demand): build a plan database from the seeds × 1,000 and time queries,
on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/db_speed.py [SEEDS_DIR] [--copies 1000]
        [--backends sqlite,postgresql] [--postgres URL]

The corpus is every seed page copied ``--copies`` times, so 1,000 copies give 5,000 files
and 28,000 documents: the seed pages are extracted once with `jihua batch`, and their
records copied into two batch folders (the halves), each copy with its own path and hash,
so that it is a file of its own to the database (this measures loading, not extraction; see
benchmarks for the extraction speed). For each backend: the time to load both halves one
after the other with `jihua db build` (one process), the database's size, 20 representative
queries (words of 1 to 8 characters in both scripts, filters, both together) run 5 times
each on a read-only connection (median and 95th-percentile latency), and the concurrent
load: the two halves loaded at once by two `jihua db build` processes into a new database,
its wall time and a check that every document is there once.

PostgreSQL: the database named by ``--postgres`` (it must be empty; its size is
pg_database_size), or, without it, a throwaway cluster started for the run with fsync on
(tests/pgcluster.py: the server binaries of Debian's postgresql package).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES: list[tuple[str, dict]] = [
    ("满意度", {}), ("保卫科", {}), ("創城", {}), ("第二季度", {}), ("科", {}),
    ("领导小组", {}), ("醫院", {}), ("创建文明城市工作", {}), ("健康教育", {}), ("消毒", {}),
    ("", {"unit": "院保卫科"}), ("", {"kind": "report"}), ("", {"year": 2009}),
    ("", {"indicator": "满意度", "comparator": ">=", "value": 90}),
    ("", {"deadline_from": "2008-01-01", "deadline_to": "2008-12-31"}),
    ("满意度", {"kind": "plan"}), ("培训", {"target_kind": "target"}),
    ("检查", {"unit": "各科室"}), ("工作计划", {"phase": "阶段"}), ("宣传", {"year": 2008}),
]


def size_mb(target: str | Path) -> float:
    if isinstance(target, Path):
        return round(target.stat().st_size / 2**20, 1)
    import psycopg

    with psycopg.connect(target) as con:
        size = con.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return round(size / 2**20, 1)


def load_at_once(target: str | Path, halves: list[Path]) -> float:
    """Two `jihua db build` processes at once, one half each; their wall time."""
    t = time.perf_counter()
    runs = [subprocess.Popen([sys.executable, "-m", "pipeline", "db", "build", str(target),
                              str(h)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
            for h in halves]
    for run in runs:
        _, err = run.communicate()
        if run.returncode:
            raise SystemExit(f"a concurrent loader failed: {err}")
    return time.perf_counter() - t


def measure(db, target: str | Path, concurrent: str | Path, halves: list[Path]) -> dict:
    t = time.perf_counter()
    documents = sum(db.build(target, [h]).documents for h in halves)
    t_build = time.perf_counter() - t
    database = db.open_database(target, read_only=True)
    timings, totals, medians = [], [], []
    for q, f in QUERIES:
        runs = []
        for _ in range(5):
            t = time.perf_counter()
            result = database.search(q, db.Filters(**f))
            runs.append(time.perf_counter() - t)
        totals.append(result["total"])
        timings.extend(runs)
        medians.append(round(statistics.median(runs) * 1000, 1))
    database.close()
    ms = sorted(x * 1000 for x in timings)
    t_concurrent = load_at_once(concurrent, halves)
    check = db.open_database(concurrent, read_only=True)
    once = check.count("documents") == len(set(check.doc_ids())) == documents
    check.close()
    return {"documents": documents, "build_seconds": round(t_build, 1),
            "database_mb": size_mb(target),
            "query_median_ms": round(statistics.median(ms), 1),
            "query_p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1),
            "concurrent_build_seconds": round(t_concurrent, 1),
            "concurrent_every_document_once": once, "hits_per_query": totals,
            "median_ms_per_query": medians}


def copied_batches(seeds: Path, tmp: Path, copies: int) -> list[Path]:
    """Two batch folders holding the seed pages' records ``copies`` times (see above)."""
    from pipeline.batch import run_batch

    run_batch([seeds], tmp / "seeds", workers=2)
    lines = (tmp / "seeds" / "documents.jsonl").read_text(encoding="utf-8")
    records = [json.loads(line) for line in lines.splitlines()]
    halves = []
    for half, numbers in (("a", range(0, copies, 2)), ("b", range(1, copies, 2))):
        folder = tmp / f"batch_{half}"
        folder.mkdir()
        with (folder / "documents.jsonl").open("w", encoding="utf-8") as out:
            for i in numbers:
                for r in records:
                    name = Path(r["source"]["path"]).name
                    sha = hashlib.sha256(f"{i}:{r['source'].get('sha256')}".encode())
                    r = {**r, "source": {**r["source"], "path": f"corpus/c{i:04d}_{name}",
                                         "sha256": sha.hexdigest()}}
                    out.write(json.dumps(r, ensure_ascii=False) + "\n")
        halves.append(folder)
    return halves


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("JIHUA_SHARED", ROOT.parent / "shared")) / "seeds"
    ap.add_argument("seeds", nargs="?", type=Path, default=default)
    ap.add_argument("--copies", type=int, default=1000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--postgres", help="an empty PostgreSQL database (postgresql://…)")
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "out" / "db_speed.json")
    args = ap.parse_args()

    from pipeline import db

    pages = [p.read_text(encoding="utf-8") for p in sorted(args.seeds.glob("*.txt"))]
    result: dict = {"copies": args.copies, "files": args.copies * len(pages)}
    cluster = None
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        halves = copied_batches(args.seeds, Path(tmp), args.copies)
        result["batch_seconds"] = round(time.perf_counter() - t, 1)
        try:
            for backend in args.backends.split(","):
                if backend == "sqlite":
                    target, concurrent = Path(tmp) / "plans.db", Path(tmp) / "concurrent.db"
                elif args.postgres:
                    target = args.postgres
                    concurrent = args.postgres.rsplit("/", 1)[0] + "/jihua_concurrent"
                else:
                    from tests.pgcluster import Cluster, server_bin

                    bindir = server_bin()
                    if bindir is None:
                        raise SystemExit("no PostgreSQL server: apt-get install postgresql")
                    cluster = Cluster(bindir, durable=True).start()
                    target = cluster.create_database("plans")
                    concurrent = cluster.create_database("jihua_concurrent")
                result[backend] = measure(db, target, concurrent, halves)
                print(backend, json.dumps(result[backend]), file=sys.stderr)
        finally:
            if cluster is not None:
                cluster.stop()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
