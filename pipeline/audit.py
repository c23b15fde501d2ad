"""Audit: align each committed target with the figures that report on it, and judge it.

A *plan side* gives the targets (items of kind ``target``), a *report side* the actuals
(kind ``actual``): one mixed document (both sides), a plan file and a report file, or two
``jihua batch`` output folders. Targets and actuals are aligned by indicator: first by the
synonym table ``pipeline/data/indicators.tsv`` (国内生产总值增长 = GDP增长 = 经济增长), else
by a similarity of the indicator wordings (character bigrams, Dice), reported as a score.

Verdicts, with a tolerance of 0.3 percentage points for % figures and 3 % of the target
value otherwise, and the indicator's direction (lower is better for unemployment, prices,
waiting time):

- ``>=``/``>``: below the bound by more than the tolerance → ``not_met``; above it by more
  → ``exceeded``; else ``met``. ``<=``/``<`` mirror it.
- ``~`` and ``=``: within the tolerance → ``met``; beyond it in the better direction →
  ``exceeded``; in the worse → ``not_met``. ``range``: inside [low − tol, high + tol] → met.
- ``no_evidence``: the report side has no figure for the indicator.
- ``unclear``: the units cannot be compared (% against 个百分点), the plan left the value
  blank, or the direction of an ``=`` target is unknown.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .assemble import iter_file
from .batch import read_records
from .rules import load

PERCENT_TOLERANCE = 0.3  # percentage points
RELATIVE_TOLERANCE = 0.03  # of the target value, for every other unit
SIMILARITY_FLOOR = 0.5
SENTENCE_END = "。;；!?！？\n"
# unit -> (base unit, factor): values in the first convert to the second
CONVERSIONS = {
    "‰": ("%", 0.1),
    "吨": ("斤", 2000.0),
    "公斤": ("斤", 2.0),
    "小时": ("分钟", 60.0),
    "万人": ("人", 1e4),
    "亿元": ("元", 1e8),
}
VERDICTS = ("met", "exceeded", "not_met", "no_evidence", "unclear")


@dataclass
class Figure:
    """A target or an actual, with where it stands."""

    indicator: str
    comparator: str
    value: float | None
    value_max: float | None
    unit: str | None
    kind: str
    text: str
    span: list[int]
    path: str
    sentence: str
    sentence_span: list[int]
    canonical: str | None = None
    direction: str | None = None


@dataclass
class Row:
    indicator: str
    target: dict[str, Any]
    actual: dict[str, Any] | None
    verdict: str
    reason: str
    match: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _indicators() -> list[tuple[re.Pattern[str], str, str, str]]:
    return [(r.regex, r["id"], r["canonical"], r["direction"]) for r in load("indicators.tsv")]


def canonical(indicator: str, text: str = "") -> tuple[str | None, str | None, str | None]:
    """``(id, canonical name, direction)`` of an indicator wording, or Nones."""
    for pattern, rid, name, direction in _indicators():
        if pattern.search(indicator) or (text and pattern.search(text)):
            return rid, name, direction
    return None, None, None


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams of two wordings (1.0: the same)."""

    def grams(s: str) -> set[str]:
        s = re.sub(r"[^\u4e00-\u9fffA-Za-z]", "", s)
        return {s[i : i + 2] for i in range(len(s) - 1)} or ({s} if s else set())

    ga, gb = grams(a), grams(b)
    if not ga or not gb:
        return 0.0
    return 2 * len(ga & gb) / (len(ga) + len(gb))


def load_side(path: str | Path) -> list[dict[str, Any]]:
    """Document records of a file, or of a batch output folder (its documents.jsonl)."""
    p = Path(path)
    if p.is_dir():
        return [r for r in read_records(p) if "doc_index" in r]
    records = list(iter_file(p))
    errors = [r for r in records if "error" in r]
    if errors:
        raise ValueError(errors[0]["message"])
    return records


