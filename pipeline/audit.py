"""Audit: align each committed target with the figures that report on it, and judge it.

A *plan side* gives the targets, a *report side* the actuals: one mixed document (both
sides), a plan file and a report file, two ``jihua batch`` output folders, or a series of
documents of several years (:func:`audit_series`).

**Commitments for a period.** Every figure is read in its period: the nearest cue before
it in its paragraph, else in its chapter heading, else its document's year
(``pipeline/data/audit_periods.tsv``: 过去一年, 今后五年, “十二五”时期, 到2015年, 今年…).
A figure in a past period is an ``actual`` of that period, whatever section it stands
in (a work report's "过去一年，国内生产总值增长10.3%" is last year's result, not a
target); one in a present or future period is a ``target``. A target is ``annual``
(its year), ``multi_year`` (a yearly average 年均, or a level to reach by a deadline) or
``cumulative`` (a total or change over the whole period: 五年城镇新增就业4500万人). The
same commitment written twice is one row, every mention kept as evidence. Slogans
(三期叠加, 五位一体: ``audit_skip.tsv``) and the ``A`` of ``由A提高到B`` are no figures.

**Matching.** Indicators align by the synonym table ``indicators.tsv`` (国内生产总值增长
= GDP增长 = 经济增长), else by the similarity of their wordings (character bigrams, Dice)
with the same measure head (覆盖率, 排放量…); a table entry marked ``qualified`` (覆盖率,
合格率) also needs the same qualifier (森林 is not 疫苗接种). A target and an actual must
be the same kind of quantity (a change against a change, a level against a level, a flow
against a flow) and of the same period. Two candidate figures that disagree → ``unclear``
with both quoted.

**Verdicts** (tolerances: :data:`DEFAULT_TOLERANCE`, settable):

- a floor (``>=``/``>``: 以上, 不低于, 超过) has no tolerance: above it → ``exceeded``, at
  it → ``met``, below → ``not_met``; a ceiling (``<=``/``<``: 以内, 不超过) mirrors it;
  a ``range`` (6.5%－7%): inside → ``met``, outside by the indicator's direction.
- ``~`` (左右) and a plain figure ``=``: within the tolerance → ``met``, beyond it
  ``exceeded`` or ``not_met`` by the indicator's direction; the tolerance is in
  percentage points for % figures and a share of the target value otherwise.
- ``not_due``: the target's deadline lies after the last year the report covers.
- ``no_evidence``: the report side has no figure for the indicator in the target's period.
- ``unclear``: units that cannot be compared, a blank value, an unknown direction, two
  candidate figures that disagree, or a report that speaks of it only in words.

Every row states the rule that decided it, e.g. ``7.7% against ~7.5%: above by 0.2,
within ±0.3 pp → met``.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import sheets
from .assemble import iter_file
from .batch import read_records
from .nlp.targets import INDICATOR_MAX
from .rules import load

PERCENT_TOLERANCE = 0.3  # percentage points
RELATIVE_TOLERANCE = 0.03  # of the target value, for every other unit
SIMILARITY_FLOOR = 0.5
SIMILARITY_SURE = 0.75  # below it, one wording must contain the other
QUALIFIER_FLOOR = 0.3
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
VERDICTS = ("met", "exceeded", "not_met", "not_due", "no_evidence", "unclear")
JUDGED = ("met", "exceeded", "not_met")
FLOORS, CEILINGS = (">=", ">"), ("<=", "<")
# a % figure after one of these words is a change (增长7%), not a level (覆盖率7%)
CHANGE = re.compile(r"(?:增长|增速|增幅|下降|降低|减少|上涨|涨幅|提高|增加|上升|"
                    r"降幅|减排|压减|缩减)(?:了|约)?$")
# a count or amount after one of these is a flow over its period (新增就业), not a level
FLOW = re.compile(r"新增|累计|减少|增加(?!到|至)|建成|建设|改造|完成|转移|退出|压减|淘汰|解决|"
                  r"脱贫|搬迁|培训|减税|降费|发放|投资|安排|造林|下降|降低")
DURATIONS = ("分钟", "小时", "天", "日", "周", "个月", "岁", "年")
WHOLE_YEAR = re.compile(r"全年|平均")
YEAR_END = re.compile(r"年末|年底|末")
AVERAGE = re.compile(r"年均|平均每年|每年平均|连年|五年总体|多年|一直|历年")
# the A of 由A提高到B is where a change starts, no figure to judge
TO = r"(?:提高|增加|提升|下降|降低|降|增|上升|扩大|减少|缩小|升)[到至]"
BASELINE_AFTER = re.compile(r"^\s*(?:的水平)?" + TO)
# 从去年的2.1%提高到2.3%: the cue dates the start of the change
BASELINE_CUE = re.compile(r"(?:底|末)?的?\s*[\d.]+[^，,。；;]{0,8}?" + TO)
FROM_TO = re.compile(TO)
# a sentence that asks for something: a cue of an earlier sentence does not date it
DIRECTIVE = re.compile(r"把|要|力争|确保|争取|拟|预期|预计|计划")
# link and verb words: an indicator of nothing but these names no measure of its own
LINK_WORDS = re.compile(
    r"比上年|比去年|同比|较上年|上年|全年|增长|增速|增幅|下降|降低|上涨|涨幅|达到|达|为|超过|"
    r"突破|保持在|保持|稳定在|控制在|提高到|提高|分别|以上|左右|实际|年均|名义|约|了|和|、|\s"
)
VERB_TAIL = re.compile(
    r"(?:将|要|拟|预计|力争|确保|分别|年均|实际|名义|比上年|同比|要再|再|继续|均)?"
    r"(?:增长|增速|下降|降低|减少|上涨|涨幅|提高到?|增加到?|达到|达|为|超过|突破|保持在|"
    r"稳定在|控制在|回落到|降到|降至|定为|目标定为|预期目标(?:定为|是|为)?|目标|预期)+$"
)
# characters no phrase starts with: a cut first character or a dangling particle
BAD_START = re.compile(r"^(?:的|之|时期|期间|位|镇|民|为|是|和|及|与|、)")
HARD_BOUNDARY = "，,。；;：:、\n（()）！？!?"
BARE = re.compile(r"^[\u4e00-\u9fff]?[约近超逾]?[\d〇一二三四五六七八九十]")


@dataclass
class Period:
    """When a figure applies: ``kind`` annual | multi_year | cumulative, ``start``–``end``
    years (None where the document gives no year), ``tense`` past (an actual) or future
    (a target), and the words that said so."""

    kind: str = "annual"
    start: int | None = None
    end: int | None = None
    tense: str = "future"
    cue: str | None = None
    cue_span: list[int] | None = None

    def describe(self) -> str:
        if self.end is None:
            return self.kind.replace("_", "-")
        if self.kind == "annual" or self.start in (None, self.end):
            return f"{self.kind.replace('_', '-')} {self.end}"
        return f"{self.kind.replace('_', '-')} {self.start}–{self.end}"


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
    period: Period = field(default_factory=Period)
    quantity: str = "level"
    mentions: list[dict[str, Any]] = field(default_factory=list)
    year: int | None = None


@dataclass
class Row:
    indicator: str
    target: dict[str, Any]
    actual: dict[str, Any] | None
    verdict: str
    reason: str
    match: dict[str, Any] = field(default_factory=dict)
    period: dict[str, Any] = field(default_factory=dict)
    tolerance: dict[str, Any] = field(default_factory=dict)
    report: str | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Tolerance:
    """How far a ``~`` or plain target may be missed and still be met: ``points`` for %
    figures (percentage points), ``share`` of the target value for every other unit."""

    points: float = PERCENT_TOLERANCE
    share: float = RELATIVE_TOLERANCE

    def of(self, target: Figure) -> tuple[float, str]:
        """The tolerance for ``target`` and how it was set, for the reason."""
        if target.unit == "%":
            return self.points, f"±{_fmt(self.points)} pp"
        value = abs(target.value or 0.0)
        return self.share * value, f"±{_fmt(self.share * 100)}% of the target"

    @classmethod
    def parse(cls, specs: Iterable[str]) -> Tolerance:
        """``0.5pp`` sets the points for % figures, ``5%`` the share for others."""
        points, share = PERCENT_TOLERANCE, RELATIVE_TOLERANCE
        for spec in specs:
            s = spec.strip().lower()
            try:
                if s.endswith("pp"):
                    points = float(s[:-2])
                elif s.endswith("%"):
                    share = float(s[:-1]) / 100
                else:
                    raise ValueError
            except ValueError:
                raise ValueError(
                    f"tolerance {spec!r}: write 0.5pp (percentage points, for % figures) "
                    "or 5% (a share of the target value, for other units)") from None
            if points < 0 or share < 0:
                raise ValueError(f"tolerance {spec!r}: must not be negative")
        return cls(points, share)


DEFAULT_TOLERANCE = Tolerance()


@lru_cache(maxsize=1)
def _indicators() -> list[tuple[re.Pattern[str], str, str, str, bool]]:
    return [
        (r.regex, r["id"], r["canonical"], r["direction"], r.fields.get("qualified") == "yes")
        for r in load("indicators.tsv")
    ]


def canonical(indicator: str, text: str = "") -> tuple[str | None, str | None, str | None]:
    """``(id, canonical name, direction)`` of an indicator wording, or Nones."""
    for pattern, rid, name, direction, _ in _indicators():
        if pattern.search(indicator) or (text and pattern.search(text)):
            return rid, name, direction
    return None, None, None


@lru_cache(maxsize=1)
def _period_cues() -> list[tuple[re.Pattern[str], str, str, str, int, str]]:
    return [(r.regex, r["tense"], r["period"], r["years"], int(r["priority"]), r["id"])
            for r in load("audit_periods.tsv")]


@lru_cache(maxsize=1)
def _words_said() -> list[tuple[re.Pattern[str], str]]:
    return [(r.regex, r["verdict"]) for r in load("audit_words.tsv")]


@lru_cache(maxsize=1)
def _skips() -> list[re.Pattern[str]]:
    return [r.regex for r in load("audit_skip.tsv")]


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


def document_year(record: dict[str, Any]) -> int | None:
    """The year a document speaks for: a year file name (2016.txt), else its own year."""
    stem = Path(record["source"]["path"]).stem
    m = re.fullmatch(r"(?:19|20)\d\d", stem) or re.search(r"(?<!\d)(20\d\d)(?!\d)", stem)
    if m:
        return int(m.group(0) if m.re.pattern.startswith("(?:") else m.group(1))
    return record.get("year")


def _plan_years(n: str) -> tuple[int, int]:
    number = 10 + " 一二三四五六七八九".index(n)
    start = 2006 + 5 * (number - 11)
    return start, start + 4


def _cue_period(m: re.Match[str], tense: str, period: str, years: str, y: int | None,
                base: int) -> Period:
    """The period a cue names, read against the document's year ``y``."""
    words, span = m.group(0), [base + m.start(), base + m.end()]
    if years == "plan":
        s, e = _plan_years(m.group("n"))
        t = "past" if y is not None and e < y else "future"
        if tense != "auto":
            t = tense
        return Period("multi_year", s, e, t, words, span)
    if years == "upto":
        d = int(m.group("y"))
        kind = "annual" if y is not None and d <= y else "multi_year"
        return Period(kind, y, d, "future", words, span)
    if years == "year":
        d = int(m.group("y"))
        t = "past" if y is not None and d < y else "future"
        if y is not None and d > y:
            return Period("multi_year", y, d, "future", words, span)
        return Period("annual", d, d, t, words, span)
    if y is None:
        kind = "multi_year" if years in ("last5", "next5") else "annual"
        return Period(kind, None, None, tense, words, span)
    start, end = {
        "prev": (y - 1, y - 1),
        "this": (y, y),
        "next": (y + 1, y + 1),
        "last5": (y - 5, y - 1),
        "next5": (y, y + 4),
    }[years]
    return Period(period if period != "auto" else "annual", start, end, tense, words, span)


