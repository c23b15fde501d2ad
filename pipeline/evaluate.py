"""Score the pipeline against the gold annotations in ``corpora/gold``.

Each gold file names its text by file name and sha256 (the text itself is not in the
project); the texts are looked up in a folder given by the caller. Items are compared per
label, per source file, by their spans in the original text:

- **exact**: same ``[start, end)``;
- **overlap**: spans that share at least one character, paired one-to-one, exact pairs
  first and then by largest overlap.

For each matched (overlap) pair the normalized fields are compared: a date's ``value``, a
phase's ``period`` value, a unit's ``role``, a target's ``comparator``, ``value`` and
``unit`` together. ``value`` scores count a pair only when the span overlaps and the fields
agree, so their precision and recall are over all predicted and gold items.

**Tasks** (gold in ``GOLD_DIR/tasks/*.tasks.json``, written by ``corpora/gold/annotate.py
tasks``) are scored per page:

- **task P/R/F1**: a predicted and a gold task match when their spans overlap by at least
  half of the shorter one; pairs are made one-to-one, largest overlap (over the union of the
  two spans) first, so a predicted task that covers several gold tasks matches one of them
  at most, and the others count as missed.
- on matched pairs only: **unit-link P/R/F1** over the units of each task, compared by
  canonical name (a leading self-reference 我院/医院/全院/院 is dropped on both sides, so
  ``医院各科室`` is ``各科室``; a list tagged as one span counts as its ``split`` parts, as
  EXTRACTION.md defines them); **deadline accuracy**, the share of pairs whose deadline values
  are equal (both none counts as equal), and **deadline recall**, the share of pairs with a
  gold deadline whose predicted value equals it; **target-link P/R/F1** over the targets
  written in each task, paired one-to-one by overlapping spans.

A gold file may annotate part of a text: ``"labels"`` lists the labels it covers (default:
all) and ``"scope"`` the ``[start, end)`` span annotated (default: the whole text); only
predictions of those labels that lie inside the scope are scored.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .assemble import extract_file

LABELS = {"date": "dates", "phase": "phases", "unit": "units", "target": "targets"}


class GoldError(ValueError):
    """A gold file that cannot be scored (missing text, changed text, bad JSON)."""


@dataclass
class Tally:
    gold: int = 0
    pred: int = 0
    exact: int = 0
    overlap: int = 0
    fields: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)

    def scores(self) -> dict[str, float | int]:
        def prf(tp: int) -> tuple[float, float, float]:
            p = tp / self.pred if self.pred else 0.0
            r = tp / self.gold if self.gold else 0.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            return round(p, 4), round(r, 4), round(f, 4)

        out: dict[str, float | int] = {"gold": self.gold, "predicted": self.pred}
        for name, tp in (("exact", self.exact), ("overlap", self.overlap), ("value", self.fields)):
            out[f"{name}_p"], out[f"{name}_r"], out[f"{name}_f1"] = prf(tp)
        out["value_accuracy"] = round(self.fields / self.overlap, 4) if self.overlap else 0.0
        return out


def field_match(label: str, gold: dict[str, Any], pred: dict[str, Any]) -> bool:
    """Whether a matched pair agrees on the label's normalized fields."""
    if label == "date":
        return gold.get("value") == pred.get("value")
    if label == "phase":
        period = pred.get("period") or {}
        return gold.get("period") == (period.get("value") if period else None)
    if label == "unit":
        return gold.get("role") == pred.get("role")
    return (
        gold.get("comparator") == pred.get("comparator")
        and _same_number(gold.get("value"), pred.get("value"))
        and (gold.get("unit") or "") == (pred.get("unit") or "")
    )