def figures(records: Iterable[dict[str, Any]], kind: str) -> list[Figure]:
    """The targets of one kind (``target`` or ``actual``) in ``records``, with sentences."""
    out = []
    for r in records:
        base = r["span"][0]
        text = r["text_original"]
        for t in r["targets"]:
            if t["kind"] != kind:
                continue
            s, e = t["span"][0] - base, t["span"][1] - base
            lo = max((text.rfind(c, 0, s) for c in SENTENCE_END), default=-1) + 1
            hi = min(
                (i for i in (text.find(c, e) for c in SENTENCE_END) if i != -1), default=len(text)
            )
            hi = min(hi + 1, len(text))
            while lo < s and text[lo].isspace():
                lo += 1
            while hi > e and text[hi - 1].isspace():
                hi -= 1
            rid, name, direction = canonical(t["indicator"], t["text"])
            if rid is None:  # 国内生产总值达到39.8万亿元,比上年增长10.3%: the subject came earlier
                rid, name, direction = canonical(_subject(_lead_in(text, s) + t["indicator"]))
            out.append(
                Figure(
                    indicator=t["indicator"],
                    comparator=t["comparator"],
                    value=t["value"],
                    value_max=t["value_max"],
                    unit=t["unit"],
                    kind=kind,
                    text=t["text"],
                    span=t["span"],
                    path=r["source"]["path"],
                    sentence=text[lo:hi],
                    sentence_span=[base + lo, base + hi],
                    canonical=rid,
                    direction=direction,
                )
            )
            if name:
                out[-1].indicator = out[-1].indicator or name
    return out


FIGURE = re.compile(
    r"(?:达到|达|为|超过|突破|比上年|比去年|同比|较上年|上年|全年)|[\d.,%％‰]+[万亿千]*"
    r"[元人斤吨个项家名次户亩]*|[,，、;；:：\s]"
)


def _lead_in(text: str, at: int) -> str:
    """The sentence before ``at``: line breaks inside it (page wrapping) are ignored."""
    window = re.sub(r"[\s\u200b]+", "", text[max(0, at - 80) : at])
    return re.split(r"[。;；!?！？]", window)[-1]


def _subject(prefix: str) -> str:
    """What a sentence was talking about before a figure, figures and link words removed."""
    return FIGURE.sub("", prefix)[-24:]


def qualitative(records: Iterable[dict[str, Any]], rid: str) -> tuple[str, list[int]] | None:
    """A report-part sentence that names the indicator without any figure, if there is one."""
    from .normalize import to_simplified

    pattern = next(p for p, i, _, _ in _indicators() if i == rid)
    for r in records:
        base, original = r["span"][0], r["text_original"]
        for sec in r["sections"]:
            if sec["kind"] != "report" or sec["parent"] is not None:
                continue
            a, b = sec["span"][0] - base, sec["span"][1] - base
            simp = to_simplified(original[a:b])
            for m in re.finditer(r"[^。;；!?！？\n]+", simp):
                if pattern.search(m.group()) and not re.search(r"\d", m.group()):
                    return m.group().strip(), [base + a + m.start(), base + a + m.end()]
    return None


def convert(value: float, unit: str | None, to: str | None) -> float | None:
    """``value`` in ``unit`` expressed in ``to``; None when they cannot be compared."""
    unit, to = unit or "", to or ""
    if unit == to:
        return value
    if unit in CONVERSIONS and CONVERSIONS[unit][0] == to:
        return value * CONVERSIONS[unit][1]
    if to in CONVERSIONS and CONVERSIONS[to][0] == unit:
        return value / CONVERSIONS[to][1]
    if unit in CONVERSIONS and to in CONVERSIONS and CONVERSIONS[unit][0] == CONVERSIONS[to][0]:
        return value * CONVERSIONS[unit][1] / CONVERSIONS[to][1]
    return None