def _last_cue(text: str, y: int | None, base: int) -> Period | None:
    """The period named by the last cue in ``text`` (the one nearest its end)."""
    best: tuple[int, int, Period] | None = None
    for pattern, tense, period, years, priority, _ in _period_cues():
        for m in pattern.finditer(text):
            if BASELINE_CUE.match(text[m.end() :]):
                continue  # 从去年的2.1%提高到2.3%: the cue dates the start, not the figure
            key = (m.end(), priority)
            if best is None or key > best[:2]:
                best = (m.end(), priority, _cue_period(m, tense, period, years, y, base))
    return best[2] if best else None


CN = "一二三四五六七八九十"
HEADING = re.compile(rf"^\s*(?:[{CN}]+、|第[{CN}]+[章部分]|[（(][{CN}]+[)）])")


BULLET = re.compile(r"^\s*(?:——|--|－－|[一二三四五六七八九十]是)")
PARAGRAPH_END = "。！？!?：:；;”」"


def _contexts(record: dict[str, Any], y: int | None) -> list[tuple[int, int, Period | None]]:
    """Each paragraph of a document (its span in the record's text; lines wrapped inside a
    sentence are joined) with the period it starts in: its chapter heading's, or, for a
    bullet (——…, 一是…), the one in force at the end of the paragraph before it."""
    text = record["text_original"]
    base = record["span"][0]
    paragraphs: list[list[int]] = []
    pos, open_ = 0, False
    for line in text.split("\n"):
        end = pos + len(line)
        stripped = line.strip()
        if stripped and open_ and not HEADING.match(line):
            paragraphs[-1][1] = end
        elif stripped:
            paragraphs.append([pos, end])
        open_ = bool(stripped) and stripped[-1] not in PARAGRAPH_END and not HEADING.match(line)
        pos = end + 1
    out: list[tuple[int, int, Period | None]] = []
    chapter: Period | None = None
    carry: Period | None = None
    for start, end in paragraphs:
        body = text[start:end]
        if HEADING.match(body) and len(body) <= 60:
            chapter = carry = _last_cue(body, y, base + start)
            out.append((start, end, chapter))
            continue
        # a bullet list under 过去五年/今后五年 stays in those years; an annual cue of the
        # paragraph before (完成了全年目标) does not reach into it
        multi = carry is not None and carry.kind != "annual"
        opening = carry if BULLET.match(body) and multi else chapter
        out.append((start, end, opening))
        carry = _last_cue(body, y, base + start) or opening
    return out