def _same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def pair(gold: list[dict[str, Any]], pred: list[dict[str, Any]]) -> list[tuple[int, int, bool]]:
    """One-to-one pairs ``(gold index, pred index, exact)`` of overlapping spans."""
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    exact = {tuple(p["span"]): j for j, p in enumerate(pred)}
    for i, g in enumerate(gold):
        j = exact.get(tuple(g["span"]))
        if j is not None and j not in used_p:
            pairs.append((i, j, True))
            used_g.add(i)
            used_p.add(j)
    candidates = []
    for i, g in enumerate(gold):
        if i in used_g:
            continue
        g0, g1 = g["span"]
        for j, p in enumerate(pred):
            if j in used_p:
                continue
            p0, p1 = p["span"]
            ov = min(g1, p1) - max(g0, p0)
            if ov > 0:
                candidates.append((-ov, i, j))
    for _, i, j in sorted(candidates):
        if i not in used_g and j not in used_p:
            pairs.append((i, j, False))
            used_g.add(i)
            used_p.add(j)
    return pairs


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def evaluate(gold_dir: Path, texts: Path, *, keep_misses: bool = False) -> dict[str, Any]:
    """Scores per label over every ``*.json`` gold file in ``gold_dir``."""
    tallies = {label: Tally() for label in LABELS}
    per_page: dict[str, dict[str, Tally]] = {}
    files = sorted(gold_dir.glob("*.json"))
    if not files:
        raise GoldError(f"{gold_dir}: no gold files (*.json) found.")
    cache: dict[Path, list[dict[str, Any]]] = {}

    def records_of(src: Path) -> list[dict[str, Any]]:
        if src not in cache:
            cache[src] = _extract_docs(src)
        return cache[src]

    for gf in files:
        gold = _load_gold(gf, texts)
        src = texts / gold["source"]
        records = records_of(src)
        lo, hi = gold.get("scope") or (0, math.inf)
        for label, group in LABELS.items():
            if label not in gold.get("labels", LABELS):
                continue
            g_items = [it for it in gold["items"] if it["label"] == label]
            p_items = [
                it
                for r in records
                for it in r[group]
                if lo <= it["span"][0] and it["span"][1] <= hi
            ]
            t = tallies[label]
            page = per_page.setdefault(gold["source"], {}).setdefault(label, Tally())
            t.gold += len(g_items)
            t.pred += len(p_items)
            page.gold += len(g_items)
            page.pred += len(p_items)
            matched_g, matched_p = set(), set()
            for i, j, exact in pair(g_items, p_items):
                ok = field_match(label, g_items[i], p_items[j])
                for tally in (t, page):
                    tally.overlap += 1
                    tally.exact += exact
                    tally.fields += ok
                matched_g.add(i)
                matched_p.add(j)
                if keep_misses and not ok:
                    t.misses.append(
                        {
                            "file": gold["source"],
                            "kind": "field",
                            "gold": _brief(g_items[i]),
                            "pred": _brief(p_items[j]),
                        }
                    )
            if keep_misses:
                t.misses += [
                    {"file": gold["source"], "kind": "missed", "gold": _brief(g)}
                    for i, g in enumerate(g_items)
                    if i not in matched_g
                ]
                t.misses += [
                    {"file": gold["source"], "kind": "spurious", "pred": _brief(p)}
                    for j, p in enumerate(p_items)
                    if j not in matched_p
                ]
    result: dict[str, Any] = {
        "gold_files": [f.name for f in files],
        "labels": {label: t.scores() for label, t in tallies.items()},
        "pages": {src: {label: t.scores() for label, t in page.items()}
                  for src, page in per_page.items()},
    }
    if keep_misses:
        result["misses"] = {label: t.misses for label, t in tallies.items()}
    if (gold_dir / "tasks").is_dir() and any((gold_dir / "tasks").glob("*.tasks.json")):
        result["tasks"] = evaluate_tasks(gold_dir / "tasks", texts, keep_misses=keep_misses,
                                         records_of=records_of)
    return result


@dataclass
class TaskTally:
    gold: int = 0
    pred: int = 0
    matched: int = 0
    unit_gold: int = 0
    unit_pred: int = 0
    unit_ok: int = 0
    deadline_gold: int = 0
    deadline_found: int = 0
    deadline_equal: int = 0
    target_gold: int = 0
    target_pred: int = 0
    target_ok: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: TaskTally) -> None:
        for name in self.__dataclass_fields__:
            if name != "misses":
                setattr(self, name, getattr(self, name) + getattr(other, name))
        self.misses += other.misses

    def scores(self) -> dict[str, float | int]:
        def f1(ok: int, pred: int, gold: int) -> tuple[float, float, float]:
            p = ok / pred if pred else 0.0
            r = ok / gold if gold else 0.0
            return round(p, 4), round(r, 4), round(2 * p * r / (p + r) if p + r else 0.0, 4)

        out: dict[str, float | int] = {"gold": self.gold, "predicted": self.pred,
                                       "matched": self.matched}
        out["task_p"], out["task_r"], out["task_f1"] = f1(self.matched, self.pred, self.gold)
        out["unit_p"], out["unit_r"], out["unit_f1"] = f1(self.unit_ok, self.unit_pred,
                                                          self.unit_gold)
        out["deadline_accuracy"] = round(self.deadline_equal / self.matched, 4) if (
            self.matched) else 0.0
        out["deadline_recall"] = round(self.deadline_found / self.deadline_gold, 4) if (
            self.deadline_gold) else 0.0
        out["target_p"], out["target_r"], out["target_f1"] = f1(
            self.target_ok, self.target_pred, self.target_gold)
        return out


SELF_PREFIX = re.compile(r"^(?:我院|医院|全院|院)(?=.)")


def _unit_key(name: str) -> str:
    return SELF_PREFIX.sub("", name.replace("（", "(").replace("）", ")").replace(" ", ""))