def judge(target: Figure, actual: Figure | None) -> tuple[str, str]:
    """The verdict on one target, and why."""
    if actual is None:
        return "no_evidence", "the report side states no figure for this indicator"
    if target.value is None:
        return "unclear", "the plan leaves the target value blank"
    if actual.value is None:
        return "unclear", "the report leaves the figure blank"
    got = convert(actual.value, actual.unit, target.unit)
    if got is None:
        return "unclear", (
            f"units cannot be compared: {actual.unit or 'none'} against {target.unit or 'none'}"
        )
    tol = PERCENT_TOLERANCE if target.unit == "%" else RELATIVE_TOLERANCE * abs(target.value)
    direction = target.direction
    comp = target.comparator
    if direction is None:
        direction = {">=": "higher", ">": "higher", "<=": "lower", "<": "lower"}.get(comp)
    lo, hi = target.value, target.value
    if comp == "range" and target.value_max is not None:
        hi = target.value_max
    shown = f"{_fmt(got)}{target.unit or ''} against {_describe(target)}"
    if comp in (">=", ">"):
        if got < lo - tol:
            return "not_met", f"{shown}: below the floor"
        return (
            ("exceeded", f"{shown}: above the floor")
            if got > lo + tol
            else ("met", f"{shown}: at the floor")
        )
    if comp in ("<=", "<"):
        if got > hi + tol:
            return "not_met", f"{shown}: above the ceiling"
        return (
            ("exceeded", f"{shown}: well under the ceiling")
            if got < hi - tol
            else ("met", f"{shown}: within the ceiling")
        )
    if lo - tol <= got <= hi + tol:
        return "met", f"{shown}: within the tolerance of ±{_fmt(tol)}"
    if direction is None:
        return "unclear", f"{shown}: off target, and the indicator has no known direction"
    better = got > hi if direction == "higher" else got < lo
    return (
        ("exceeded", f"{shown}: better than the target")
        if better
        else ("not_met", f"{shown}: worse than the target")
    )


def _fmt(x: float) -> str:
    return f"{x:,.6g}" if abs(x) < 1e6 else f"{x:,.0f}"


def _describe(t: Figure) -> str:
    if t.comparator == "range" and t.value_max is not None:
        return f"{_fmt(t.value or 0)}–{_fmt(t.value_max)}{t.unit or ''}"
    return f"{t.comparator} {_fmt(t.value or 0)}{t.unit or ''}"


def align(
    targets: list[Figure], actuals: list[Figure]
) -> list[tuple[Figure, Figure | None, dict[str, Any]]]:
    """Each target with its best actual (or None) and how they were matched."""
    out = []
    for t in targets:
        best, how, score = None, "", 0.0
        for a in actuals:
            if t.canonical and a.canonical == t.canonical:
                s, h = 1.0, "synonym"
            elif t.canonical or a.canonical:
                continue  # the table knows one of them, and they differ
            else:
                s, h = similarity(t.indicator, a.indicator), "similarity"
                if s < SIMILARITY_FLOOR:
                    continue
            if convert(1.0, a.unit, t.unit) is None:
                s -= 0.5  # a figure in another unit (the GDP level, not its growth) comes last
            if s > score:
                best, how, score = a, h, s
        out.append((t, best, {"how": how or None, "score": round(min(score, 1.0), 3)}))
    return out


def audit(plan: str | Path, report: str | Path | None = None) -> list[Row]:
    """Rows of the audit of ``plan`` against ``report`` (or of one mixed document)."""
    plan_records = load_side(plan)
    report_records = load_side(report) if report is not None else plan_records
    targets = figures(plan_records, "target")
    actuals = figures(report_records, "actual")
    rows = []
    for t, a, match in align(targets, actuals):
        verdict, reason = judge(t, a)
        if a is None and t.canonical and (said := qualitative(report_records, t.canonical)):
            verdict = "unclear"
            reason = f"the report speaks of it only in words: {said[0][:60]}"
            match = {"how": "words", "score": None, "sentence": said[0], "span": said[1]}
        rows.append(
            Row(
                indicator=t.indicator,
                target={
                    "text": t.text,
                    "span": t.span,
                    "comparator": t.comparator,
                    "value": t.value,
                    "value_max": t.value_max,
                    "unit": t.unit,
                    "path": t.path,
                    "sentence": t.sentence,
                    "sentence_span": t.sentence_span,
                    "canonical": t.canonical,
                },
                actual=None
                if a is None
                else {
                    "text": a.text,
                    "span": a.span,
                    "value": a.value,
                    "unit": a.unit,
                    "comparator": a.comparator,
                    "path": a.path,
                    "sentence": a.sentence,
                    "sentence_span": a.sentence_span,
                },
                verdict=verdict,
                reason=reason,
                match=match,
            )
        )
    return rows