def _phrase(text: str, s: int, e: int, indicator: str) -> int:
    """Where the phrase of a figure starts: a cut first character (民人均… of 城镇居民人均…)
    or a dangling 的/时期 widens it back to the clause start; the tagger's own start
    otherwise."""
    bare = BARE.match(text[s:e])  # 15% of 分别下降23%、15%、18%; 在70%左右
    lo = s
    stops = HARD_BOUNDARY.replace("、", "") if bare else HARD_BOUNDARY
    while lo > 0 and s - lo < 40 and text[lo - 1] not in stops:
        lo -= 1
    while lo < s and (text[lo].isspace() or text[lo] in "—-－"):
        lo += 1
    # the tagger keeps the end of a longer indicator, from a word start (预期目标是… of
    # 我国经济增长预期目标是…): its head is then before the span
    cut = (text.startswith(indicator, s) and s + len(indicator) - lo > INDICATOR_MAX
           and not any(c.isdigit() for c in text[lo:s]))
    if not (cut or len(indicator) >= 24 or BAD_START.match(text[s:e])
            or (s and text[s - 1] == "”") or bare):
        return s
    return lo


def _quantity(indicator: str, text_before: str, unit: str | None) -> str:
    """change (增长7%), flow (新增就业1100万人) or level (覆盖率24.1%, 总值55万亿元)."""
    words = re.sub(r"[\s\d.,，%％]+$", "", indicator)
    if unit == "%":
        tail = re.sub(r"(?:保持在|稳定在|控制在|达到|为|超过|以上|左右|预期目标(?:定为|是|为)?|"
                      r"目标定为|目标|定为|要|将|拟|分别|实际|名义|年均)+$", "", words)
        return "change" if CHANGE.search(tail) else "level"
    if unit in DURATIONS or not unit:
        return "level"  # 等候不超过15分钟: how long, not how much was done
    return "flow" if FLOW.search(text_before[-12:]) else "level"


def figures(records: Iterable[dict[str, Any]], kind: str) -> list[Figure]:
    """The targets (``kind`` target) or actuals (``actual``) of ``records``, each in its
    period, slogans and baselines left out, mentions of one commitment merged."""
    out = []
    for r in records:
        out.extend(f for f in _figures_of(r) if f.kind == kind)
    return dedupe(out)