def _names(unit: dict[str, Any]) -> list[str]:
    """The canonical names a unit stands for: the parts of a list tagged as one span
    (党、团、工会和妇女组织 → 党组织, 团组织, 工会, 妇女组织), else its name."""
    return unit.get("split") or [unit["name"]]


def pair_tasks(gold: list[dict[str, Any]], pred: list[dict[str, Any]]
               ) -> list[tuple[int, int]]:
    """One-to-one ``(gold index, pred index)`` pairs of tasks overlapping by at least half
    of the shorter span, the largest overlap over union first."""
    candidates = []
    for i, g in enumerate(gold):
        g0, g1 = g["span"]
        for j, p in enumerate(pred):
            p0, p1 = p["span"]
            ov = min(g1, p1) - max(g0, p0)
            if ov > 0 and 2 * ov >= min(g1 - g0, p1 - p0):
                candidates.append((-ov / (max(g1, p1) - min(g0, p0)), i, j))
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for _, i, j in sorted(candidates):
        if i not in used_g and j not in used_p:
            pairs.append((i, j))
            used_g.add(i)
            used_p.add(j)
    return pairs


def score_tasks(gold: dict[str, Any], records: list[dict[str, Any]], *,
                keep_misses: bool = False) -> TaskTally:
    """The task scores of one page: its gold tasks against the tasks of its records."""
    t = TaskTally()
    g_tasks = gold["tasks"]
    p_tasks = []
    for r in records:
        units = {u["id"]: u for u in r["units"]}
        dates = {d["id"]: d for d in r["dates"]}
        targets = {x["id"]: x for x in r["targets"]}
        for k in r["tasks"]:
            deadline = dates.get(k.get("deadline") or "")
            p_tasks.append({
                "text": k["text"], "span": k["span"],
                "units": {_unit_key(n) for u in k["responsible"] for n in _names(units[u])},
                "deadline": deadline["value"] if deadline else None,
                "targets": [targets[x] for x in k["targets"]],
            })
    t.gold, t.pred = len(g_tasks), len(p_tasks)
    pairs = pair_tasks(g_tasks, p_tasks)
    t.matched = len(pairs)
    for i, j in pairs:
        g, p = g_tasks[i], p_tasks[j]
        g_units = {_unit_key(u["name"]) for u in g["units"]}
        t.unit_gold += len(g_units)
        t.unit_pred += len(p["units"])
        t.unit_ok += len(g_units & p["units"])
        g_deadline = (g.get("deadline") or {}).get("value")
        t.deadline_equal += g_deadline == p["deadline"]
        if g_deadline is not None:
            t.deadline_gold += 1
            t.deadline_found += g_deadline == p["deadline"]
        t.target_gold += len(g["targets"])
        t.target_pred += len(p["targets"])
        t.target_ok += len(pair(g["targets"], p["targets"]))
        if keep_misses and (g_units != p["units"] or g_deadline != p["deadline"]):
            t.misses.append({"file": gold["source"], "kind": "links", "gold": {
                "text": g["text"], "units": sorted(g_units), "deadline": g_deadline},
                "pred": {"text": p["text"][:30], "units": sorted(p["units"]),
                         "deadline": p["deadline"]}})
    if keep_misses:
        got_g = {i for i, _ in pairs}
        got_p = {j for _, j in pairs}
        t.misses += [{"file": gold["source"], "kind": "missed", "gold": g["text"],
                      "span": g["span"]} for i, g in enumerate(g_tasks) if i not in got_g]
        t.misses += [{"file": gold["source"], "kind": "spurious", "pred": p["text"][:40],
                      "span": p["span"]} for j, p in enumerate(p_tasks) if j not in got_p]
    return t


def evaluate_tasks(task_dir: Path, texts: Path, *, keep_misses: bool = False,
                   records_of: Callable[[Path], list[dict[str, Any]]] | None = None,
                   ) -> dict[str, Any]:
    """Task scores over every ``*.tasks.json`` in ``task_dir``: all pages and per page."""
    total = TaskTally()
    pages = {}
    for gf in sorted(task_dir.glob("*.tasks.json")):
        gold = _load_gold(gf, texts)
        src = texts / gold["source"]
        records = (records_of or _extract_docs)(src)
        tally = score_tasks(gold, records, keep_misses=keep_misses)
        pages[gold["source"]] = tally.scores()
        total.add(tally)
    out: dict[str, Any] = {"all": total.scores(), "pages": pages}
    if keep_misses:
        out["misses"] = total.misses
    return out


def _extract_docs(src: Path) -> list[dict[str, Any]]:
    return [r for r in extract_file(src) if "doc_index" in r]