def to_json(rows: list[Row]) -> str:
    return json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2)


def to_csv(rows: list[Row]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        [
            "indicator",
            "verdict",
            "target_text",
            "comparator",
            "value",
            "value_max",
            "unit",
            "actual_text",
            "actual_value",
            "actual_unit",
            "reason",
            "match",
            "target_path",
            "target_span",
            "actual_path",
            "actual_span",
        ]
    )
    for r in rows:
        a = r.actual or {}
        w.writerow(
            [
                r.indicator,
                r.verdict,
                r.target["text"],
                r.target["comparator"],
                r.target["value"],
                r.target["value_max"],
                r.target["unit"],
                a.get("text"),
                a.get("value"),
                a.get("unit"),
                r.reason,
                f"{r.match.get('how')}:{r.match.get('score')}",
                r.target["path"],
                "{}-{}".format(*r.target["span"]),
                a.get("path"),
                "{}-{}".format(*a["span"]) if a else None,
            ]
        )
    return buf.getvalue()


def to_table(rows: list[Row]) -> str:
    lines = [f"{'verdict':<12}{'indicator':<18}{'target':<26}{'actual':<26}reason"]
    for r in rows:
        a = r.actual["text"] if r.actual else "—"
        lines.append(
            f"{r.verdict:<12}{_cut(r.indicator, 16):<18}{_cut(r.target['text'], 24):<26}"
            f"{_cut(a, 24):<26}{r.reason}"
        )
    counts = {v: sum(r.verdict == v for r in rows) for v in VERDICTS}
    lines.append(", ".join(f"{n} {v}" for v, n in counts.items()))
    return "\n".join(lines)


def _cut(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _marked(sentence: str, sentence_span: list[int], span: list[int]) -> str:
    """The sentence, escaped, with the figure's characters in <mark>."""
    a = max(0, span[0] - sentence_span[0])
    b = max(a, min(len(sentence), span[1] - sentence_span[0]))
    return (
        html.escape(sentence[:a])
        + "<mark>"
        + html.escape(sentence[a:b])
        + "</mark>"
        + html.escape(sentence[b:])
    )


def to_html(rows: list[Row], title: str = "jihua audit") -> str:
    """A self-contained page: each verdict with both source sentences, figures marked."""
    style = """
body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;
margin:2em;max-width:70em}
table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:.4em;vertical-align:top}
mark{background:#ffe066}.met{background:#d3f9d8}.exceeded{background:#a5d8ff}
.not_met{background:#ffc9c9}.no_evidence{background:#e9ecef}.unclear{background:#fff3bf}
.src{color:#666;font-size:.85em}"""
    counts = ", ".join(f"{sum(r.verdict == v for r in rows)} {v}" for v in VERDICTS)
    out = [
        f"<!doctype html><html lang='zh'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{style}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p>{html.escape(counts)}</p>",
        "<table><tr><th>indicator</th><th>verdict</th><th>committed (plan)</th>"
        "<th>reported</th></tr>",
    ]
    for r in rows:
        t, a = r.target, r.actual
        target_cell = (
            _marked(t["sentence"], t["sentence_span"], t["span"])
            + f"<div class='src'>{html.escape(t['path'])} {t['span']}</div>"
        )
        actual_cell = (
            "—"
            if a is None
            else _marked(a["sentence"], a["sentence_span"], a["span"])
            + f"<div class='src'>{html.escape(a['path'])} {a['span']}</div>"
        )
        out.append(
            f"<tr><td>{html.escape(r.indicator)}</td>"
            f"<td class='{r.verdict}'><b>{r.verdict}</b><br>{html.escape(r.reason)}</td>"
            f"<td>{target_cell}</td><td>{actual_cell}</td></tr>"
        )
    out.append("</table></body></html>")
    return "\n".join(out)
