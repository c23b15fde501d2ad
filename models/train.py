"""Train the character-level tagger (BIO over DATE, UNIT, TARGET, PHASE) from scratch.

    .venv/bin/pip install -e ".[model]"
    .venv/bin/python models/train.py            # the shipped model -> models/jihua-tagger/
    .venv/bin/python models/train.py --kfold 5  # the honest evaluation -> models/kfold.json

Nothing is downloaded: the vocabulary is the characters of our own text and the network a
small BERT (3 layers, hidden size 192) built from a configuration. Two stages, each with a
fixed seed, on CPU (two threads) or on a GPU when one is present:

1. masked-language pretraining on all the text we have (the seed pages, the government
   work reports, the sample corpus);
2. fine-tuning for token classification on silver labels (the rules' output) over that
   text, with the gold annotations replacing the silver ones on the seed documents.

``--kfold K`` splits the 28 gold documents into K folds: for each, a model is pretrained on
the text with *no* seed page in it, fine-tuned without the fold's documents, and scored on
them against the gold — rules alone, model alone, and merged (rules win on conflict) — by
span F1 per label, overlapping spans matched one-to-one as in ``jihua eval``.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# one label set, window length, encoding and decoding for training and for the component
from pipeline.nlp.learned import LABELS, SEQ, decode, encode  # noqa: E402

GROUPS = {"DATE": "dates", "UNIT": "units", "TARGET": "targets", "PHASE": "phases"}
GOLD_LABEL = {"date": "DATE", "unit": "UNIT", "target": "TARGET", "phase": "PHASE"}
SEED = 13
OUT = ROOT / "models" / "jihua-tagger"


def shared() -> Path:
    return Path(os.environ.get("JIHUA_SHARED", ROOT.parent / "shared"))


class Source:
    """One file: its folded text (what the pipeline tags) and a map to source offsets."""

    def __init__(self, path: Path) -> None:
        from pipeline.assemble import extract_file
        from pipeline.ingest import read_source
        from pipeline.normalize import prepare

        src = read_source(path)
        blocks = list(src.blocks())
        base, raw = blocks[0] if len(blocks) == 1 else (0, "".join(b for _, b in blocks))
        self.path = path
        self.prepared = prepare(raw, base)
        self.text = self.prepared.fold
        self.positions = list(self.prepared.map)  # cleaned index -> raw index
        self.records = [r for r in extract_file(path) if "doc_index" in r]

    def local(self, span: list[int]) -> tuple[int, int]:
        """Cleaned-text offsets of a source span."""
        s = bisect.bisect_left(self.positions, span[0])
        e = bisect.bisect_left(self.positions, span[1])
        return s, max(e, s + 1)

    def tags(self, spans: list[tuple[int, int, str]]) -> list[int]:
        """BIO ids per character; inner spans (dates in a phase heading) win."""
        tags = [0] * len(self.text)
        order = sorted(spans, key=lambda x: -(x[1] - x[0]))  # longest first, inner last
        for s, e, label in order:
            tags[s] = LABELS.index(f"B-{label}")
            for i in range(s + 1, min(e, len(tags))):
                tags[i] = LABELS.index(f"I-{label}")
        return tags

    def silver(self) -> list[tuple[int, int, str]]:
        out = []
        for r in self.records:
            for label, group in GROUPS.items():
                out += [(*self.local(it["span"]), label) for it in r[group]]
        return out


def gold_spans(source: Source, gold: dict) -> dict[int, list[tuple[int, int, str]]]:
    """Gold spans per document index, in cleaned offsets."""
    out: dict[int, list[tuple[int, int, str]]] = {}
    for it in gold["items"]:
        out.setdefault(it["doc_index"], []).append(
            (*source.local(it["span"]), GOLD_LABEL[it["label"]])
        )
    return out


def windows(n: int) -> list[tuple[int, int]]:
    return [(i, min(i + SEQ, n)) for i in range(0, n, SEQ)]


def build_vocab(texts: list[str]) -> dict[str, int]:
    from collections import Counter

    counts = Counter(c for t in texts for c in t)
    chars = sorted(c for c, n in counts.items() if n >= 2 and not c.isspace())
    vocab = {"[PAD]": 0, "[UNK]": 1, "[MASK]": 2, " ": 3}
    for c in chars:
        vocab.setdefault(c, len(vocab))
    return vocab


def config(vocab_size: int, num_labels: int = len(LABELS)):  # type: ignore[no-untyped-def]
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=192,
        num_hidden_layers=3,
        num_attention_heads=4,
        intermediate_size=384,
        max_position_embeddings=SEQ,
        type_vocab_size=1,
        num_labels=num_labels,
        id2label=dict(enumerate(LABELS)),
        label2id={k: i for i, k in enumerate(LABELS)},
    )


def batches(items: list, size: int, rng: random.Random) -> list[list]:
    items = list(items)
    rng.shuffle(items)
    return [items[i : i + size] for i in range(0, len(items), size)]


def pretrain(seqs: list[list[int]], vocab: dict[str, int], epochs: int, device: str):  # type: ignore[no-untyped-def]
    import torch
    from transformers import BertForMaskedLM

    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    model = BertForMaskedLM(config(len(vocab))).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    model.train()
    for _ in range(epochs):
        for batch in batches(seqs, 32, rng):
            ids = torch.zeros(len(batch), SEQ, dtype=torch.long)
            for i, s in enumerate(batch):
                ids[i, : len(s)] = torch.tensor(s)
            labels = ids.clone()
            mask = (torch.rand(ids.shape) < 0.15) & (ids > 3)
            labels[~mask] = -100
            ids[mask] = 2
            loss = model(
                input_ids=ids.to(device),
                attention_mask=(labels != -2).long().to(device),
                labels=labels.to(device),
            ).loss
            loss.backward()
            opt.step()
            opt.zero_grad()
    return model.bert


def finetune(
    bert,
    examples: list[tuple[list[int], list[int]]],
    vocab: dict[str, int],  # type: ignore[no-untyped-def]
    epochs: int,
    device: str,
):
    import torch
    from transformers import BertForTokenClassification

    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    model = BertForTokenClassification(config(len(vocab))).to(device)
    model.bert.load_state_dict(bert.state_dict(), strict=False)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    model.train()
    for _ in range(epochs):
        for batch in batches(examples, 32, rng):
            ids = torch.zeros(len(batch), SEQ, dtype=torch.long)
            tags = torch.full((len(batch), SEQ), -100, dtype=torch.long)
            for i, (s, t) in enumerate(batch):
                ids[i, : len(s)] = torch.tensor(s)
                tags[i, : len(t)] = torch.tensor(t)
            loss = model(
                input_ids=ids.to(device),
                attention_mask=(ids > 0).long().to(device),
                labels=tags.to(device),
            ).loss
            loss.backward()
            opt.step()
            opt.zero_grad()
    return model


def predict(model, text: str, vocab: dict[str, int], device: str) -> list[tuple[int, int, str]]:  # type: ignore[no-untyped-def]
    """Spans ``(start, end, label)`` the model finds in ``text``."""
    import torch

    model.eval()
    tags: list[int] = []
    with torch.no_grad():
        for s, e in windows(len(text)):
            ids = torch.tensor([encode(text[s:e], vocab)])
            logits = model(input_ids=ids.to(device)).logits[0]
            tags += logits.argmax(-1).tolist()
    return decode(tags, text)


def keeps_unit(text: str, s: int, e: int) -> bool:
    """The component's own filter on a unit the model adds (pipeline/nlp/learned.py)."""
    from pipeline.nlp.learned import checked_unit

    return checked_unit(text, s, e) is not None


