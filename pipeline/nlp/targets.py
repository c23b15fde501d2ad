"""Quantitative targets and achieved figures: indicator, comparator, value, unit, kind, period.

A figure is a number (Arabic, Chinese, 百分之X, or a template blank ``____``) with a unit of
measure from ``pipeline/data/target_units.tsv``; a unit not written is inferred from the
counted noun (``target_words.tsv``: 总人口36.57万 is 365700 人), and multiples, fractions
and zero changes in words (翻两番, 过半, 案件零增加) are figures too. Its comparator comes from
the cue words around it (``comparators.tsv``) or from what it is called (a quota, a
standard: ``target_cues.tsv``); its indicator from the clause before it; its kind from the
section it stands in: a figure in a report section is an ``actual``, unless the clause
states it as a requirement.

The span runs from the indicator (or from the period word of a count: 每半个月…报送一次)
to the value with its comparator words and unit, within one clause; leading adverbs and
modals (确保, 其中, 共) stay out, and a cut is only ever made between words. A change figure
and its baseline are two items (较去年同期120.74 | 下降5.99); two indicators that share a
figure (参考率和合格率均达100%) and the parts of a distributive 各 (检验科、放射科各1名) give one
target each. Counts that name a reference group or a structure (首批2家…之一, 以3家…为中心)
are not figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..rules import load
from .numbers import CN_DIGITS, as_json_number, parse_number
from .tokenizer import cut

BOUNDARY = re.compile(r"[,;。:!?、\n()“”\"《》]|\s{2,}")
# whole words (jieba tokens) that stand before an indicator and are not part of it
LEAD_TOKENS = frozenset(
    "其中 并且 并 使 确保 力争 争取 要 将 共 共计 合计 总计 累计 目前 现 已 已经 同时 进一步 "
    "切实 努力 力求 保证 以上 和 与 及 还 也 均 都 再 又 另 另外 此外 截至 截止 的 各 "
    "计划 拟".split()
)
ENUMERATOR = re.compile(r"^[一二三四五六七八九十]是")
# the longest indicator kept whole; a longer one keeps its end, from a word start
INDICATOR_MAX = 32
PER_PERIOD = re.compile(r"每|各")
COUNT_CUE = re.compile(r"不少于|至少|达到|以上|共|累计|新增|增加|完成|每|选送|选派|招聘|引进")
COUNT_UNITS = frozenset("次 期 场 轮 回 遍 篇 人次".split())
CHANGE = re.compile(r"(?P<verb>上升|下降|增长|减少|提高|降低|增加)了?\s*")
BASELINE = re.compile(r"(?<![之占对])(?:较|比)(?![例重率值])(?P<ref>[\u4e00-\u9fff_xX\d]{1,10}?)$")
NOT_REFERENCE = re.compile(
    r"下降|上升|增长|减少|提高|降低|增加|达|到|为|是|超过|突破|高于|低于|不|控制"
)
# the verb alone, with the counted noun after the figure: 选送40名临床医生, 编印了12种资料
VERB_ONLY = re.compile(
    r"^[\u4e00-\u9fff]{0,4}?(?:了|有)$|^(?:选送|选派|招聘|引进|新增|新建|设立|组建|成立|培养|派出|送)$"
)
UNITLESS = re.compile(r"(?:比|指数|系数)$")
SHARED = re.compile(r"\s*(?:和|与|及|、|或)?\s*")


@dataclass
class TargetItem:
    start: int
    end: int
    indicator: str
    comparator: str
    value: float | int | None
    value_max: float | int | None
    unit: str | None
    kind: str
    period: str | None = None


@dataclass(frozen=True)
class DateSpan:
    """What the target tagger needs of a date item."""

    start: int
    end: int
    type: str = "point"
    value: str | None = None

    @property
    def is_period(self) -> bool:
        return self.type == "recurrence" or (self.type == "part_of_year" and self.value is not None)


@lru_cache(maxsize=1)
def _units() -> dict[str, tuple[float, str]]:
    return {r["unit"]: (float(r["scale"]), r["base"]) for r in load("target_units.tsv")}


@lru_cache(maxsize=1)
def _words() -> dict[str, dict[str, tuple[str, str, str]]]:
    out: dict[str, dict[str, tuple[str, str, str]]] = {}
    for r in load("target_words.tsv"):
        out.setdefault(r["form"], {})[r["word"]] = (r["comparator"], r["value"], r["unit"])
    return out


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    units = "|".join(re.escape(u) for u in sorted(_units(), key=len, reverse=True))
    # 8,600 and 1,200万: a comma between groups of three digits is a thousands separator
    num = (
        rf"(?:\d{{1,3}}(?:,\d{{3}})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?"
        rf"|[{CN_DIGITS}]+(?:点[{CN_DIGITS}]+)?)"
    )
    return re.compile(
        rf"(?<![\d.第每xX_])(?P<pct>百分之)?(?P<n1>{num}|_{{2,}}|[xX]{{1,3}}(?![xX]))"
        # 6.5%－7%: a range of percentages may write its unit after both figures
        rf"(?:[%％](?=\s*[-—－~～至到]\s*{num}\s*[%％]))?"
        rf"(?:\s*(?P<rng>[-—－~～至到])\s*(?P<n2>{num}))?"
        r"(?P<more>余|多)?(?P<mul>万亿|万|亿|千)?(?P<more2>余|多)?"
        rf"\s*(?P<unit>{units})?"
    )


@lru_cache(maxsize=1)
def _word_pattern() -> re.Pattern[str]:
    """翻两番, 过半, 零增加: figures written in words (and sayings that only look like one)."""
    forms = ("multiple", "fraction", "zero", "idiom")
    words = [w for form in forms for w in _words().get(form, {})]
    alts = []
    for w in sorted(words, key=len, reverse=True):
        # 翻了两番: the aspect particle may follow 翻
        alts.append(re.escape(w[0]) + "了?" + re.escape(w[1:]) if w.startswith("翻") else
                    re.escape(w))
    events = "|".join(
        re.escape(w) for w in sorted(_words().get("event", {}), key=len, reverse=True)
    )
    # 零死亡, 零重大责任事故: zero of an event that must not happen (not 零星, 零售)
    alts.append(rf"零(?![星散售件钱部])[\u4e00-\u9fff]{{0,6}}?(?:{events})")
    return re.compile("(?P<word>" + "|".join(alts) + ")")


@lru_cache(maxsize=1)
def _comparators() -> tuple[list[tuple[re.Pattern[str], str]], list[tuple[re.Pattern[str], str]]]:
    before, after = [], []
    for r in load("comparators.tsv"):
        if r["position"] == "before":
            # 突破了招聘总量的30%: an aspect particle and a short "of what" may follow the cue;
            # 至少组织1次: a minimum or a maximum may also stand before a short verb
            gap = r"了?(?:[\u4e00-\u9fff]{1,6}的)?"
            if r["comparator"] in (">=", "<="):
                gap = r"了?(?:[\u4e00-\u9fff]{1,6}的|[\u4e00-\u9fff]{1,2})?"
            before.append((re.compile(r["pattern"] + gap + r"\s*$"), r["comparator"]))
        else:
            after.append((re.compile("^" + r["pattern"]), r["comparator"]))
    return before, after


@lru_cache(maxsize=1)
def _cues() -> dict[str, re.Pattern[str]]:
    return {r["cue"]: r.regex for r in load("target_cues.tsv")}


def _as_dates(dates: Sequence[tuple]) -> list[DateSpan]:
    return sorted((DateSpan(*d) for d in dates), key=lambda d: (d.start, d.end))


def extract(
    text: str, kind_at: Callable[[int], str], dates: Sequence[tuple]
) -> list[TargetItem]:
    """Figures in ``text``; ``kind_at(i)`` is the kind (plan/report/…) of the section at ``i``;
    ``dates`` are ``(start, end)`` or ``(start, end, type, value)`` of the date items."""
    spans = _as_dates(dates)
    taken = [(d.start, d.end) for d in spans]
    items: list[TargetItem] = []
    last: TargetItem | None = None
    for m in _pattern().finditer(text):
        item = _figure(m, text, kind_at, spans, taken, last)
        if item is None:
            continue
        found = _split(item, text)
        items.extend(found)
        last = found[-1]
    worded_end = 0
    for m in _word_pattern().finditer(text):
        if not _inside(m.start(), m.end(), [(t.start, t.end) for t in items]):
            item = _worded(m, text, kind_at, spans, worded_end)
            if item is not None:
                items.append(item)
                worded_end = item.end
    items.sort(key=lambda t: (t.start, t.end))
    return items


def _figure(
    m: re.Match[str],
    text: str,
    kind_at: Callable[[int], str],
    dates: list[DateSpan],
    taken: list[tuple[int, int]],
    last: TargetItem | None,
) -> TargetItem | None:
    n1, unit = m.group("n1"), m.group("unit")
    s, e = m.span()
    if m.group("pct"):
        unit = unit or "%"
    while e > s and text[e - 1].isspace():
        e -= 1
    if _inside(s, e, taken):
        return None
    clause_start = _clause_start(text, s)
    before = text[clause_start:s]
    baseline = BASELINE.search(before)
    if baseline is not None and NOT_REFERENCE.search(baseline.group("ref")):
        baseline = None
    # 较去年同期84.93%上升0.02: a change written right after its baseline
    change = CHANGE.fullmatch(text[last.end : s]) if last is not None and last.end < s else None
    if not unit:
        unit = _unit_without_word(m, before, baseline, change, last)
        if unit is None:
            return None
        unit = unit or None
    if unit and m.group("pct") is None and unit not in ("%", "‰"):
        if _skip(text, s, e, n1, unit, dates):
            return None
    blank = n1.startswith("_") or n1[0] in "xX"
    value = None if blank else parse_number(n1)
    if value is None and not blank:
        return None
    scale, base = _units().get(unit, (1.0, unit)) if unit else (1.0, None)
    if m.group("mul"):
        scale *= {"千": 1e3, "万": 1e4, "亿": 1e8, "万亿": 1e12}[m.group("mul")]
    value_max = parse_number(m.group("n2")) if m.group("n2") else None
    comparator = "range" if value_max is not None else None
    if m.group("more") or m.group("more2"):
        comparator = ">"
    plan_like = kind_at(s) != "report"
    cue_at = s
    if comparator is None and change is None:
        comparator, cue_at = _comparator_before(
            before, clause_start, s, plan_like, text[max(0, s - 12) : s]
        )
    end = e
    rest = text[e : e + 4]
    for pat, comp in _comparators()[1]:
        c = pat.match(rest)
        if c and (comp != "<=" or c.group() != "内" or unit in ("分钟", "小时", "天", "日")):
            if comparator in (None, "=", ">=", "<=") or comp == "~":
                comparator = comp if comparator in (None, "=", ">=") or comp == "~" else comparator
            end = e + c.end()
            break
    quota = _cues()["quota"].match(text[end : end + 20])
    if quota and comparator is None:
        comparator = ">="  # 2300袋无偿献血目标任务: a quota named as such
    ring = None
    if base in ("分钟", "公里"):
        ring = _cues()["ceiling_after"].match(text[end : end + 10])
    if ring is not None and comparator is None:
        comparator, quota = "<=", ring  # 30分钟医疗急救圈: a ring built is a ceiling
    comparator = comparator or "="
    if change is not None:
        # 较去年同期84.93%上升0.02: the change starts at its verb
        start = s - len(before) + before.rindex(change.group("verb"))
        if base is None and last is not None:
            base = "个百分点" if last.unit == "%" else last.unit
        indicator = change.group("verb")
    elif baseline is not None:
        # the baseline: 去年同期120.74 after 较/比
        start = clause_start + baseline.start("ref")
        indicator = baseline.group("ref")
    elif quota is not None:
        # 2300袋…目标任务: the quota's name after its figure is the indicator
        start, indicator = s, text[end : end + quota.end()].lstrip("的")
        end += quota.end()
    else:
        start, indicator, end = _indicator(text, clause_start, cue_at, s, end, dates, taken, last)
    period = _period(text, start, s, dates) if base in COUNT_UNITS else None
    if period is not None:
        start = min(start, period.start)
    kind = "target"
    if not plan_like and not _cues()["target"].search(text[clause_start:end]):
        kind = "actual"
    return TargetItem(
        start=start,
        end=end,
        indicator=indicator,
        comparator=comparator,
        value=as_json_number(value * scale) if value is not None else None,
        value_max=as_json_number(value_max * scale) if value_max is not None else None,
        unit=base,
        kind=kind,
        period=period.value if period is not None else None,
    )


def _unit_without_word(
    m: re.Match[str],
    before: str,
    baseline: re.Match[str] | None,
    change: re.Match[str] | None,
    last: TargetItem | None,
) -> str | None:
    """The unit of a figure written without one: a counted noun's, '' for a plain ratio, a
    baseline's or a change's (''), or None when the number is no figure."""
    if not m.group("n1")[0].isdigit():
        return None
    noun = _counted_noun(before)
    if noun and m.group("mul"):
        return noun  # 总人口36.57万
    if baseline is not None or change is not None:
        return ""
    if UNITLESS.search(before):
        return ""  # 出生人口性别比114.75
    return None


def _counted_noun(text: str) -> str | None:
    nouns = _words().get("noun", {})
    for noun in sorted(nouns, key=len, reverse=True):
        if text.endswith(noun) or (noun in text[-6:]):
            return nouns[noun][2]
    return None


def _comparator_before(
    before: str, clause_start: int, s: int, plan_like: bool, before_text: str = ""
) -> tuple[str | None, int]:
    if _cues()["ceiling"].search(before) or _cues()["ceiling"].search(before_text):
        return "<=", s  # 防控标准(200/万)
    for pat, comp in _comparators()[0]:
        c = pat.search(before)
        if c:
            if comp in ("reach", "reach_down"):
                comp = ("<=" if comp == "reach_down" else ">=") if plan_like else "="
            return comp, clause_start + c.start()
    return None, s


def _indicator(
    text: str,
    clause_start: int,
    cue_at: int,
    s: int,
    end: int,
    dates: list[DateSpan],
    taken: list[tuple[int, int]],
    last: TargetItem | None,
) -> tuple[int, str, int]:
    """(start, indicator, end) of a figure whose indicator is written before or after it."""
    start = clause_start
    if last is not None and clause_start <= last.end <= s:
        start = last.end  # 17期680人次疗养: the figure before is not this one's indicator
        between = text[last.end : cue_at]
        if SHARED.fullmatch(between) and (between.strip() or cue_at < s):
            # 分别增长9.7%和8.9%, 由46.9%提高到48.2%: the indicator is the one before
            return _strip_lead(text, start, cue_at, dates), last.indicator, end
    start = _strip_lead(text, start, cue_at, dates)
    at = start
    period = next((d for d in dates if d.start == start and d.is_period), None)
    if period is not None:
        at = _strip_lead(text, period.end, cue_at, dates)  # 全年至少组织1次讲座
    indicator = text[at:cue_at].strip()
    ceiling = _cues()["ceiling"].search(text[max(0, start - 12) : start])
    if not indicator and ceiling is not None:
        # 防控标准(200/万): the standard's name is the indicator
        start = max(0, start - 12) + ceiling.start()
        indicator = text[start:cue_at].rstrip("( ")
        close = text.find(")", end, end + 3)
        end = close + 1 if close != -1 else end
    elif not indicator and start > 0 and text[start - 1] == "(":
        # 排队等待时间(不超过15分钟): the figure in brackets after what it measures
        outer = _strip_lead(text, _clause_start(text, start - 1), start - 1, dates)
        if 0 < start - 1 - outer <= 24:
            indicator = text[outer : start - 1]
            start = outer
            close = text.find(")", end, end + 3)
            end = close + 1 if close != -1 else end
    if not indicator or VERB_ONLY.match(indicator):
        # 召开了2次专题会议, 选送40名临床医生: the counted noun comes after the figure
        after = BOUNDARY.split(text[end : end + 16], 1)[0]
        after = re.split(
            r"[\d_]|以上|以下|以内|到|赴|参加|进修|前往|外出|得|被|将|已|实现|完成|开展|进行|可以|能够|应当|应该",
            after, maxsplit=1)[0]
        after = after[:8] if not indicator else after[:12]
        if after and not _inside(end, end + len(after), taken) and not _cues()["skip"].match(
            after
        ):
            # 7%左右的速度: the 的 stays in the span, the indicator is the noun
            indicator, end = after.removeprefix("的") or after, end + len(after)
    if len(indicator) > INDICATOR_MAX:
        start = _word_start(text, cue_at - INDICATOR_MAX, cue_at)
        indicator = text[start:cue_at]
    if len(indicator) > 2 and indicator[-1] in "由从":
        indicator = indicator[:-1]  # 补助标准由80元: 由 opens the baseline
    return start, indicator, end


def _strip_lead(text: str, start: int, stop: int, dates: list[DateSpan]) -> int:
    """Past leading adverbs and modals (whole words), enumerators (三是) and dates that are
    not the period of a count, so that the span starts at the indicator."""
    while start < stop:
        piece = text[start:stop]
        if piece[0].isspace() or piece[0] in ".·":
            start += 1
            continue
        en = ENUMERATOR.match(piece)
        if en:
            start += en.end()
            continue
        d = next((d for d in dates if d.start == start and d.end <= stop), None)
        if d is not None and not d.is_period:
            start = d.end
            continue
        first = cut(piece)[0] if piece else ""
        if first in LEAD_TOKENS:
            start += len(first)
            continue
        break
    return start


def _word_start(text: str, at: int, stop: int) -> int:
    """The first word boundary at or after ``at`` before ``stop`` (never cut a word)."""
    lo = max(0, at - 8)
    pos = lo
    for tok in cut(text[lo:stop]):
        if pos >= at:
            return pos
        pos += len(tok)
    return at


def _period(text: str, start: int, s: int, dates: list[DateSpan]) -> DateSpan | None:
    """The period of a count: the nearest recurrence or part of the year before the figure
    in the same clause (每半个月向…报送一次, 全年不少于4次, 7月和12月各一次)."""
    lo = _clause_start(text, s)
    found = [d for d in dates if lo < d.end <= s and d.is_period]
    return found[-1] if found else None


def _split(item: TargetItem, text: str) -> list[TargetItem]:
    """Two indicators sharing a figure (X和Y均达V) and the parts of a distributive 各 give
    one target each."""
    ind = item.indicator
    both = _cues()["both"].match(ind)
    if both and item.start + len(ind) <= item.end:
        b_at = item.start + both.start("b")
        first = TargetItem(**{**item.__dict__, "indicator": both.group("a")})
        second = TargetItem(**{**item.__dict__, "start": b_at, "indicator": both.group("b")})
        return [first, second]
    each = re.search(r"各[\u4e00-\u9fff]{0,2}$", ind)
    if each is not None and item.period is None:  # 7月和12月各一次: 各 spreads a set of dates
        parts_start = item.start
        while parts_start > 1 and text[parts_start - 1] == "、":
            seg = _clause_start(text, parts_start - 1)
            if parts_start - 1 - seg > 10 or seg == parts_start - 1:
                break
            parts_start = seg
        names = text[parts_start : item.start + each.start()].split("、")
        if len(names) > 1:
            out, at = [], parts_start
            for name in names:
                out.append(TargetItem(**{**item.__dict__, "start": at, "indicator": name}))
                at += len(name) + 1
            return out
    return [item]


def _worded(
    m: re.Match[str], text: str, kind_at: Callable[[int], str], dates: list[DateSpan],
    after: int = 0,
) -> TargetItem | None:
    """翻两番 (= 4 倍), 过半 (> 50 %), 案件零增加 (= 0 件)."""
    word = m.group("word").replace("了", "")
    event = next((e for e in _words().get("event", {}) if word.startswith("零")
                  and word.endswith(e) and word not in _words().get("zero", {})), None)
    if event is not None:
        form, (comparator, value, unit) = "zero", _words()["event"][event]
    else:
        form, (comparator, value, unit) = next(
            (f, w[word]) for f, w in _words().items() if word in w
        )
    s, e = m.span()
    if form == "idiom":
        return None  # 时间过半、任务过半
    clause_start = max(_clause_start(text, s), after)
    start = _strip_lead(text, clause_start, s, dates)
    indicator = text[start:s].strip()
    if form == "zero" and unit:
        start, indicator = s, word[1:]  # 零死亡: the counted event is in the word itself
    elif form == "zero":
        unit = _counted_noun(indicator) or ""
        if not indicator:
            return None
    kind = "actual" if kind_at(s) == "report" else "target"
    return TargetItem(start, e, indicator or word, comparator, as_json_number(float(value)),
                      None, unit or None, kind)


def _inside(s: int, e: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(a < e and s < b for a, b in spans)


def _skip(text: str, s: int, e: int, n1: str, unit: str, dates: list[DateSpan]) -> bool:
    """Counts that structure the text (四个阶段, 一次通过) or name a reference group
    (首批2家…之一) are not figures."""
    cues = _cues()
    after = text[e : e + 20]
    if cues["skip"].search(text[e : e + 4]) or cues["reference_after"].match(
        text[e - len(unit) : e + 20]
    ):
        return True
    if cues["reference_after"].match(after) or cues["reference"].search(text[max(0, s - 4) : s]):
        return True
    if n1 == "一" and cues["skip_one"].match(unit):
        return True
    clause_start = _clause_start(text, e)
    clause = text[clause_start:e]
    if unit in COUNT_UNITS and (PER_PERIOD.search(clause) or _period(text, s, s, dates)):
        return False  # 每月…报送一次: a count per period is a target
    if unit == "次" and cues["count_verb"].search(text[max(clause_start, s - 4) : s]):
        return False  # 进行一次检查, 考试两次
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
