"""Annotation tool for the gold set: show a seed as numbered lines, resolve drafts to spans.

    python corpora/gold/annotate.py show SEED_FILE OUT.txt
        Numbered lines of the cleaned, simplified text (pinyin residue removed), with the
        document boundaries the pipeline finds. Lines outside every document start with `~`.

    python corpora/gold/annotate.py resolve SEED_FILE DRAFT.jsonl GOLD.json [FIRST-LAST LABEL…]
        DRAFT.jsonl has one item per line: {"line": N, "text": "...", "nth": 1, "label": ...,
        other fields}. `text` is looked up in line N (the nth occurrence, default 1) and the
        item gets its `span` in the original source. Problems are listed and nothing is
        written while any remain. A partial annotation names the lines it covers and its
        labels (`223-320 unit`): the gold file gets a `scope` and `labels`, and `jihua eval`
        scores only those.

    python corpora/gold/annotate.py tasks SEED_FILE OUT.tasks.json DRAFT.tasks.jsonl…
        Task drafts, one task a line: {"doc": N, "start_line": L, "start": "first words",
        "end_line": M, "end": "last words", "units": [{"name", "role", "inherited"}],
        "deadline": {"text", "value", "inherited"} or null, "targets": ["exact text", …]}.
        The task's span runs from `start` in line L to the end of `end` in line M (its last
        occurrence there after the start); each target text is looked up inside the task.
        Several drafts (parts of one page) make one gold file.

The gold file records the seed by file name and sha256; it never contains the seed's text
beyond the short `text` of each labelled item (for a task: its first and last words).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from pipeline.assemble import extract_file
from pipeline.ingest import read_source
from pipeline.normalize import Text, prepare

LABELS = {"phase", "date", "unit", "target"}


def load(seed: Path) -> tuple[Text, list[tuple[int, int]], list[dict]]:
    source = read_source(seed)
    blocks = list(source.blocks())
    if len(blocks) != 1:
        raise SystemExit(f"{seed}: expected one block, got {len(blocks)}")
    base, raw = blocks[0]
    text = prepare(raw, base)
    lines, at = [], 0
    for part in text.simp.split("\n"):
        lines.append((at, at + len(part)))
        at += len(part) + 1
    docs = [r for r in extract_file(seed) if "doc_index" in r]
    return text, lines, docs


def _header(seed: Path, docs: list[dict]) -> dict:
    """What every gold file starts with: the seed by name and hash, and its documents."""
    return {
        "source": seed.name,
        "sha256": hashlib.sha256(seed.read_bytes()).hexdigest(),
        "documents": [
            {"doc_index": d["doc_index"], "title": d["title"], "span": d["span"]} for d in docs
        ],
    }


def _doc_of(span: list[int], docs: list[dict]) -> int | None:
    for d in docs:
        if d["span"][0] <= span[0] and span[1] <= d["span"][1]:
            return d["doc_index"]
    return None


def show(seed: Path, out: Path) -> None:
    text, lines, docs = load(seed)
    starts = {d["span"][0]: d for d in docs}
    rows = []
    current = None
    for n, (s, e) in enumerate(lines, 1):
        src = text.span(s, e) if e > s else text.span(s, s)
        d = next((d for d in docs if d["span"][0] <= src[0] < d["span"][1]), None)
        if d is not None and d is not current and (d["span"][0] in starts):
            rows.append(f"=== document {d['doc_index']}: {d['title']} (kind {d['kind']}) ===")
        current = d
        mark = "~" if d is None else " "
        rows.append(f"{mark}L{n:04d}| {text.simp[s:e]}")
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")


def resolve(
    seed: Path, draft: Path, gold: Path, part: tuple[int, int] | None = None,
    labels: list[str] | None = None,
) -> int:
    text, lines, docs = load(seed)
    items, problems = [], []
    for k, row in enumerate(draft.read_text(encoding="utf-8").splitlines(), 1):
        if not row.strip():
            continue
        try:
            item = json.loads(row)
        except json.JSONDecodeError as exc:
            problems.append(f"{draft}:{k}: not JSON ({exc})")
            continue
        label, n, want = item.get("label"), item.get("line"), item.get("text")
        if label not in LABELS:
            problems.append(f"{draft}:{k}: label must be one of {sorted(LABELS)}")
            continue
        if not isinstance(n, int) or not 1 <= n <= len(lines) or not want:
            problems.append(f"{draft}:{k}: needs a valid line number and a text")
            continue
        s, e = lines[n - 1]
        line = text.simp[s:e]
        nth = item.pop("nth", 1)
        at = -1
        for _ in range(nth):
            at = line.find(want, at + 1)
            if at < 0:
                break
        if at < 0:
            problems.append(
                f"{draft}:{k}: {want!r} (occurrence {nth}) not in line {n}: {line[:60]!r}"
            )
            continue
        span = text.span(s + at, s + at + len(want))
        doc = _doc_of(span, docs)
        if doc is None:
            problems.append(f"{draft}:{k}: {want!r} in line {n} is outside every document")
            continue
        item.pop("line")
        items.append(
            {
                "label": label,
                "doc_index": doc,
                "text": want,
                "span": span,
                **{key: v for key, v in item.items() if key not in {"label", "text"}},
            }
        )
    spans = {}
    for it in items:
        key = (it["label"], *it["span"])
        if key in spans:
            problems.append(f"{draft}: {it['label']} {it['text']!r} at {it['span']} given twice")
        spans[key] = it
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"{len(problems)} problem(s); nothing written", file=sys.stderr)
        return 1
    items.sort(key=lambda it: (it["span"][0], it["span"][1], it["label"]))
    record = {**_header(seed, docs), "items": items}
    if part is not None:
        first, last = part
        record["scope"] = [text.span(*lines[first - 1])[0], text.span(*lines[last - 1])[1]]
        outside = [it["text"] for it in items if not record["scope"][0] <= it["span"][0]]
        outside += [it["text"] for it in items if it["span"][1] > record["scope"][1]]
        if outside:
            print(f"outside lines {first}-{last}: {outside}", file=sys.stderr)
            return 1
    if labels:
        record["labels"] = labels
    gold.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    counts = {lab: sum(it["label"] == lab for it in items) for lab in sorted(LABELS)}
    print(f"{gold}: {len(items)} items {counts}")
    return 0


def _excerpt(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:12]}…{text[-8:]}"


def resolve_tasks(seed: Path, drafts: list[Path], gold: Path) -> int:
    """Task drafts -> a task gold file with spans in the original (see the module doc)."""
    text, lines, docs = load(seed)
    tasks, problems = [], []
    for draft in drafts:
        for k, row in enumerate(draft.read_text(encoding="utf-8").splitlines(), 1):
            if not row.strip():
                continue
            where = f"{draft.name}:{k}"
            try:
                item = json.loads(row)
                l0, l1 = int(item["start_line"]), int(item["end_line"])
                first, last = item["start"], item["end"]
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                problems.append(f"{where}: not a task line ({exc})")
                continue
            if not (1 <= l0 <= l1 <= len(lines)):
                problems.append(f"{where}: lines {l0}-{l1} out of range")
                continue
            s0, e0 = lines[l0 - 1]
            at = text.simp.find(first, s0, e0)
            if at < 0:
                problems.append(f"{where}: start {first!r} not in line {l0}")
                continue
            s1, e1 = lines[l1 - 1]
            end = text.simp.rfind(last, max(s1, at), e1)
            if end < 0:
                problems.append(f"{where}: end {last!r} not in line {l1} after the start")
                continue
            a, b = at, end + len(last)
            span = text.span(a, b)
            doc = _doc_of(span, docs)
            if doc is None:
                problems.append(f"{where}: task at lines {l0}-{l1} is outside every document")
                continue
            targets = []
            for t in item.get("targets") or []:
                t_at = text.simp.find(t, a, b)
                if t_at < 0:
                    problems.append(f"{where}: target {t!r} not inside the task")
                    continue
                targets.append({"text": t, "span": text.span(t_at, t_at + len(t))})
            tasks.append({
                "doc_index": doc,
                "text": _excerpt(text.simp[a:b]),
                "span": span,
                "units": [{"name": u["name"], "role": u["role"],
                           "inherited": u.get("inherited")} for u in item.get("units") or []],
                "deadline": item.get("deadline"),
                "targets": targets,
            })
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"{len(problems)} problem(s); nothing written", file=sys.stderr)
        return 1
    tasks.sort(key=lambda t: tuple(t["span"]))
    record = {**_header(seed, docs), "tasks": tasks}
    gold.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{gold}: {len(tasks)} tasks")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "tasks":
        return resolve_tasks(Path(argv[1]), [Path(a) for a in argv[3:]], Path(argv[2]))
    if len(argv) == 3 and argv[0] == "show":
        show(Path(argv[1]), Path(argv[2]))
        return 0
    if len(argv) >= 4 and argv[0] == "resolve":
        part = None
        if len(argv) > 4:
            first, last = argv[4].split("-")
            part = (int(first), int(last))
        return resolve(Path(argv[1]), Path(argv[2]), Path(argv[3]), part, argv[5:] or None)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