def corpus() -> tuple[list[Source], list[Source], dict[str, dict]]:
    """(seed sources, other sources, gold by seed file name)."""
    seeds_dir = shared() / "seeds"
    seeds = [Source(p) for p in sorted(seeds_dir.glob("*.txt"))]
    others = [Source(p) for p in sorted((shared() / "external" / "gov-work-reports").glob("*.txt"))]
    others += [Source(p) for p in sorted((ROOT / "corpora" / "sample").glob("*.txt"))]
    gold = {
        f.stem + ".txt": json.loads(f.read_text(encoding="utf-8"))
        for f in sorted((ROOT / "corpora" / "gold").glob("*.json"))
    }
    return seeds, others, gold


def examples(
    source: Source,
    spans: list[tuple[int, int, str]],
    vocab: dict[str, int],
    ranges: list[tuple[int, int]] | None = None,
) -> list[tuple[list[int], list[int]]]:
    tags = source.tags(spans)
    out = []
    for a, b in ranges or [(0, len(source.text))]:
        for s, e in windows(b - a):
            chunk = source.text[a + s : a + e]
            if chunk.strip():
                out.append((encode(chunk, vocab), tags[a + s : a + e]))
    return out


def doc_ranges(source: Source, gold: dict) -> dict[int, tuple[int, int]]:
    return {d["doc_index"]: source.local(d["span"]) for d in gold["documents"]}


