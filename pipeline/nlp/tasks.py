"""Tasks: the actionable items of a plan, linked to who, when, how much, and which phase.

A task is a leaf section of a plan part (a numbered item with no items under it), or,
where plan text runs without numbered items, one sentence that names a unit, a date or
a target. Its links are the items whose spans fall inside it; its phase is the phase whose
section holds it.
"""

from __future__ import annotations

import re
from typing import Any

SENTENCE = re.compile(r"[^。;!?\n]+[。;!?]?")


def extract(text: str, ctx: Any, items: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    sections = ctx.sections
    has_child = {s.parent for s in sections if s.parent}
    by_id = {s.id: s for s in sections}
    phase_of = {p["section"]: p["id"] for p in items.get("phases", [])}
    phase_heads = {(p["start"], p["end"]) for p in items.get("phases", [])}
    spans: list[tuple[int, int, str | None]] = []
    covered: list[tuple[int, int]] = []
    for s in sections:
        if s.id in has_child or ctx.kinds.get(s.id, ctx.default_kind) in ("report", "problems"):
            continue
        if s.id in phase_of and (s.span[1] - s.heading[1]) < 2:
            continue
        spans.append((s.span[0], s.span[1], s.id))
        covered.append(s.span)
    for m in SENTENCE.finditer(text):
        a, b = m.span()
        if any(c0 <= a < c1 for c0, c1 in [*covered, *ctx.title]) or not m.group().strip():
            continue
        if ctx.kind_at(a) in ("report", "problems"):
            continue
        if any(
            a <= it["start"] < b for g in ("units", "dates", "targets") for it in items.get(g, [])
        ):
            spans.append((a, b, _section_at(sections, a)))
    tasks = []
    for a, b, sec in sorted(spans):
        if (a, b) in phase_heads:
            continue
        while b > a and text[b - 1].isspace():
            b -= 1

        def inside(group: str, a: int = a, b: int = b) -> list[str]:
            return [it["id"] for it in items.get(group, []) if a <= it["start"] < b]

        tasks.append(
            {
                "start": a,
                "end": b,
                "section": sec,
                "phase": _phase_of(sec, by_id, phase_of),
                "responsible": inside("units"),
                "dates": inside("dates"),
                "targets": inside("targets"),
            }
        )
    return tasks


def _section_at(sections: list[Any], i: int) -> str | None:
    best = None
    for s in sections:
        if s.span[0] <= i < s.span[1]:
            best = s.id
    return best


def _phase_of(sec: str | None, by_id: dict[str, Any], phase_of: dict[str, str]) -> str | None:
    while sec is not None:
        if sec in phase_of:
            return phase_of[sec]
        sec = by_id[sec].parent if sec in by_id else None
    return None