def _figures_of(r: dict[str, Any]) -> list[Figure]:
    base = r["span"][0]
    text = r["text_original"]
    simplified = r.get("text_simplified") or text
    if len(simplified) != len(text):
        simplified = text
    y = document_year(r)
    lines = _contexts(r, y)
    out = []
    for t in r["targets"]:
        s, e = t["span"][0] - base, t["span"][1] - base
        if any(p.search(simplified[s:e]) for p in _skips()):
            continue
        if BASELINE_AFTER.match(simplified[e : e + 6]):
            continue
        tagged_at = s
        s = _phrase(simplified, s, e, t["indicator"])
        lo = max((text.rfind(c, 0, s) for c in SENTENCE_END), default=-1) + 1
        hi = min(
            (i for i in (text.find(c, e) for c in SENTENCE_END) if i != -1), default=len(text)
        )
        hi = min(hi + 1, len(text))
        while lo < s and text[lo].isspace():
            lo += 1
        while hi > e and text[hi - 1].isspace():
            hi -= 1
        line_start, _, chapter = next((ln for ln in lines if ln[0] <= s <= ln[1]), (0, 0, None))
        # the figure's own number: the cue must stand before it, not inside its phrase
        number_at = s + _value_at(simplified[s:e], t["value"])
        period = _last_cue(simplified[lo:number_at], y, base + lo)
        if period is None and not DIRECTIVE.search(simplified[lo:number_at]):
            period = _last_cue(simplified[line_start:lo], y, base + line_start)
        period = period or chapter
        if period is None:
            past = t["kind"] == "actual"
            if y is None:
                period = Period("annual", None, None, "past" if past else "future")
            elif past:
                period = Period("annual", y, y, "past")  # a 总结 speaks for its own year
            else:
                period = Period("annual", y, y, "future")
        else:
            period = Period(**asdict(period))
        figure_kind = "actual" if period.tense == "past" else "target"
        if period.tense == "future" and t["kind"] == "actual" and period is chapter:
            figure_kind = "actual"  # a report section under a plan heading keeps the tagger's word
        indicator = simplified[s:tagged_at] + t["indicator"]  # with what widening put back
        indicator = _respectively(simplified, lo, number_at, indicator)
        own = LINK_WORDS.sub("", re.sub(r"[\d.%％]+", "", indicator))
        listed = "分别" in simplified[lo:number_at]  # the phrase may name the other subjects
        rid, name, direction = canonical(indicator, "" if listed else simplified[s:e])
        if rid is None and len(own) < 2:  # 国内生产总值达到39.8万亿元,比上年增长10.3%
            rid, name, direction = canonical(_subject(_lead_in(text, s) + indicator))
        before = simplified[lo:number_at]
        quantity = _quantity(simplified[s:number_at], before, t["unit"])
        if quantity == "level" and name:  # 国内生产总值增长…为6%以上: the table's name says
            quantity = _quantity(name, before, t["unit"])
        clause = simplified[max(lo, number_at - 30) : number_at]
        if period.kind == "annual" and AVERAGE.search(clause):
            period.kind, period.start = "multi_year", None  # 年均1270多万人: no one year's figure
        elif period.kind != "annual":
            if AVERAGE.search(clause):
                period.kind = "multi_year"
            elif quantity in ("change", "flow"):
                period.kind = "cumulative"
            else:
                period.kind = "multi_year"
        if period.kind != "annual" and period.end is not None and period.start is None:
            period.start = y
        phrase = simplified[s:e]
        f = Figure(
            indicator=indicator or (name or ""),
            comparator=t["comparator"],
            value=t["value"],
            value_max=t["value_max"],
            unit=t["unit"],
            kind=figure_kind,
            text=phrase,
            span=[base + s, t["span"][1]],
            path=r["source"]["path"],
            sentence=text[lo:hi],
            sentence_span=[base + lo, base + hi],
            canonical=rid,
            direction=direction,
            period=period,
            quantity=quantity,
            year=y,
        )
        _range(f)
        f.mentions = [_mention(f)]
        out.append(f)
    # 国内生产总值增长6.5%－7% read also as 国内生产总值增长6.5%: the part inside the whole goes
    return [f for f in out if not any(
        g is not f and g.comparator == "range" and g.span[0] <= f.span[0]
        and f.span[1] <= g.span[1] and (g.span[1] - g.span[0]) > (f.span[1] - f.span[0])
        for g in out)]


RANGE = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]\s*[-－—~～至到]\s*(\d+(?:\.\d+)?)\s*[%％]")


def _range(f: Figure) -> None:
    """6.5%－7%: a range whose first bound carries its own % sign."""
    m = RANGE.search(f.text)
    if m and f.unit == "%" and f.comparator != "range":
        low, high = float(m.group(1)), float(m.group(2))
        if low < high and f.value in (low, high):
            f.comparator, f.value, f.value_max = "range", low, high


def _respectively(text: str, lo: int, at: int, indicator: str) -> str:
    """单位国内生产总值能耗和二氧化碳排放分别降低16%和17%: the n-th figure measures the
    n-th subject. Where subjects and figures do not pair up, the list is left whole (and
    matches only what names the same list)."""
    k = text.rfind("分别", lo, at)
    if k == -1:
        return indicator
    start = max(text.rfind(c, lo, k) for c in "，,；;：:") + 1
    start = max(start, lo)
    subjects = [x for x in re.split(r"[和、与及]", text[start:k]) if x]
    verb = re.split(r"[\d]", text[k + 2 : at + 1])[0]
    end = min((i for i in (text.find(c, at) for c in "，,。；;") if i != -1), default=len(text))
    numbers = [m.start() + k for m in re.finditer(r"\d+(?:\.\d+)?", text[k:end])
               if not text[k + m.end() : k + m.end() + 1] == "年"]
    if at not in numbers or len(numbers) != len(subjects):
        return indicator
    return subjects[numbers.index(at)] + verb


