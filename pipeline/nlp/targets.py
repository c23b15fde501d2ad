"""Quantitative targets and achieved figures: indicator, comparator, value, unit, kind.

A figure is a number (Arabic, Chinese, 百分之X, or a template blank ``____``) with a unit of
measure from ``pipeline/data/target_units.tsv``. Its comparator comes from the cue words
around it (``pipeline/data/comparators.tsv``), its indicator from the clause before it,
and its kind from the section it stands in: a figure in a report section is an ``actual``,
unless the clause states it as a requirement (``target_cues.tsv``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..rules import load
from .numbers import CN_DIGITS, as_json_number, parse_number

BOUNDARY = re.compile(r"[,;。:!?、\n()“”\"《》]|\s{2,}")
LEAD_WORDS = re.compile(
    r"^(?:其中|并且|并|使|确保|力争|争取|实现|要|将|全年|共|累计|完成|做到|保证|把|对|全院|今年|"
    r"明年|目前|现|已|共计|合计|总计|同时|进一步|切实|努力|力求|保持|以上|通过|和|与|及)+"
)


PER_PERIOD = re.compile(r"每|各")
COUNT_CUE = re.compile(r"不少于|至少|达到|以上|共|累计|新增|增加|完成|每")


@dataclass
class TargetItem:
    start: int
    end: int
    indicator: str
    comparator: str
    value: float | int | None
    value_max: float | int | None
    unit: str
    kind: str
    period: str | None = None


@lru_cache(maxsize=1)
def _units() -> dict[str, tuple[float, str]]:
    return {r["unit"]: (float(r["scale"]), r["base"]) for r in load("target_units.tsv")}


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    units = "|".join(re.escape(u) for u in sorted(_units(), key=len, reverse=True))
    num = rf"(?:\d+(?:\.\d+)?|[{CN_DIGITS}]+(?:点[{CN_DIGITS}]+)?)"
    return re.compile(
        rf"(?<![\d.第每xX_])(?P<pct>百分之)?(?P<n1>{num}|_{{2,}}|[xX]{{1,3}}(?![xX]))"
        rf"(?:\s*(?P<rng>[-—~至到])\s*(?P<n2>{num}))?"
        r"(?P<more>余|多)?(?P<mul>万亿|万|亿|千)?(?P<more2>余|多)?"
        rf"\s*(?P<unit>{units})?"
    )


@lru_cache(maxsize=1)
def _comparators() -> tuple[list[tuple[re.Pattern[str], str]], list[tuple[re.Pattern[str], str]]]:
    before, after = [], []
    for r in load("comparators.tsv"):
        if r["position"] == "before":
            before.append((re.compile(r["pattern"] + r"\s*$"), r["comparator"]))
        else:
            after.append((re.compile("^" + r["pattern"]), r["comparator"]))
    return before, after


@lru_cache(maxsize=1)
def _cues() -> dict[str, re.Pattern[str]]:
    return {r["cue"]: r.regex for r in load("target_cues.tsv")}


def extract(text: str, kind_at, dates: list[tuple[int, int]]) -> list[TargetItem]:
    """Figures in ``text``; ``kind_at(i)`` is the kind (plan/report/…) of the section at ``i``."""
    taken = sorted(dates)
    items = []
    units = _units()
    for m in _pattern().finditer(text):
        n1, unit = m.group("n1"), m.group("unit")
        if m.group("pct"):
            unit = unit or "%"
        if not unit:
            continue
        s, e = m.span()
        if _inside(s, e, taken):
            continue
        if m.group("pct") is None and unit not in ("%", "‰") and _skip(text, e, n1, unit):
            continue
        blank = n1.startswith("_") or n1[0] in "xX"
        value = None if blank else parse_number(n1)
        if value is None and not blank:
            continue
        scale, base = units.get(unit, (1.0, unit))
        if m.group("mul"):
            scale *= {"千": 1e3, "万": 1e4, "亿": 1e8, "万亿": 1e12}[m.group("mul")]
        value_max = parse_number(m.group("n2")) if m.group("n2") else None
        comparator = "range" if value_max is not None else None
        if m.group("more") or m.group("more2"):
            comparator = ">"
        clause_start = _clause_start(text, s)
        before = text[clause_start:s]
        cue_at = s
        kind_here = kind_at(s)
        plan_like = kind_here != "report"
        if comparator is None:
            for pat, comp in _comparators()[0]:
                c = pat.search(before)
                if c:
                    if comp in ("reach", "reach_down"):
                        comp = ("<=" if comp == "reach_down" else ">=") if plan_like else "="
                    comparator = comp
                    cue_at = clause_start + c.start()
                    break
        rest = text[e : e + 4]
        end = e
        for pat, comp in _comparators()[1]:
            c = pat.match(rest)
            if c and (comp != "<=" or c.group() != "内" or unit in ("分钟", "小时", "天", "日")):
                if comparator in (None, "=", ">=", "<=") or comp == "~":
                    comparator = (
                        comp if comparator in (None, "=", ">=") or comp == "~" else comparator
                    )
                end = e + c.end()
                break
        comparator = comparator or "="
        indicator_text = text[clause_start:cue_at]
        lead = LEAD_WORDS.match(indicator_text)
        start = clause_start + (lead.end() if lead else 0)
        indicator = text[start:cue_at].strip()
        if not indicator and start > 0 and text[start - 1] == "(":
            # 排队等待时间(不超过15分钟): the figure in brackets after what it measures
            outer = _clause_start(text, start - 1)
            lead = LEAD_WORDS.match(text[outer : start - 1])
            outer += lead.end() if lead else 0
            if 0 < start - 1 - outer <= 24:
                indicator = text[outer : start - 1]
                start = outer
                close = text.find(")", end, end + 3)
                end = close + 1 if close != -1 else end
        if not indicator:
            after = BOUNDARY.split(text[end : end + 12], 1)[0]
            indicator = after[:8]
            end = (
                end + len(indicator)
                if indicator and not _inside(end, end + len(indicator), taken)
                else end
            )
        if len(indicator) > 24:
            start = cue_at - 24
            indicator = text[start:cue_at]
        kind = "target"
        if not plan_like and not _cues()["target"].search(text[clause_start:end]):
            kind = "actual"
        items.append(
            TargetItem(
                start=start,
                end=end,
                indicator=indicator,
                comparator=comparator,
                value=as_json_number(value * scale) if value is not None else None,
                value_max=as_json_number(value_max * scale) if value_max is not None else None,
                unit=base,
                kind=kind,
            )
        )
    return items


def _inside(s: int, e: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < e and s < b for a, b in spans)


def _skip(text: str, e: int, n1: str, unit: str) -> bool:
    """Counts that structure the text (四个阶段, 一次通过) are not figures."""
    if _cues()["skip"].search(text[e : e + 4]):
        return True
    clause = text[_clause_start(text, e) : e]
    if unit == "次" and PER_PERIOD.search(clause):
        return False  # 每月…报送一次: a count per period is a target
    if n1 in ("一", "两") and unit in ("个", "次", "项", "名", "种", "批", "期", "份", "件"):
        return True
    # 五项制度, 四个全面, 打造四个: small Chinese-numeral counts of things name a structure
    return (not n1[0].isdigit() and unit in ("个", "项", "张", "支", "名")
            and not COUNT_CUE.search(clause))


def _clause_start(text: str, at: int) -> int:
    lo = max(0, at - 40)
    last = lo
    for m in BOUNDARY.finditer(text, lo, at):
        last = m.end()
    return last