def train_final(epochs: tuple[int, int], device: str) -> None:
    import torch

    t0 = time.time()
    seeds, others, gold = corpus()
    vocab = build_vocab([s.text for s in seeds + others])
    seqs = [encode(s.text[a:b], vocab) for s in seeds + others for a, b in windows(len(s.text))]
    bert = pretrain(seqs, vocab, epochs[0], device)
    data = []
    for s in others:
        data += examples(s, s.silver(), vocab)
    for s in seeds:
        g = gold_spans(s, gold[s.path.name])
        spans = [x for doc in g.values() for x in doc]
        data += examples(s, spans, vocab, list(doc_ranges(s, gold[s.path.name]).values()))
    model = finetune(bert, data, vocab, epochs[1], device)
    OUT.mkdir(parents=True, exist_ok=True)
    model.to("cpu").to(torch.float16).save_pretrained(OUT, safe_serialization=True)
    (OUT / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    minutes = (time.time() - t0) / 60
    (OUT / "training.json").write_text(
        json.dumps(
            {
                "seconds": round(time.time() - t0),
                "device": device,
                "epochs": epochs,
                "seed": SEED,
                "sequences_pretrain": len(seqs),
                "sequences_finetune": len(data),
                "vocab": len(vocab),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"trained in {minutes:.1f} min on {device}; {len(vocab)} characters; -> {OUT}")


def kfold(k: int, epochs: tuple[int, int], device: str) -> dict:
    from pipeline.evaluate import pair

    seeds, others, gold = corpus()
    docs = [(s, d) for s in seeds for d in sorted(doc_ranges(s, gold[s.path.name]))]
    rng = random.Random(SEED)
    rng.shuffle(docs)
    folds = [docs[i::k] for i in range(k)]
    vocab = build_vocab([s.text for s in seeds + others])
    seqs = [encode(s.text[a:b], vocab) for s in others for a, b in windows(len(s.text))]
    bert = pretrain(seqs, vocab, epochs[0], device)  # no seed page in pretraining
    silver = []
    for s in others:
        silver += examples(s, s.silver(), vocab)
    tally = {
        m: {lab: [0, 0, 0] for lab in GROUPS}
        for m in ("rules", "model", "merged_units", "merged_all")
    }
    for held in folds:
        held_set = {(s.path.name, d) for s, d in held}
        data = list(silver)
        for s in seeds:
            g = gold_spans(s, gold[s.path.name])
            ranges = doc_ranges(s, gold[s.path.name])
            for d, rng_ in ranges.items():
                if (s.path.name, d) not in held_set:
                    data += examples(s, g.get(d, []), vocab, [rng_])
        model = finetune(bert, data, vocab, epochs[1], device)
        for s, d in held:
            a, b = doc_ranges(s, gold[s.path.name])[d]
            g = [x for x in gold_spans(s, gold[s.path.name]).get(d, [])]
            rules = [x for x in s.silver() if a <= x[0] < b]
            found = [
                (x + a, y + a, lab) for x, y, lab in predict(model, s.text[a:b], vocab, device)
            ]

            def merge(labels: set[str], rules=rules, found=found, text=s.text) -> list:
                out = list(rules)
                for m in found:
                    if m[2] not in labels or any(
                        m[0] < r[1] and r[0] < m[1] and r[2] == m[2] for r in rules
                    ):
                        continue
                    if m[2] == "UNIT" and not keeps_unit(text, m[0], m[1]):
                        continue
                    out.append(m)
                return out

            merged_units, merged_all = merge({"UNIT"}), merge(set(GROUPS))
            for name, pred in (
                ("rules", rules),
                ("model", found),
                ("merged_units", merged_units),
                ("merged_all", merged_all),
            ):
                for lab in GROUPS:
                    gs = [{"span": [x, y]} for x, y, lb in g if lb == lab]
                    ps = [{"span": [x, y]} for x, y, lb in pred if lb == lab]
                    t = tally[name][lab]
                    t[0] += len(gs)
                    t[1] += len(ps)
                    t[2] += len(pair(gs, ps))
    result = {}
    for name, labs in tally.items():
        result[name] = {}
        for lab, (g, p, tp) in labs.items():
            prec = tp / p if p else 0.0
            rec = tp / g if g else 0.0
            f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
            result[name][lab] = {
                "gold": g,
                "predicted": p,
                "p": round(prec, 3),
                "r": round(rec, 3),
                "f1": round(f1, 3),
            }
    return {"k": k, "documents": len(docs), "epochs": epochs, "scores": result}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kfold", type=int, default=0, help="score K folds instead of training")
    ap.add_argument("--pretrain-epochs", type=int, default=3)
    ap.add_argument("--finetune-epochs", type=int, default=3)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    epochs = (args.pretrain_epochs, args.finetune_epochs)
    if args.kfold:
        t0 = time.time()
        result = kfold(args.kfold, epochs, device)
        result["seconds"] = round(time.time() - t0)
        path = ROOT / "models" / "kfold.json"
        path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        for name, labs in result["scores"].items():
            print(name, {lab: v["f1"] for lab, v in labs.items()})
        return 0
    train_final(epochs, device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