def _value_at(phrase: str, value: float | None = None) -> int:
    """Where the figure's own number starts in its phrase: the one that gives its value,
    else not a year (2015年国内生产总值…), not a numeral inside a word (二氧化碳, 五年), the
    B of 由A提高到B."""
    arabic = [m for m in re.finditer(r"\d+(?:\.\d+)?|_{2,}", phrase)
              if not phrase[m.end() :].startswith("年")]
    if value is not None:
        same = [m for m in arabic if m.group()[0].isdigit() and any(
            abs(float(m.group()) * k - value) <= 1e-9 * max(1.0, abs(value))
            for k in (1, 1e3, 1e4, 1e8, 1e12))]
        if same:
            return same[-1].start()
    if arabic:
        last = arabic[-1]
        return last.start() if FROM_TO.search(phrase[: last.start()]) else arabic[0].start()
    chinese = [m for m in re.finditer(r"[〇零一二两三四五六七八九十百千万亿]+", phrase)
               if not phrase[m.end() :].startswith("年")]
    return chinese[-1].start() if chinese else len(phrase)


def _mention(f: Figure) -> dict[str, Any]:
    return {"text": f.text, "span": f.span, "path": f.path, "sentence": f.sentence,
            "sentence_span": f.sentence_span}


def _measure(f: Figure) -> str:
    """What a figure measures, its verbs and link words removed: the key of a commitment."""
    if f.canonical:
        return f.canonical
    words = VERB_TAIL.sub("", re.sub(r"[\s\d.%％]+", "", f.indicator))
    return LINK_WORDS.sub("", words) or f.indicator


def dedupe(items: list[Figure]) -> list[Figure]:
    """One figure per commitment (same measure, comparator, value, unit and period), in
    the order of first mention, every later mention kept in ``mentions``."""
    seen: dict[tuple[Any, ...], Figure] = {}
    out = []
    for f in items:
        key = (f.path, _measure(f), f.comparator, f.value, f.value_max, f.unit, f.period.kind,
               f.period.end, f.quantity)
        if key in seen:
            seen[key].mentions.append(_mention(f))
            continue
        seen[key] = f
        out.append(f)
    return out


VERDICT_WORDS = re.compile(r"目标|完成|实现|未能|没有|保持|稳定|下降|上涨|回落")
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


def qualitative(records: Iterable[dict[str, Any]],
                rid: str) -> tuple[str, list[int], str] | None:
    """A report-part sentence that names the indicator without any figure (the one that
    says most about a result), its span and file, if there is one."""
    from .normalize import to_simplified

    pattern = next(p for p, i, _, _, _ in _indicators() if i == rid)
    found = []
    for r in records:
        base, original = r["span"][0], r["text_original"]
        for sec in r["sections"]:
            if sec["kind"] != "report" or sec["parent"] is not None:
                continue
            a, b = sec["span"][0] - base, sec["span"][1] - base
            simp = to_simplified(original[a:b])
            for m in re.finditer(r"[^。;；!?！？\n]+", simp):
                if pattern.search(m.group()) and not re.search(r"\d", m.group()):
                    words = m.group()
                    lead = len(words) - len(words.lstrip())
                    tail = len(words.rstrip())
                    found.append((words.strip(), [base + a + m.start() + lead,
                                                  base + a + m.start() + tail],
                                  r["source"]["path"]))
    # 预期增长目标未能实现 says more than 清理规范进出口环节收费
    if not found:
        return None
    best = max(found, key=lambda f: len(set(VERDICT_WORDS.findall(f[0]))))
    return best[0], best[1], best[2]


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


def judge(target: Figure, actual: Figure | None,
          tolerance: Tolerance = DEFAULT_TOLERANCE) -> tuple[str, str]:
    """The verdict on one target, and the rule that decided it."""
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
    unit = target.unit or ""
    comp = target.comparator
    direction = target.direction or {">=": "higher", ">": "higher", "<=": "lower",
                                     "<": "lower"}.get(comp)
    lo = hi = target.value
    if comp == "range" and target.value_max is not None:
        hi = target.value_max
    shown = f"{_fmt(got)}{unit} against {_describe(target)}"
    eps = 1e-9 * max(1.0, abs(lo), abs(hi))

    def by(x: float) -> str:
        return f"{_fmt(abs(x))}{' pp' if unit == '%' else unit}"

    no_tol = "has no tolerance"
    if comp in FLOORS:
        if got > lo + eps:
            return _said(shown, f"above the floor by {by(got - lo)}, a floor {no_tol}", "exceeded")
        if got >= lo - eps:
            return _said(shown, "at the floor", "met")
        return _said(shown, f"below the floor by {by(lo - got)}, a floor {no_tol}", "not_met")
    if comp in CEILINGS:
        if got < hi - eps:
            return _said(shown, f"under the ceiling by {by(hi - got)}, a ceiling {no_tol}",
                         "exceeded")
        if got <= hi + eps:
            return _said(shown, "at the ceiling", "met")
        return _said(shown, f"above the ceiling by {by(got - hi)}, a ceiling {no_tol}", "not_met")
    if comp == "range" and target.value_max is not None:
        if lo - eps <= got <= hi + eps:
            return _said(shown, "inside the range", "met")
        off = got - hi if got > hi else lo - got
        side = "above" if got > hi else "below"
        if direction is None:
            return _said(shown, f"{side} the range by {by(off)}, and the indicator has no "
                         "known direction", "unclear")
        better = (got > hi) == (direction == "higher")
        verdict = "exceeded" if better else "not_met"
        return _said(shown, f"{side} the range by {by(off)}, "
                     f"{'better' if better else 'worse'} for a {direction}-is-better indicator",
                     verdict)
    tol, how = tolerance.of(target)
    diff = got - lo
    side = "above" if diff > 0 else "below"
    if abs(diff) <= tol + eps:
        said = "on target" if abs(diff) <= eps else f"{side} by {by(diff)}"
        return _said(shown, f"{said}, within {how}", "met")
    if direction is None:
        return _said(shown, f"{side} by {by(diff)}, beyond {how}, and the indicator has no "
                     "known direction", "unclear")
    better = (diff > 0) == (direction == "higher")
    verdict = "exceeded" if better else "not_met"
    return _said(shown, f"{side} by {by(diff)}, beyond {how}, "
                 f"{'better' if better else 'worse'} for a {direction}-is-better indicator",
                 verdict)


