"""Time expressions: find them, type them, and normalize them to EDTF / ISO 8601 durations.

Three passes over the folded text of one document:

1. **Atoms** — year/month/day points, parts of the year, seasons, holidays, relative years,
   whole-year words (全年, 年内), recurrences (每周, 日 fused with a verb in 日查, 2-3日一次),
   durations (三年) — found by the patterns below, leftmost-longest. Words that only look
   like dates (年终 in 年终评比) are matched too, and dropped.
2. **Combination** — two atoms joined by a range connector (至, 到, —, -) become a range;
   atoms joined by 和/、 and followed by 各 become a recurrence set (7月和12月各一次);
   a following 前/以前/底前 makes a deadline, 起/以来 an open range; 截至 marks an as-of point.
3. **Year resolution** — a rule chain, in document order: the expression's own year
   (``explicit``) > the last explicit year before it in the same document, or the document's
   own title year (``document``) > none (``XXXX``). A template year (20xx) is carried as
   ``20XX`` and never replaced by a real one. Years in a site's series heading and inside
   quoted document names (《…》) are tagged but resolve nothing. Relative years (今年, 去年)
   and whole-year words count from the document's year, ``XXXX`` when it has none.

A whole-year word is typed by what it does in its clause: the frame of a count
(全年不少于4次) is the recurrence ``P1Y``; a completion (年内完成) the deadline
``../Y-12-31``; otherwise the scope of a statement, the point ``Y``.

The cue words and their values are data: ``pipeline/data/date_words.tsv``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from ..rules import load
from .numbers import small_number, year_digits

CN = "一二三四五六七八九十"
NUM2 = rf"(?:\d{{1,2}}|[{CN}]{{1,3}})"
YEAR_DIGIT = "0-9〇零O一二三四五六七八九"
YR = (
    rf"(?:[12二一][{YEAR_DIGIT}](?:[{YEAR_DIGIT}]{{2}}|[xX×]{{2}}|_{{1,4}})"
    r"|[xX×]{2}|_{2,4})"
)
CONNECTOR = re.compile(r"\s*(?:至|到|—+|–|-{1,2}|~|─+)\s*")
SET_JOIN = re.compile(r"\s*(?:和|、|及|与)\s*")
DEADLINE = re.compile(r"以前|之前|前|为止|止")
OPEN_START = re.compile(r"起|以来")
AS_OF = re.compile(r"(截至|截止)(?:到|至)?\s*$")
OPENING = 200  # characters in which a document states its own year
PART_WORDS = "上半年|下半年|第?[一二三四]季度|第[一二三四]季(?!度)"
CLAUSE_END = re.compile(r"[,;。;!?\n]")
# a count after a whole-year word, with a word that makes it a minimum: 全年不少于4次
COUNT = rf"[\d{CN}两]{{1,3}}\s*(?:次|期|场|轮|回|遍)"
FRAME = re.compile(
    rf"(?:不少于|不低于|至少|最少|不得少于)[\u4e00-\u9fff]{{0,4}}?{COUNT}|{COUNT}(?:及以上|以上)"
)
# a completion after a within-the-year word: 年内完成, 年内建成
COMPLETE = re.compile(
    r"^(?:要|将|必须|须|应|力争|争取|确保|全面|基本|全部|逐步|努力)*"
    r"(?:完成|建成|实现|达到|达标|落实|到位|通过|覆盖|创建|创成|启动|建立|完善|竣工|投入|投用)"
)
TOTAL = re.compile(r"^(?:共|累计|共计|合计|总计)")
# a rule that holds every year: 年底科室不评先进, 年终一律不予
STANDING = re.compile(r"不评|不得|一律|不予")
# a count right after a period: 一日拖二次, 2-3日一次 (a few verb characters between)
PER_COUNT = rf"(?=[\u4e00-\u9fff]{{0,2}}[{CN}两\d]{{1,2}}\s*[次遍](?!性))"
# characters before 日/周/月 that make it part of another word (节日, 当日, 本月, 工作日)
FUSED_NOT_AFTER = rf"(?<![\d{CN}两每当今昨明次本上下前后该同隔逐首末整全节假生作个半值])"


@dataclass
class Point:
    """One end of a time expression, before its year is resolved."""

    year: str | None = None  # "2008", "20XX", "XXXX" as written; None if not written
    rel: int | None = None  # 今年 0, 明年 1, 去年 -1
    month: int | None = None
    day: int | None = None
    part: str | None = None  # 上旬 中旬 下旬 初 底
    sub: list[int] = field(default_factory=list)  # EDTF sub-year codes (21–24, 33–36, 40, 41)
    holiday: str | None = None  # "05-01", or "" for a lunar holiday (no fixed date)


@dataclass
class Hit:
    start: int
    end: int
    kind: str  # point | bare_day | part_of_year | recurrence | duration | range | plan_period
    points: list[Point] = field(default_factory=list)
    value: str | None = None  # for kinds that carry their value directly
    value_max: str | None = None  # the longer period of a variable one (2-3日一次)
    type: str = "point"
    quoted: bool = False  # inside 《…》: resolves nothing


@lru_cache(maxsize=1)
def _words() -> dict[str, dict[str, str]]:
    groups: dict[str, dict[str, str]] = {}
    for rule in load("date_words.tsv"):
        groups.setdefault(rule["group"], {})[rule["word"]] = rule["value"]
    return groups


def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    w = _words()
    year = rf"(?P<y>{YR})\s*年度?"
    month = rf"(?P<m>{NUM2})\s*月份?"
    day = rf"(?P<d>{NUM2})\s*[日号]"
    mpart = r"(?P<mp>上旬|中旬|下旬|初|底|末)"
    ypart = rf"(?P<yp>{PART_WORDS}|初|底|末|终)"
    rel = _alt(list(w["relative"]))
    holiday = _alt(list(w["holiday"]))
    rec = _alt(list(w["recurrence"]))
    fused = "|".join(
        rf"{re.escape(a)}(?={re.escape(b)})"
        for a, b in sorted((k.split("|", 1) for k in w["fused"]), key=lambda ab: -len(ab[0]))
    )
    every = rf"(?:\d{{1,2}}|[{CN}两])"
    return [
        ("not_date", re.compile(rf"(?P<void>{_alt(list(w['not_date']))})")),
        (
            "every_n",
            re.compile(
                rf"(?<![\d.第月])(?P<ev>每隔?)?(?P<en1>{every})"
                rf"(?:\s*[-—~至到]\s*(?P<en2>{every}))?\s*(?P<enu>个月|日|天|周|星期|年)"
                rf"(?(ev)|{PER_COUNT})"
            ),
        ),
        (
            "year_range",
            re.compile(rf"(?<![\d〔\[])(?P<y1>{YR})\s*[-—~至到]\s*(?P<y2>{YR})\s*年度?"),
        ),
        ("month_range", re.compile(rf"(?<![\d.年])(?P<m1>{NUM2})\s*[-—~]\s*(?P<m2>{NUM2})\s*月")),
        (
            "dot_range",
            re.compile(
                r"(?<![\d.])(?P<a>\d{1,2})\.(?P<b>\d{1,2})\s*(?:—+|-{1,2}|~|至|到)\s*"
                r"(?P<c>\d{1,2})\.(?P<e>\d{1,2})(?![\d.])"
            ),
        ),
        (
            "iso",
            re.compile(r"(?<![\d-])(?P<y>(?:19|20)\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d-])"),
        ),
        (
            "point",
            re.compile(rf"(?<![\d〔\[])(?:{year}\s*|(?P<rel>{rel}))?{month}(?:\s*{day}|{mpart})?"),
        ),
        ("year", re.compile(rf"(?<![\d〔\[])(?:{year}){ypart}?")),
        (
            "whole_year",
            re.compile(rf"(?P<wy>{_alt(list(w['whole_year']))})(?![级龄段])"),
        ),
        ("relative", re.compile(rf"(?P<rel>{rel})(?P<rp>{PART_WORDS}|初|底|末)?(?:内)?")),
        ("part_of_year", re.compile(rf"(?P<py>{_alt(list(w['part_of_year']))})")),
        ("season", re.compile(r"(?P<s1>[春夏秋冬])(?:、?(?P<s2>[春夏秋冬]))?季(?!度)")),
        (
            "holiday",
            re.compile(rf"(?:(?P<hol>{holiday})|(?P<may4>五四)(?=青年节))(?:青年节|劳动节|节)?"),
        ),
        (
            "day_name",
            re.compile(
                r"(?<![\d.])(?P<m>\d{1,2})\.(?P<d>\d{1,2})(?![\d万亿千个人元次%‰])"
                r"(?=“?[\u4e00-\u9fff]{0,8}(?:日|节|系列|活动|宣传))"
            ),
        ),
        (
            "plan_period",
            re.compile(r"(?P<fyp>十[一二三四五]五)(?=期间|时期|规划|末|以来|[,。、)])"),
        ),
        (
            "recurrence",
            re.compile(
                rf"(?:每个?|按)(?P<rec>{rec})"
                rf"(?P<recx>(?<=周)[一二三四五六日天](?![次个项])|\d{{1,2}}\s*[日号]|\d{{1,2}}\s*月)?"
            ),
        ),
        ("fused", re.compile(rf"{FUSED_NOT_AFTER}(?P<fu>{fused})")),
        (
            "duration",
            re.compile(
                rf"(?<![第每\d.{CN}])(?P<dn>\d{{1,3}}|[{CN}两]{{1,3}}|半)(?P<dg>个)?(?P<du>年|月|周|星期|天|小时)"
                r"(?P<dx>以内|之内|内|来)?"
            ),
        ),
        (
            "named_period",
            re.compile(
                rf"(?P<np>{_alt(list(w['named_period']))}|(?:{_alt(list(w['activity']))})期间)"
            ),
        ),
        ("bare_day", re.compile(rf"(?<![\d月])(?P<d>{NUM2})\s*[日号]")),
    ]


def _year_of(text: str) -> str:
    t = text.strip()
    if re.fullmatch(r"[xX×]{2}|_{2,4}", t):
        return "XXXX"
    if re.search(r"[xX×_]", t):
        return (year_digits(t[:2]) or "20")[:2] + "XX" if len(t) >= 2 else "XXXX"
    return year_digits(t) or "XXXX"


def _point(m: re.Match[str]) -> Point | None:
    g = m.groupdict()
    p = Point()
    if g.get("y"):
        p.year = _year_of(g["y"])
    if g.get("rel"):
        p.rel = int(_words()["relative"][g["rel"]])
    if g.get("m"):
        p.month = small_number(g["m"])
        if p.month is None or p.month > 12:
            return None
    if g.get("d"):
        p.day = small_number(g["d"])
        if p.day is None or p.day > 31:
            return None
    if g.get("mp"):
        p.part = g["mp"].replace("末", "底")
    if g.get("yp"):
        p.sub = [_sub_code(g["yp"])]
    return p


def _sub_code(word: str) -> int:
    words = _words()["part_of_year"]
    if re.fullmatch(r"第[一二三四]季", word):
        return 32 + "一二三四".index(word[1]) + 1
    if word in ("初",):
        return 33
    if word in ("底", "末", "终"):
        return 36
    return int(words.get(word) or words.get("第" + word) or 33)


def find_atoms(text: str) -> list[Hit]:
    """Every atom, leftmost-longest, without overlaps."""
    words = _words()
    found: list[Hit] = []
    for kind, pattern in _patterns():
        for m in pattern.finditer(text):
            hit = _atom(kind, m, text, words)
            if hit is not None:
                found.append(hit)
    found.sort(key=lambda h: (h.start, -(h.end - h.start)))
    out: list[Hit] = []
    last_end = -1
    for h in found:
        if h.start >= last_end:
            out.append(h)
            last_end = h.end
    return [h for h in out if h.kind != "void"]


def _atom(kind: str, m: re.Match[str], text: str, words: dict) -> Hit | None:
    s, e = m.span()
    g = m.groupdict()
    if kind == "not_date":
        return Hit(s, e, "void")
    if kind == "year_range":
        y1, y2 = _year_of(g["y1"]), _year_of(g["y2"])
        if y2 == "XXXX" and y1.endswith("XX"):
            y2 = y1  # 20__-xx年: the xx closes a range that 20__ opened
        return Hit(s, e, "range", [Point(year=y1), Point(year=y2)], type="range")
    if kind == "every_n":
        return _every(m)
    if kind == "whole_year":
        return Hit(s, e, "whole_year", value=words["whole_year"][g["wy"]])
    if kind == "fused":
        word = next(k for k in words["fused"] if k.startswith(g["fu"] + "|")
                    and text.startswith(k.split("|", 1)[1], e))
        return Hit(s, e, "recurrence", value=words["fused"][word], type="recurrence")
    if kind == "named_period":
        return Hit(s, e, "named_period", value=None)
    if kind == "month_range":
        a, b = small_number(g["m1"]), small_number(g["m2"])
        if not a or not b or not a < b <= 12:
            return None
        return Hit(s, e, "range", [Point(month=a), Point(month=b)], type="range")
    if kind == "dot_range":
        a, b, c, d = (int(g[k]) for k in "abce")
        if not (1 <= a <= 12 and 1 <= c <= 12 and 1 <= b <= 31 and 1 <= d <= 31) or (a, b) >= (
            c,
            d,
        ):
            return None
        return Hit(s, e, "range", [Point(month=a, day=b), Point(month=c, day=d)], type="range")
    if kind == "day_name":
        p = _point(m)
        return Hit(s, e, "point", [p]) if p else None
    if kind == "iso":
        p = _point(m)
        return Hit(s, e, "point", [p]) if p else None
    if kind in ("point", "year"):
        if kind == "year" and text[e : e + 1] == "版":
            return None
        p = _point(m)
        if p is None:
            return None
        typ = "part_of_year" if p.sub else "point"
        if p.part in ("上旬", "中旬", "下旬", "初"):
            typ = "range"  # 1月下旬 is the days 21 to the end
        return Hit(s, e, "point", [p], type=typ)
    if kind == "relative":
        p = Point(rel=int(words["relative"][g["rel"]]))
        if g.get("rp"):
            p.sub = [_sub_code(g["rp"])]
        return Hit(s, e, "point", [p], type="part_of_year" if p.sub else "point")
    if kind == "part_of_year":
        return Hit(
            s, e, "point", [Point(sub=[int(words["part_of_year"][g["py"]])])], type="part_of_year"
        )
    if kind == "season":
        codes = [int(words["season"][g["s1"]])]
        if g.get("s2"):
            codes = sorted({*codes, int(words["season"][g["s2"]])})
        return Hit(s, e, "point", [Point(sub=codes)], type="part_of_year")
    if kind == "holiday":
        numeric = g.get("hol") in ("五一", "六一", "七一", "十一")
        if numeric and (
            text[s - 1 : s] in "第" + CN + "每"
            or not (
                re.match(r"节|前|后|期间|假|长假|黄金周|劳动|”|\"", text[e : e + 3])
                or text[s - 1 : s] in '“"'
            )
        ):
            return None
        if g.get("may4"):
            return Hit(s, e, "point", [Point(holiday="05-04")])
        return Hit(s, e, "point", [Point(holiday=words["holiday"][g["hol"]])])
    if kind == "plan_period":
        return Hit(s, e, "plan_period", value=words["plan_period"][g["fyp"]], type="range")
    if kind == "recurrence":
        return Hit(s, e, "recurrence", value=words["recurrence"][g["rec"]], type="recurrence")
    if kind == "duration":
        return _duration(m, text)
    if kind == "bare_day":
        p = _point(m)
        return Hit(s, e, "bare_day", [p]) if p else None
    return None


def _every(m: re.Match[str]) -> Hit | None:
    """每3天, 2-3日一次, 一日拖二次: a recurrence whose period is written with a number."""
    g = m.groupdict()
    letter = {"日": "D", "天": "D", "周": "W", "星期": "W", "个月": "M", "年": "Y"}[g["enu"]]
    lo = small_number(g["en1"])
    hi = small_number(g["en2"]) if g["en2"] else None
    if not lo or (g["en2"] and (not hi or hi <= lo)):
        return None
    value = f"P{_num(lo)}{letter}"
    return Hit(m.start(), m.end(), "recurrence", value=value, type="recurrence",
               value_max=f"P{hi}{letter}" if hi else None)


def _duration(m: re.Match[str], text: str) -> Hit | None:
    g = m.groupdict()
    unit, n = g["du"], g["dn"]
    after = text[m.end("du") : m.end("du") + 1]
    if unit == "月" and not g["dg"] and n != "半":
        return None  # 3月 is a month, 3个月 a duration
    if unit == "年" and (after in "度级制龄前" or len(n) > 2):
        return None
    if unit == "周" and after in "年岁":
        return None
    if n == "一" and text[m.start() - 1 : m.start()] == "的":
        return None  # 机遇的一年: "a year", not a duration
    value = 0.5 if n == "半" else small_number(n)
    if not value:
        return None
    cue = _alt(list(_words()["value_cue"]))
    if re.search(rf"(?:{cue})\s*$", text[max(0, m.start() - 4) : m.start()]):
        return None  # 不超过9天, 控制在8天以内: the value of a target, not a date
    if unit == "小时":
        return Hit(m.start(), m.end(), "duration", value=f"PT{_num(value)}H", type="duration")
    letter = {"年": "Y", "月": "M", "周": "W", "星期": "W", "天": "D"}[unit]
    return Hit(m.start(), m.end(), "duration", value=f"P{_num(value)}{letter}", type="duration")


def _num(v: float) -> str:
    return str(int(v)) if v == int(v) else str(v)


def combine(atoms: list[Hit], text: str) -> list[Hit]:
    """Ranges, sets, deadlines, open ranges and as-of points from adjacent atoms."""
    out: list[Hit] = []
    i = 0
    while i < len(atoms):
        h = atoms[i]
        nxt = atoms[i + 1] if i + 1 < len(atoms) else None
        if (
            h.kind == "point"
            and nxt is not None
            and nxt.kind in ("point", "bare_day")
            and CONNECTOR.fullmatch(text[h.end : nxt.start])
            and _orderable(h.points[0], nxt.points[0])
        ):
            h = Hit(h.start, nxt.end, "range", [h.points[0], nxt.points[0]], type="range")
            i += 1
        elif h.kind == "point" and nxt is not None and nxt.kind == "point":
            group = [h]
            j = i
            while (
                j + 1 < len(atoms)
                and atoms[j + 1].kind == "point"
                and SET_JOIN.fullmatch(text[atoms[j].end : atoms[j + 1].start])
            ):
                j += 1
                group.append(atoms[j])
            if len(group) > 1 and text[group[-1].end : group[-1].end + 1] == "各":
                h = Hit(
                    h.start, group[-1].end, "set", [g.points[0] for g in group], type="recurrence"
                )
                i = j
        i += 1
        if h.kind == "bare_day":
            continue
        if h.kind in ("point", "range"):
            rest = text[h.end : h.end + 3]
            if rest.startswith(("前后", "同期", "期间")):
                h.end += 2  # 春节前后, 去年同期, 春节期间: time nouns that keep it a point
            elif (m := DEADLINE.match(rest)) and h.kind == "point":
                h.type = "deadline"
                h.end += m.end()
            elif m := OPEN_START.match(rest):
                h.type = "open"
                h.end += m.end()
            elif h.kind == "point" and (m := AS_OF.search(text[max(0, h.start - 4) : h.start])):
                h.start -= len(text[max(0, h.start - 4) : h.start]) - m.start()
            elif (
                h.kind == "point"
                and text[h.start - 1 : h.start] == "到"
                and h.points
                and (h.points[0].part == "底" or 36 in h.points[0].sub)
            ):
                h.type = "deadline"  # 到xx年底: by the end of
                h.start -= 1
        out.append(h)
    return out


def _orderable(a: Point, b: Point) -> bool:
    """Whether ``b`` can end a range that ``a`` starts (3月至4月 yes; 3月至2008年 no)."""
    if b.year and not a.year:
        return False
    if a.month is None and b.month is not None and a.year is None:
        return False
    return True


@dataclass
class DateItem:
    start: int
    end: int
    type: str
    value: str | None
    year_source: str
    value_max: str | None = None


def extract(
    text: str,
    *,
    quiet: list[tuple[int, int]] = (),
    title_year: str | None = None,
    kind_at: Callable[[int], str] | None = None,
) -> list[DateItem]:
    """The time expressions of one document's folded text, normalized.

    ``quiet`` ranges (a site's series heading) hold dates that resolve no others;
    ``title_year`` is the year of the document's own title, if any; ``kind_at(i)`` the
    kind of the section at ``i`` (in a report, a whole-year word is the scope of what
    was done).
    """
    hits = combine(find_atoms(text), text)
    quoted = [(m.start(), m.end()) for m in re.finditer(r"《[^《》\n]{0,80}》", text)]
    context = title_year
    anchor = title_year or _opening_year(hits, quiet, quoted)
    items = []
    for h in hits:
        inside = any(a <= h.start < b for a, b in [*quiet, *quoted])
        explicit = [p.year for p in h.points if p.year]
        if h.kind in ("recurrence", "duration", "plan_period", "named_period"):
            source = "explicit" if h.kind == "plan_period" else "none"
            items.append(DateItem(h.start, h.end, h.type, h.value, source, h.value_max))
            continue
        if h.kind == "whole_year":
            report = kind_at is not None and kind_at(h.start) == "report"
            items.append(_whole_year(h, text, anchor or "XXXX", report))
            continue
        relative = any(p.rel is not None for p in h.points)
        if explicit:
            year, source = explicit[0], "explicit"
        elif relative:
            # 今年/去年 count from the year the document is written in (its title or opening
            # year), not the last year named; failing that, the last year named before
            year, source = anchor or context or "XXXX", "document"
        elif STANDING.search(CLAUSE_END.split(text[h.end : h.end + 30], 1)[0]):
            year, source = "XXXX", "none"  # 年底科室不评先进: a standing rule, no one year
        elif context is not None:
            year, source = context, "document"
        else:
            year, source = "XXXX", "none"
        value = _value(h, year)
        items.append(
            DateItem(h.start, h.end, h.type if h.type != "open" else "range", value, source)
        )
        if explicit and not inside and explicit[-1] != "XXXX":
            context = explicit[-1]
    return items


def _whole_year(h: Hit, text: str, year: str, report: bool = False) -> DateItem:
    """全年, 年内: the frame of a count (P1Y), a completion (deadline) or a scope (point);
    in a report section always the scope of what was done."""
    if report:
        return DateItem(h.start, h.end, "point", year, "document")
    clause = CLAUSE_END.split(text[h.end : h.end + 40], 1)[0]
    before = text[max(0, h.start - 2) : h.start]
    counted = re.search(COUNT, clause) and not re.search(r"了|已|共|累计", clause)
    if FRAME.search(clause) or counted:
        return DateItem(h.start, h.end, "recurrence", "P1Y", "none")
    if h.value == "within" and not TOTAL.match(clause) and not before.endswith(("共", "累计")):
        if COMPLETE.match(clause) or not re.search(r"[\d%]", clause):
            return DateItem(h.start, h.end, "deadline", f"../{year}-12-31", "document")
    return DateItem(h.start, h.end, "point", year, "document")


def _opening_year(hits: list[Hit], quiet: list[tuple[int, int]],
                  quoted: list[tuple[int, int]]) -> str | None:
    """The first explicit year in a document's opening (its first 200 characters)."""
    for h in hits:
        if h.start >= OPENING:
            break
        if any(a <= h.start < b for a, b in [*quiet, *quoted]):
            continue
        years = [p.year for p in h.points if p.year and p.year != "XXXX"]
        if years:
            return years[0]
    return None


def _shift(year: str, rel: int | None) -> str:
    if rel is None or not year.isdigit():
        return year
    return str(int(year) + rel)


def _last_day(year: str, month: int) -> int | None:
    """The month's last day; None for February of an unknown year (28 or 29)."""
    if month == 2 and not year.isdigit():
        return None
    return calendar.monthrange(int(year) if year.isdigit() else 2001, month)[1]


def _bounds(p: Point, year: str) -> tuple[str, str, str] | None:
    """(as a point, its first day or unit, its last day or unit) in EDTF."""
    y = _shift(p.year or year, p.rel)
    if p.holiday is not None:
        if not p.holiday:
            return None
        v = f"{y}-{p.holiday}"
        return v, v, v
    if p.sub:
        if len(p.sub) > 1:
            v = "{" + ",".join(f"{y}-{c}" for c in p.sub) + "}"
            return v, v, v
        code = p.sub[0]
        first = {33: "01-01", 34: "04-01", 35: "07-01", 36: "10-01", 40: "01-01", 41: "07-01"}
        last = {33: "03-31", 34: "06-30", 35: "09-30", 36: "12-31", 40: "06-30", 41: "12-31"}
        v = f"{y}-{code}"
        return (
            v,
            f"{y}-{first[code]}" if code in first else v,
            f"{y}-{last[code]}" if code in last else v,
        )
    if p.month is None:
        if p.day is not None:
            return None
        return y, y, y
    ym = f"{y}-{p.month:02d}"
    if p.day is not None:
        v = f"{ym}-{p.day:02d}"
        return v, v, v
    if p.part:
        end = _last_day(y, p.month)
        lo, hi = {
            "上旬": (1, 10),
            "初": (1, 10),
            "中旬": (11, 20),
            "下旬": (21, end),
            "底": (end, end),
        }[p.part]
        last = f"{ym}-{hi:02d}" if hi else ym  # February of an unknown year: month precision
        if lo == hi or (p.part == "底" and hi is None):
            return last, last, last
        return f"{ym}-{lo:02d}/{last}", f"{ym}-{lo:02d}", last
    return ym, ym, ym


def _value(h: Hit, year: str) -> str | None:
    if h.kind == "set":
        parts = [_bounds(p, year) for p in h.points]
        if any(b is None for b in parts):
            return None
        vals = [b[0] for b in parts if b]
        return "{" + ",".join(v.strip("{}") for v in vals) + "}"
    if h.kind == "range":
        a, b = h.points
        b = Point(
            year=b.year or a.year,
            rel=b.rel if b.year else a.rel,
            month=b.month if b.month is not None else (a.month if b.day else None),
            day=b.day,
            part=b.part,
            sub=b.sub,
            holiday=b.holiday,
        )
        ba, bb = _bounds(a, year), _bounds(b, a.year or year)
        if ba is None or bb is None:
            return None
        if h.type == "open":
            return f"{ba[1]}/{bb[2]}"
        return f"{_start(a, ba)}/{_end(b, bb)}"
    b = _bounds(h.points[0], year)
    if b is None:
        return None
    if h.type == "deadline":
        return f"../{b[2]}"
    if h.type == "open":
        return f"{b[1]}/.."
    return b[0]


def _start(p: Point, b: tuple[str, str, str]) -> str:
    return b[1] if p.part or p.sub else b[0]


def _end(p: Point, b: tuple[str, str, str]) -> str:
    return b[2] if p.part or p.sub else b[0]
