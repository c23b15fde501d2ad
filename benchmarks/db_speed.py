"""Benchmark (run on demand): build a plan database from the seeds × 1,000 and time queries.

    .venv/bin/python benchmarks/db_speed.py [SEEDS_DIR] [--copies 1000]

The corpus is every seed page copied ``--copies`` times (each copy made unique by a first
line), so 1,000 copies give 5,000 files and 28,000 documents. It is extracted with
`jihua batch` (2 workers), then loaded with `jihua db build` from the batch folder; both
times are reported, with the database's size. Then 20 representative queries (words of 1
to 8 characters in both scripts, filters, both together) run 5 times each on a read-only
connection: median and 95th-percentile latency.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("JIHUA_SHARED", ROOT.parent / "shared")) / "seeds"
    ap.add_argument("seeds", nargs="?", type=Path, default=default)
    ap.add_argument("--copies", type=int, default=1000)
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "out" / "db_speed.json")
    args = ap.parse_args()

    from pipeline import db
    from pipeline.batch import run_batch

    pages = [p.read_text(encoding="utf-8") for p in sorted(args.seeds.glob("*.txt"))]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for i in range(args.copies):
            for k, page in enumerate(pages):
                (corpus / f"c{i:04d}_{k}.txt").write_text(f"第{i}份\n{page}", encoding="utf-8")
        t = time.perf_counter()
        progress = run_batch([corpus], Path(tmp) / "batch", workers=2)
        t_batch = time.perf_counter() - t
        path = Path(tmp) / "plans.db"
        t = time.perf_counter()
        report = db.build(path, [Path(tmp) / "batch"])
        t_build = time.perf_counter() - t
        size = path.stat().st_size
        con = db.connect(path, read_only=True)
        timings = []
        totals = []
        for q, f in QUERIES:
            runs = []
            for _ in range(5):
                t = time.perf_counter()
                result = db.search(con, q, db.Filters(**f))
                runs.append(time.perf_counter() - t)
            totals.append(result["total"])
            timings.extend(runs)
        con.close()
    ms = sorted(x * 1000 for x in timings)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    result = {"files": args.copies * len(pages), "documents": report.documents,
              "batch_seconds": round(t_batch, 1), "build_seconds": round(t_build, 1),
              "database_mb": round(size / 2**20, 1),
              "query_median_ms": round(statistics.median(ms), 1), "query_p95_ms": round(p95, 1),
              "hits_per_query": totals, "batch_documents": progress.documents}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