def _said(shown: str, rule: str, verdict: str) -> tuple[str, str]:
    return verdict, f"{shown}: {rule} → {verdict}"


def _fmt(x: float) -> str:
    return f"{x:,.6g}" if abs(x) < 1e6 else f"{x:,.0f}"


def _describe(t: Figure) -> str:
    sign = {"~": "~", "=": "", ">=": "floor ", ">": "floor (over) ", "<=": "ceiling ",
            "<": "ceiling (under) "}.get(t.comparator, t.comparator + " ")
    if t.comparator == "range" and t.value_max is not None:
        return f"range {_fmt(t.value or 0)}–{_fmt(t.value_max)}{t.unit or ''}"
    return f"{sign}{_fmt(t.value or 0)}{t.unit or ''}"


def _qualifier(f: Figure) -> str:
    """The words before a qualified measure head (森林 of 森林覆盖率)."""
    for pattern, rid, _, _, qualified in _indicators():
        if rid == f.canonical and qualified:
            m = pattern.search(f.indicator) or pattern.search(f.text)
            src = f.indicator if pattern.search(f.indicator) else f.text
            if m:
                q = re.sub(r"[\d.%％\s]+", "", src[: m.start()])
                return LINK_WORDS.sub("", q)[-8:]
    return ""


def _words(indicator: str) -> str:
    """An indicator's words without years, figures, modal words and verbs."""
    w = re.sub(r"\d{4}年(?:底|末)?|[\s\d.%％]+", "", indicator)
    w = re.sub(r"(?:将|要|拟|预计|力争|确保|争取|继续|再)+$", "", w)
    return LINK_WORDS.sub("", VERB_TAIL.sub("", w))


def _head(words: str) -> str:
    """The measure head of a wording: its last two characters once verbs are gone."""
    return _words(words)[-2:]


def _same_measure(t: Figure, a: Figure) -> tuple[float, str] | None:
    """How well two figures name the same measure (score, how), or None."""
    if t.canonical or a.canonical:
        if t.canonical != a.canonical:
            return None  # the table knows one of them, and they differ
        qt, qa = _qualifier(t), _qualifier(a)
        if qt and qa and qt not in qa and qa not in qt and similarity(qt, qa) < QUALIFIER_FLOOR:
            return None  # 森林覆盖率 is not 疫苗接种覆盖率
        return 1.0, "synonym"
    s = similarity(t.indicator, a.indicator)
    wt, wa = _words(t.indicator), _words(a.indicator)
    if s < SIMILARITY_FLOOR or (s < SIMILARITY_SURE and wt not in wa and wa not in wt):
        return None  # 大型商业银行…贷款 is not 银行业金融机构…贷款
    ht, ha = _head(t.indicator), _head(a.indicator)
    if not ht or ht != ha:
        return None
    return s, "similarity"


def _same_period(t: Figure, a: Figure) -> bool:
    if t.period.end is not None and a.period.end is not None and t.period.end != a.period.end:
        return False
    if t.period.kind == "annual" and a.period.kind != "annual":
        return False  # 粮食产量连年稳定在…: no one year's figure
    if t.quantity == "level":
        return True
    return t.period.kind == a.period.kind


def candidates(t: Figure, actuals: list[Figure]) -> list[tuple[float, str, Figure]]:
    """The actuals that measure what ``t`` measures, in its period, best first."""
    out = []
    whole = WHOLE_YEAR.search(t.text)
    for a in actuals:
        same = _same_measure(t, a)
        if same is None or a.quantity != t.quantity or not _same_period(t, a):
            continue
        if whole and YEAR_END.search(a.text):
            continue  # 全年控制在5.5%以内 is not shown by 年末…降到5.5%
        score, how = same
        if convert(1.0, a.unit, t.unit) is None:
            score -= 0.5  # a figure in another unit comes last
        out.append((score, how, a))
    out.sort(key=lambda c: -c[0])
    return out


def align(
    targets: list[Figure], actuals: list[Figure]
) -> list[tuple[Figure, Figure | None, dict[str, Any]]]:
    """Each target with its best actual (or None) and how they were matched; where two
    equally good figures disagree, ``match['others']`` quotes the rest."""
    out = []
    for t in targets:
        found = candidates(t, actuals)
        if not found:
            near: dict[str, Any] = {"how": None, "score": 0.0}
            if WHOLE_YEAR.search(t.text):
                ends = candidates(replace(t, text=""), actuals)
                if ends:
                    near["year_end"] = _side(ends[0][2])
            out.append((t, None, near))
            continue
        score, how, best = found[0]
        match: dict[str, Any] = {"how": how, "score": round(min(score, 1.0), 3)}
        rivals = [a for s, _, a in found[1:] if s >= score - 1e-9 and _disagree(best, a, t)]
        if rivals:
            match["others"] = [_side(a) for a in rivals]
        out.append((t, best, match))
    return out