def _load_gold(gf: Path, texts: Path) -> dict[str, Any]:
    try:
        gold = json.loads(gf.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise GoldError(f"{gf}: not valid JSON ({exc.msg} at line {exc.lineno}).") from exc
    src = texts / gold["source"]
    if not src.is_file():
        raise GoldError(f"{gf}: its text {gold['source']} is not in {texts}.")
    if _sha256(src) != gold["sha256"]:
        raise GoldError(f"{gf}: {src} has changed since it was annotated (sha256 differs).")
    return gold


def agreement(gold_dir: Path, second_dir: Path, label: str = "unit") -> dict[str, float | int]:
    """How far a second annotation (``second_dir/*.json``, same format) agrees with the gold.

    Each second file is compared with the gold file of the same ``source``; the scores are
    those of :func:`evaluate`, with the second annotator in the place of the pipeline.
    """
    tally = Tally()
    for sf in sorted(second_dir.glob("*.json")):
        second = json.loads(sf.read_text(encoding="utf-8"))
        gold_file = gold_dir / (Path(second["source"]).stem + ".json")
        if not gold_file.is_file():
            raise GoldError(f"{sf}: there is no gold file {gold_file.name} to compare with.")
        gold = json.loads(gold_file.read_text(encoding="utf-8"))
        g_items = [it for it in gold["items"] if it["label"] == label]
        s_items = [it for it in second["items"] if it["label"] == label]
        tally.gold += len(g_items)
        tally.pred += len(s_items)
        for i, j, exact in pair(g_items, s_items):
            tally.overlap += 1
            tally.exact += exact
            tally.fields += field_match(label, g_items[i], s_items[j])
    return tally.scores()


def _brief(it: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "text",
        "span",
        "type",
        "value",
        "role",
        "name",
        "comparator",
        "unit",
        "kind",
        "period",
        "indicator",
    )
    out = {k: it[k] for k in keep if k in it}
    if isinstance(out.get("period"), dict):
        out["period"] = out["period"].get("value")
    return out


def table(result: dict[str, Any]) -> str:
    """The scores as a plain-text table."""
    head = (
        f"{'label':<8}{'gold':>6}{'pred':>6}  {'exact P/R/F1':<20}{'overlap P/R/F1':<20}"
        f"{'value P/R/F1':<20}{'value acc':>9}"
    )
    rows = [head, "-" * len(head)]
    for label, s in result["labels"].items():

        def trio(name: str, s: dict = s) -> str:
            return f"{s[name + '_p']:.3f}/{s[name + '_r']:.3f}/{s[name + '_f1']:.3f}"

        rows.append(
            f"{label:<8}{s['gold']:>6}{s['predicted']:>6}  {trio('exact'):<20}"
            f"{trio('overlap'):<20}{trio('value'):<20}{s['value_accuracy']:>9.3f}"
        )
    if result.get("pages"):
        rows += ["", page_table(result["pages"])]
    if "tasks" in result:
        rows += ["", task_table(result["tasks"])]
    return "\n".join(rows)


def page_table(pages: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Per page: each label's gold count, overlap F1 and value accuracy, so that a total
    carried by one page shows."""
    labels = list(LABELS)
    head = f"{'page':<28}" + "".join(f"{label + ' n/F1/val':>22}" for label in labels)
    rows = [head, "-" * len(head)]
    for src, scores in pages.items():
        cells = []
        for label in labels:
            s = scores.get(label)
            cells.append(f"{s['gold']:>6} {s['overlap_f1']:.3f} {s['value_accuracy']:.3f}"
                         if s and s["gold"] + s["predicted"] else f"{'-':>18}")
        rows.append(f"{src:<28}" + "".join(f"{c:>22}" for c in cells))
    return "\n".join(rows)


def task_table(result: dict[str, Any]) -> str:
    """The task scores as a plain-text table: all pages, then each page."""
    head = (f"{'tasks':<28}{'gold':>5}{'pred':>5}  {'task P/R/F1':<20}{'unit-link F1':>12}"
            f"{'deadline acc':>13}{'deadline rec':>13}{'target F1':>10}")
    rows = [head, "-" * len(head)]
    for name, s in [("all", result["all"]), *result["pages"].items()]:
        trio = f"{s['task_p']:.3f}/{s['task_r']:.3f}/{s['task_f1']:.3f}"
        rows.append(f"{name:<28}{s['gold']:>5}{s['predicted']:>5}  {trio:<20}"
                    f"{s['unit_f1']:>12.3f}{s['deadline_accuracy']:>13.3f}"
                    f"{s['deadline_recall']:>13.3f}{s['target_f1']:>10.3f}")
    return "\n".join(rows)


def default_texts(candidates: Iterable[Path]) -> Path | None:
    for c in candidates:
        if c.is_dir():
            return c
    return None
