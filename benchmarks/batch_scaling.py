"""Benchmark (run on demand): `jihua batch` with 1 and 2 worker processes, and on Dask.

    .venv/bin/python benchmarks/batch_scaling.py [SEEDS_DIR] [--files 900]

Builds a synthetic corpus from the seed pages (each copy made unique by a first line, so
no file is skipped as already done; 900 files hold about 5,000 documents), then runs
`jihua batch` on it in a fresh process per configuration, into a fresh output folder.
Reports files/s, documents/s and the peak memory of the whole process tree (sampled every
0.1 s with psutil), and the speed-up of 2 workers over 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent

DASK_RUN = """
import sys
from dask.distributed import LocalCluster
from pipeline.batch import run_batch
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                  dashboard_address=None) as cluster:
    run_batch([sys.argv[1]], sys.argv[2], engine="dask", scheduler=cluster.scheduler_address)
"""


def make_corpus(seeds: Path, folder: Path, files: int) -> None:
    pages = [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))]
    folder.mkdir(parents=True)
    for i in range(files):
        (folder / f"page{i:05d}.txt").write_text(f"第{i}页\n{pages[i % len(pages)]}",
                                                 encoding="utf-8")


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) summed over the process tree."""
    start = time.perf_counter()
    proc = psutil.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        try:
            procs = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
    return time.perf_counter() - start, peak / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("JIHUA_SHARED", ROOT.parent / "shared")) / "seeds"
    ap.add_argument("seeds", nargs="?", type=Path, default=default)
    ap.add_argument("--files", type=int, default=900)
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "out" / "batch_scaling.json")
    args = ap.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        make_corpus(args.seeds, corpus, args.files)
        cli = [sys.executable, "-m", "pipeline.cli", "batch", str(corpus), "-q"]
        runs = {
            "local, 1 worker": [*cli, "-o", f"{tmp}/w1", "-j", "1"],
            "local, 2 workers": [*cli, "-o", f"{tmp}/w2", "-j", "2"],
            "dask LocalCluster, 2 worker processes": [sys.executable, "-c", DASK_RUN,
                                                      str(corpus), f"{tmp}/dask"],
        }
        for name, cmd in runs.items():
            seconds, peak = measure(cmd)
            out = Path(cmd[cmd.index("-o") + 1]) if "-o" in cmd else Path(f"{tmp}/dask")
            docs = sum(1 for line in (out / "documents.jsonl").open(encoding="utf-8")
                       if '"doc_index"' in line)
            rows[name] = {"files": args.files, "documents": docs, "seconds": round(seconds, 2),
                          "files_per_s": round(args.files / seconds, 1),
                          "documents_per_s": round(docs / seconds, 1),
                          "peak_mb": round(peak)}
    w1, w2 = rows["local, 1 worker"], rows["local, 2 workers"]
    result = {"runs": rows, "speedup_2_over_1": round(w1["seconds"] / w2["seconds"], 2)}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print("| run | files/s | documents/s | peak memory (all processes) |\n|---|---:|---:|---:|")
    for name, r in rows.items():
        print(f"| {name} | {r['files_per_s']} | {r['documents_per_s']} | {r['peak_mb']} MB |")
    print(f"\n{w1['documents']} documents in {args.files} files; 2 workers / 1 worker: "
          f"{result['speedup_2_over_1']}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