def _disagree(a: Figure, b: Figure, t: Figure) -> bool:
    va, vb = a.value, b.value
    if va is None or vb is None:
        return va != vb
    ca, cb = convert(va, a.unit, t.unit), convert(vb, b.unit, t.unit)
    if ca is None or cb is None:
        return False
    return abs(ca - cb) > 1e-9 * max(1.0, abs(ca))


def _side(f: Figure) -> dict[str, Any]:
    return {
        "text": f.text,
        "span": f.span,
        "comparator": f.comparator,
        "value": f.value,
        "value_max": f.value_max,
        "unit": f.unit,
        "path": f.path,
        "sentence": f.sentence,
        "sentence_span": f.sentence_span,
        "canonical": f.canonical,
        "period": asdict(f.period),
        "quantity": f.quantity,
    }


def covered_year(actuals: Sequence[Figure]) -> int | None:
    """The last year a report side reports on: the most frequent end year of its actuals."""
    years = Counter(a.period.end for a in actuals if a.period.end is not None)
    if not years:
        return None
    top = max(years.values())
    return max(y for y, n in years.items() if n == top)


def _row(t: Figure, a: Figure | None, match: dict[str, Any], verdict: str, reason: str,
         tol: Tolerance, report: str | None) -> Row:
    used: dict[str, Any] = {"rule": "none"}
    if verdict in JUDGED or (a is not None and verdict == "unclear"):
        if t.comparator in FLOORS or t.comparator in CEILINGS or t.comparator == "range":
            used = {"rule": "bound", "value": 0, "unit": None}
        else:
            v, how = tol.of(t)
            used = {"rule": how, "value": v, "unit": "pp" if t.unit == "%" else t.unit}
    return Row(
        indicator=t.indicator,
        target={**_side(t), "kind": t.kind},
        actual=None if a is None else _side(a),
        verdict=verdict,
        reason=reason,
        match=match,
        period={"kind": t.period.kind, "start": t.period.start, "deadline": t.period.end,
                "cue": t.period.cue},
        tolerance=used,
        report=report,
        evidence=t.mentions,
    )


def judge_all(targets: list[Figure], actuals: list[Figure], report_records: list[dict[str, Any]],
              tolerance: Tolerance = DEFAULT_TOLERANCE, report: str | None = None,
              covered: int | None = None) -> list[Row]:
    """Rows for ``targets`` against the ``actuals`` of one report side."""
    if covered is None:
        covered = covered_year(actuals)
    rows = []
    for t, a, match in align(targets, actuals):
        deadline = t.period.end
        if covered is not None and deadline is not None and deadline > covered:
            span = t.period.describe()
            cue = t.period.cue or "the document year"
            rows.append(_row(t, None, {"how": None, "score": 0.0}, "not_due",
                             f"deadline {deadline} ({span}, from “{cue}”) lies after "
                             f"{covered}, the last year the report covers → not_due",
                             tolerance, report))
            continue
        if a is not None and match.get("others"):
            quotes = "; ".join(f"“{o['text']}”" for o in [_side(a), *match["others"]])
            verdict, reason = "unclear", f"two figures in the report disagree: {quotes} → unclear"
        else:
            verdict, reason = judge(t, a, tolerance)
            if a is None:
                want = f"{t.period.describe()} {t.quantity}"
                reason = (f"the report states no {want} figure for {_measure(t)}"
                          + (f" (it covers {covered})" if covered is not None else "")
                          + " → no_evidence")
        if a is None and match.get("year_end"):
            end = match["year_end"]
            reason = (f"for a whole-year target the report gives only a year-end reading: "
                      f"“{end['text']}” → no_evidence")
        elif a is None and t.canonical and (said := qualitative(report_records, t.canonical)):
            verdict = next((v for p, v in _words_said() if p.search(said[0])), "unclear")
            if verdict == "unclear":
                reason = f"the report speaks of it only in words: “{said[0][:60]}” → unclear"
            else:
                reason = (f"no figure, but the report says in words that the target was missed: "
                          f"“{said[0][:60]}” → {verdict}")
            match = {"how": "words", "score": None, "sentence": said[0], "span": said[1],
                     "path": said[2]}
        row = _row(t, a, match, verdict, reason, tolerance, report)
        if match.get("how") == "words":  # the sentence is the evidence: quote it with its span
            sentence, span = match["sentence"], match["span"]
            row.actual = {"text": sentence, "span": span, "comparator": None, "value": None,
                          "value_max": None, "unit": None, "path": match.get("path"),
                          "sentence": sentence, "sentence_span": span, "canonical": t.canonical,
                          "period": None, "quantity": None}
        rows.append(row)
    return rows


def audit(plan: str | Path, report: str | Path | None = None,
          tolerance: Tolerance = DEFAULT_TOLERANCE) -> list[Row]:
    """Rows of the audit of ``plan`` against ``report`` (or of one mixed document)."""
    plan_records = load_side(plan)
    report_records = load_side(report) if report is not None else plan_records
    targets = figures(plan_records, "target")
    actuals = figures(report_records, "actual")
    covered = covered_year(actuals)
    if report is None:
        covered = None  # one mixed document: its plan part may be for the next year
        years = {t.period.end for t in targets if t.period.kind == "annual"}
        for a in actuals:  # the report part of a mixed document speaks for that year
            if a.period.kind == "annual" and len(years) == 1 and a.period.cue is None:
                a.period.end = a.period.start = next(iter(years))
    return judge_all(targets, actuals, report_records, tolerance,
                     str(report) if report is not None else str(plan), covered)


