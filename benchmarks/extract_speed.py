"""Benchmark (run on demand): characters per second and peak memory of `extract`.

    .venv/bin/python benchmarks/extract_speed.py [SEEDS_DIR] [--big-mb 50]

Runs the whole pipeline over the seed pages (10 rounds) and over a synthetic stacked file
of --big-mb megabytes built from the sample corpus, each in a fresh process so that the
peak RSS is the run's own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, resource, sys, time
from pipeline import iter_file
paths, rounds = sys.argv[1:-1], int(sys.argv[-1])
chars = docs = 0
start = time.perf_counter()
for _ in range(rounds):
    for p in paths:
        for r in iter_file(p):
            docs += 1
            chars += r["span"][1] - r["span"][0] if "span" in r else 0
elapsed = time.perf_counter() - start
print(json.dumps({"chars": chars, "docs": docs, "seconds": round(elapsed, 2),
                  "chars_per_s": round(chars / elapsed),
                  "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def run(paths: list[str], rounds: int) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, *paths, str(rounds)], check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("seeds", nargs="?", default=str(ROOT.parent / "shared" / "seeds"))
    parser.add_argument("--big-mb", type=int, default=50)
    args = parser.parse_args()
    seeds = sorted(str(p) for p in Path(args.seeds).glob("*.txt"))
    print("seeds x10:", run(seeds, 10))
    unit = (ROOT / "corpora" / "sample" / "stacked_traditional.txt").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.txt"
        with big.open("wb") as fh:
            for _ in range(args.big_mb * 1024 * 1024 // len(unit) + 1):
                fh.write(unit)
        t = time.perf_counter()
        print(f"{args.big_mb} MB stacked file:", run([str(big)], 1),
              f"wall {time.perf_counter() - t:.1f}s")


if __name__ == "__main__":
    main()
