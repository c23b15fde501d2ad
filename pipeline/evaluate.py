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

A gold file may annotate part of a text: ``"labels"`` lists the labels it covers (default:
all) and ``"scope"`` the ``[start, end)`` span annotated (default: the whole text); only
predictions of those labels that lie inside the scope are scored.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
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
    files = sorted(gold_dir.glob("*.json"))
    if not files:
        raise GoldError(f"{gold_dir}: no gold files (*.json) found.")
    for gf in files:
        try:
            gold = json.loads(gf.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise GoldError(f"{gf}: not valid JSON ({exc.msg} at line {exc.lineno}).") from exc
        src = texts / gold["source"]
        if not src.is_file():
            raise GoldError(f"{gf}: its text {gold['source']} is not in {texts}.")
        if _sha256(src) != gold["sha256"]:
            raise GoldError(f"{gf}: {src} has changed since it was annotated (sha256 differs).")
        records = [r for r in extract_file(src) if "doc_index" in r]
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
            t.gold += len(g_items)
            t.pred += len(p_items)
            matched_g, matched_p = set(), set()
            for i, j, exact in pair(g_items, p_items):
                t.overlap += 1
                t.exact += exact
                ok = field_match(label, g_items[i], p_items[j])
                t.fields += ok
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
    }
    if keep_misses:
        result["misses"] = {label: t.misses for label, t in tallies.items()}
    return result


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
    return "\n".join(rows)


def default_texts(candidates: Iterable[Path]) -> Path | None:
    for c in candidates:
        if c.is_dir():
            return c
    return None