def audit_series(inputs: Sequence[str | Path],
                 tolerance: Tolerance = DEFAULT_TOLERANCE) -> list[Row]:
    """Plans and reports of several years: each target judged against the document that
    reports on its deadline year (an annual target of 2011 against the 2012 report, a goal
    set in 2011 for 2015 against the 2016 report)."""
    docs: list[tuple[int | None, str, list[dict[str, Any]]]] = []
    for p in inputs:
        path = Path(p)
        batch = (path / "documents.jsonl").is_file()
        files = sorted(path.glob("*.txt")) if path.is_dir() and not batch else [path]
        for f in files:
            records = load_side(f)
            groups: dict[str, list[dict[str, Any]]] = {}
            for r in records:
                groups.setdefault(r["source"]["path"], []).append(r)
            for source, recs in groups.items():
                docs.append((document_year(recs[0]), source, recs))
    docs.sort(key=lambda d: (d[0] is None, d[0] or 0, d[1]))
    sides = []
    for y, source, recs in docs:
        targets = figures(recs, "target")
        actuals = figures(recs, "actual")
        sides.append((y, source, recs, targets, actuals, covered_year(actuals)))
    last = max((c for *_, c in sides if c is not None), default=None)
    rows: list[Row] = []
    for _, source, _, targets, _, _ in sides:
        for t in targets:
            d = t.period.end
            reports = [s for s in sides if s[1] != source and d is not None and s[5] is not None
                       and s[5] >= d and any(a.period.end == d for a in s[4])]
            if not reports:
                if d is not None and last is not None and d > last:
                    reason = (f"deadline {d} ({t.period.describe()}) lies after {last}, the last "
                              "year any report of the series covers → not_due")
                    rows.append(_row(t, None, {"how": None, "score": 0.0}, "not_due", reason,
                                     tolerance, None))
                else:
                    what = f"no report of the series covers {d}" if d else "the target has no year"
                    rows.append(_row(t, None, {"how": None, "score": 0.0}, "no_evidence",
                                     f"{what} → no_evidence", tolerance, None))
                continue
            # the first report that covers the deadline year and has a figure for it
            chosen = None
            for s in sorted(reports, key=lambda s: s[0] or 0):
                row = judge_all([t], s[4], s[2], tolerance, s[1], d)[0]
                if chosen is None or (chosen.verdict in ("no_evidence", "unclear")
                                      and row.verdict not in ("no_evidence", "unclear")):
                    chosen = row
                if row.verdict not in ("no_evidence", "unclear"):
                    break
            assert chosen is not None
            rows.append(chosen)
    return rows


def to_json(rows: list[Row]) -> str:
    return json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2)


ROW_COLUMNS = [
    "indicator", "verdict", "target_text", "comparator", "value", "value_max", "unit",
    "actual_text", "actual_value", "actual_unit", "reason", "match", "target_path",
    "target_span", "actual_path", "actual_span", "period", "period_start", "deadline",
    "period_cue", "tolerance", "report", "mentions",
]
EVIDENCE_COLUMNS = ["row", "indicator", "verdict", "side", "text", "path", "span", "sentence"]


def _cells(r: Row) -> list[Any]:
    a = r.actual or {}
    return [
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
        r.period.get("kind"),
        r.period.get("start"),
        r.period.get("deadline"),
        r.period.get("cue"),
        r.tolerance.get("rule"),
        r.report,
        len(r.evidence) or 1,
    ]


def _evidence(rows: list[Row]) -> list[list[Any]]:
    """Every quote a row stands on: each mention of the target, the actual, rival figures."""
    out = []
    for n, r in enumerate(rows, 1):
        mentions = r.evidence or [r.target]
        for m in mentions:
            out.append([n, r.indicator, r.verdict, "target", m["text"], m["path"],
                        "{}-{}".format(*m["span"]), m["sentence"]])
        for side, f in [("actual", r.actual), *(("rival", o) for o in r.match.get("others", []))]:
            if f:
                out.append([n, r.indicator, r.verdict, side, f["text"], f["path"],
                            "{}-{}".format(*f["span"]), f["sentence"]])
    return out


def to_csv(rows: list[Row]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(ROW_COLUMNS)
    for r in rows:
        w.writerow(_cells(r))
    return buf.getvalue()


def to_xlsx(rows: list[Row], path: str | Path) -> None:
    """A workbook with a sheet of rows and a sheet of the evidence (every quote, with its
    file and span)."""
    sheets.write(path, [("rows", ROW_COLUMNS, (_cells(r) for r in rows)),
                        ("evidence", EVIDENCE_COLUMNS, _evidence(rows))])


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


def _when(r: Row) -> str:
    """The period, report and mentions of a row, in a few words."""
    p = r.period
    words = [p.get("kind") or ""]
    if p.get("deadline") is not None:
        words.append(f"deadline {p['deadline']}")
    if r.report:
        words.append(f"report {Path(r.report).name}")
    if len(r.evidence) > 1:
        words.append(f"{len(r.evidence)} mentions")
    return ", ".join(w for w in words if w)


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
.not_due{background:#e5dbff}
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
            f"<td class='{r.verdict}'><b>{r.verdict}</b><br>{html.escape(r.reason)}"
            f"<div class='src'>{html.escape(_when(r))}</div></td>"
            f"<td>{target_cell}</td><td>{actual_cell}</td></tr>"
        )
    out.append("</table></body></html>")
    return "\n".join(out)
