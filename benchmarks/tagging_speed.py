"""Benchmark (run on demand): the tagging pipeline against jieba and JioNLP on the same text.

    .venv/bin/pip install -e ".[bench]"          # JioNLP, the reference time extractor
    .venv/bin/python benchmarks/tagging_speed.py [SEEDS_DIR] [--rounds 3]

One text for all three: the seed pages stacked into one file. Reports characters per
second of the full pipeline (read, clean, split, outline, segment, tag, JSON records), of
``jieba.lcut`` alone and of JioNLP's ``extract_time``; then JioNLP's recall of our gold
time expressions next to ours (a gold date counts as found when a span overlaps it; both
see the same cleaned, simplified text); then the linear-time cases (texts with
no plan in them, at 1x, 2x and 4x their size).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def best_of(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("JIHUA_SHARED", ROOT.parent / "shared")) / "seeds"
    ap.add_argument("seeds", nargs="?", type=Path, default=default)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "out" / "tagging_speed.json")
    args = ap.parse_args()

    import jieba
    import jionlp

    from pipeline.assemble import iter_file
    from pipeline.evaluate import evaluate, pair
    from pipeline.ingest import read_source
    from pipeline.nlp import load
    from pipeline.nlp.tokenizer import USERDICT
    from pipeline.normalize import prepare

    logging.disable(logging.CRITICAL)  # JioNLP logs a traceback for every string it rejects
    jieba.setLogLevel(logging.WARNING)
    with USERDICT.open("rb") as fh:
        jieba.load_userdict(fh)
    jieba.initialize()
    load()
    seeds = sorted(args.seeds.glob("*.txt"))
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in seeds)
    with tempfile.TemporaryDirectory() as tmp:
        stacked = Path(tmp) / "seeds.txt"
        stacked.write_text(text, encoding="utf-8")
        list(iter_file(stacked))  # warm caches
        t_pipe = best_of(lambda: list(iter_file(stacked)), args.rounds)
    t_jieba = best_of(lambda: jieba.lcut(text), args.rounds)
    t_jio = best_of(lambda: jionlp.ner.extract_time(text), 1)
    n = len(text)
    speed = {
        "characters": n,
        "pipeline_cps": round(n / t_pipe),
        "jieba_lcut_cps": round(n / t_jieba),
        "jionlp_extract_time_cps": round(n / t_jio),
    }
    try:  # the learned tagger, when the 'model' extra and the weights are there
        from pipeline.nlp import learned

        learned.load_model(str(learned.DEFAULT_MODEL))
        t_model = best_of(lambda: learned.spans(text, str(learned.DEFAULT_MODEL)), 1)
        speed["model_alone_cps"] = round(n / t_model)
    except (ImportError, FileNotFoundError) as exc:
        speed["model_alone_cps"] = f"not measured: {exc}"

    # Recall of the gold time expressions, JioNLP vs ours, on the same cleaned text.
    found = total = 0
    for gf in sorted((ROOT / "corpora" / "gold").glob("*.json")):
        gold = json.loads(gf.read_text(encoding="utf-8"))
        src = read_source(args.seeds / gold["source"])
        base, raw = next(iter(src.blocks()))
        prepared = prepare(raw, base)
        spans = [
            {"span": prepared.span(*r["offset"])}
            for r in jionlp.ner.extract_time(prepared.simp, with_parsing=False)
        ]
        dates = [it for it in gold["items"] if it["label"] == "date"]
        total += len(dates)
        found += len(pair(dates, spans))
    ours = evaluate(ROOT / "corpora" / "gold", args.seeds)["labels"]["date"]
    recall = {
        "gold_dates": total,
        "jionlp_recall": round(found / total, 4),
        "jihua_recall": ours["overlap_r"],
    }

    # Texts with no plan in them: time should grow linearly with length.
    cases = {
        "one repeated character": lambda k: "好" * (250_000 * k),
        "a line with no punctuation": lambda k: ("计划实施方案医院科室" * 2_000) * k,
        "English prose": lambda k: ("The plan was read aloud at noon. " * 8_000) * k,
    }
    linear = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in cases.items():
            row = {}
            for k in (1, 2, 4):
                p = Path(tmp) / f"case{k}.txt"
                body = make(k)
                p.write_text(body, encoding="utf-8")
                row[f"{len(body):,} chars (s)"] = round(
                    best_of(lambda p=p: list(iter_file(p)), 1), 3
                )
            linear[name] = row
    result = {"speed": speed, "time_recall": recall, "linear": linear}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"text: {n:,} characters ({len(seeds)} seed pages)")
    print("| what | characters/s |\n|---|---:|")
    print(f"| jihua full pipeline | {speed['pipeline_cps']:,} |")
    print(f"| jieba.lcut alone | {speed['jieba_lcut_cps']:,} |")
    print(f"| JioNLP extract_time | {speed['jionlp_extract_time_cps']:,} |")
    print(f"| learned tagger alone (CPU, 2 threads) | {speed['model_alone_cps']} |")
    print(
        f"\nrecall of {total} gold time expressions: JioNLP {recall['jionlp_recall']:.3f}, "
        f"jihua {recall['jihua_recall']:.3f}"
    )
    for name, row in linear.items():
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
