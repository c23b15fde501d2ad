"""Phases: the named, ordered stages of a plan's schedule, with their periods.

A section is a phase when its heading is a stage (第一阶段, 第一步, 第一周), names a stage
(…阶段), or sits under a schedule heading (工作步骤, 实施步骤, 进度安排, …) and carries a
period. The phase's text is its heading without the outline marker, up to the end of its
period; the name drops the ordinal and the period; the period is the first date in the
heading, else in the first sentence under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .numbers import small_number

STAGE = re.compile(r"^第([一二三四五六七八九十\d]{1,3})(阶段|步|周|个月|部分|批)")
NAMES_STAGE = re.compile(r"阶段(?!性)|步骤?$")
SCHEDULE = re.compile(r"步骤|阶段|进度|时间安排|日程|安排表|实施计划|推进计划|时间表")
PERIOD_TYPES = {"point", "range", "deadline", "part_of_year"}
TRAIL = ":;,。、 "


@dataclass
class SectionInfo:
    id: str
    heading: tuple[int, int]  # in the document's text
    span: tuple[int, int]
    marker_type: str
    parent: str | None


@dataclass
class PhaseItem:
    start: int
    end: int
    ordinal: int
    name: str
    section: str
    period: int | None  # index into the document's dates


def extract(
    text: str, sections: list[SectionInfo], dates: list[tuple[int, int, str]]
) -> list[PhaseItem]:
    """Phases among ``sections``; ``dates`` are (start, end, type) in document order."""
    by_id = {s.id: s for s in sections}
    groups: dict[str | None, list[SectionInfo]] = {}
    for s in sections:
        head = text[_head_start(s) : s.heading[1]]
        parent = by_id.get(s.parent) if s.parent else None
        parent_head = text[parent.heading[0] : parent.heading[1]] if parent else ""
        in_heading = [
            d for d in dates if s.heading[0] <= d[0] < s.heading[1] and d[2] in PERIOD_TYPES
        ]
        if STAGE.match(head) or (
            NAMES_STAGE.search(re.sub(r"\(.*?\)", "", head)) and s.marker_type != "cn"
        ):
            groups.setdefault(s.parent, []).append(s)
        elif SCHEDULE.search(parent_head) and in_heading and s.marker_type != "cn":
            groups.setdefault(s.parent, []).append(s)
    phases = []
    for members in groups.values():
        if len(members) < 2:
            continue
        for n, s in enumerate(members, 1):
            phases.append(_phase(text, s, n, dates))
    phases.sort(key=lambda p: p.start)
    return phases


def _head_start(s: SectionInfo) -> int:
    """A stage marker (第一阶段) is part of the phase's text; other markers are not."""
    return s.span[0] if s.marker_type == "stage" else s.heading[0]


def _phase(text: str, s: SectionInfo, n: int, dates: list[tuple[int, int, str]]) -> PhaseItem:
    h0, h1 = _head_start(s), s.heading[1]
    head = text[h0:h1]
    stage = STAGE.match(head)
    ordinal = (small_number(stage.group(1)) if stage else None) or n
    period = None
    for k, d in enumerate(dates):
        if h0 <= d[0] < h1 and d[2] in PERIOD_TYPES:
            period = k
            break
    end = h1
    if period is not None:
        close = text.find(")", dates[period][1], h1 + 1)
        end = close + 1 if close != -1 and close < h1 + 1 else dates[period][1]
    while end > h0 and text[end - 1] in TRAIL:
        end -= 1
    if period is None:
        # the first sentence after the heading (第一步:调查摸底。3月底前完成。)
        first = h1 + 1 if text[h1 : h1 + 1] in "。:;" else h1
        stop = text.find("。", first, s.span[1])
        sentence_end = stop if stop != -1 else s.span[1]
        for k, d in enumerate(dates):
            if h1 <= d[0] < sentence_end and d[2] in PERIOD_TYPES:
                period = k
                break
    name = head
    if stage:
        name = name[stage.end() :].lstrip(TRAIL)
    name = re.sub(
        r"\([^()]*\)?$",
        "",
        name[
            : (dates[period][0] - h0) if period is not None and dates[period][0] < h1 else len(name)
        ],
    )
    name = name.strip(TRAIL + "(")
    if not name and stage:
        name = stage.group()
    return PhaseItem(h0, end, ordinal, name, s.id, period)
