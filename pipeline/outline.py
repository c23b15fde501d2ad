"""Stage 5, outline: the section tree of one document from its heading markers.

Markers, shallowest first: ``一、`` › ``(一)`` and ``第一阶段``/``第一步``/``第一周`` ›
``1、``/``1.`` › ``(1)`` › ``①``; inline ``一是…二是…`` lists become leaf sections of the
paragraph they sit in. Nesting follows a stack: a marker type already open closes
everything below it (a sibling); a new type opens a child, after closing any open type
that ranks deeper than it. A heading that carries its body on the same line
(``(一)强化责任意识。要把…``) ends at its first full stop.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .normalize import Text
from .rules import load
from .split import Line

CN = "一二三四五六七八九十"
STAGE = re.compile(rf"第[{CN}\d]{{1,3}}(?:阶段|步|周|个月|部分)")
MARKERS: list[tuple[str, int, re.Pattern[str]]] = [
    # (type, rank, pattern) on folded text; the pattern's end is the end of the marker
    ("cn", 1, re.compile(rf"[{CN}]{{1,3}}\s*[、.]")),  # 一、
    ("cn_paren", 2, re.compile(rf"\(\s*[{CN}]{{1,3}}\s*\)\s*[、.]?")),  # (一) (一)、
    ("stage", 2, STAGE),  # 第一阶段
    ("num", 3, re.compile(r"\d{1,2}\s*(?:、|\.(?!\d)|\s(?=\S))")),  # 1、 1.
    ("num_paren", 4, re.compile(r"\(\s*\d{1,2}\s*\)\s*[、.]?")),  # (1)
    ("circled", 5, re.compile(r"[①-⑳]")),  # ①
    ("letter", 6, re.compile(r"[a-h]\s*[、.]")),  # a、 (seen in plans under 1、)
]
HEADING_END = re.compile(r"[。;!?:]")
YISHI = re.compile(rf"(?:^|(?<=[。;,:“]))\s*([{CN}])是")
MAX_HEADING = 50


@dataclass
class Section:
    id: str
    level: int
    marker: str
    marker_type: str
    heading: tuple[int, int]  # [start, end) in the block's cleaned text
    start: int
    end: int
    parent: str | None
    kind: str = "other"
    children: list[str] = field(default_factory=list)


def cn_number(text: str) -> int | None:
    """1–99 from 一…九十九, or digits."""
    digits = re.sub(r"\D", "", text)
    if digits:
        return int(digits)
    chars = re.sub(rf"[^{CN}]", "", text)
    if not chars:
        return None
    values = {c: i + 1 for i, c in enumerate(CN)}
    if chars == "十":
        return 10
    if chars.startswith("十"):
        return 10 + values[chars[1]]
    if len(chars) >= 2 and chars[1] == "十":
        return values[chars[0]] * 10 + (values[chars[2]] if len(chars) > 2 else 0)
    return values.get(chars[0])


def match_marker(text: str) -> tuple[str, int, str] | None:
    """``(type, rank, marker)`` when ``text`` opens with a heading marker."""
    for kind, rank, pattern in MARKERS:
        m = pattern.match(text)
        if m:
            return kind, rank, m.group().strip()
    return None


def heading_end(line: Line, body_from: int) -> int:
    """Where the heading of ``line`` ends (absolute), given where its text starts."""
    rest = line.text[body_from - line.start :]
    m = HEADING_END.search(rest)
    if m and STAGE.fullmatch(rest[: m.start()]) and rest[m.start()] == ":":
        # (一)第一阶段:宣传发动(…) — the stage name after the colon is the heading too
        m = HEADING_END.search(rest, m.end())
    cut = m.start() if m else len(rest)
    if cut > MAX_HEADING:
        comma = re.search(r"[,、]", rest)
        cut = comma.start() if comma and comma.start() > 1 else min(cut, MAX_HEADING)
        return body_from + cut
    return body_from + cut


def parse(lines: list[Line], text: Text, prefix: str = "s") -> list[Section]:
    """The sections of a document's content lines, in document order."""
    sections: list[Section] = []
    stack: list[tuple[str, int, Section]] = []  # (marker type, rank, section)
    ids = itertools.count(1)

    def close(sec: Section, end: int) -> None:
        sec.end = max(sec.end, end)

    for line in lines:
        hit = match_marker(line.text)
        if hit is None:
            if stack:
                for _, _, sec in stack:
                    close(sec, line.end)
            sections.extend(_inline_list(line, stack, ids, prefix))
            continue
        kind, rank, marker = hit
        rest = line.text[len(marker):]
        body_from = line.start + len(line.text) - len(rest.lstrip(" :、.-—"))
        types = [t for t, _, _ in stack]
        if kind in types:
            while stack and stack[-1][0] != kind:
                stack.pop()
            stack.pop()
        else:
            while stack and stack[-1][1] > rank:
                stack.pop()
        parent = stack[-1][2] if stack else None
        end = heading_end(line, body_from) if body_from < line.end else line.end
        sec = Section(
            id=f"{prefix}{next(ids)}",
            level=len(stack) + 1,
            marker=marker,
            marker_type=kind,
            heading=(body_from, end) if end > body_from else (line.start, line.end),
            start=line.start,
            end=line.end,
            parent=parent.id if parent else None,
        )
        if parent:
            parent.children.append(sec.id)
        for _, _, open_sec in stack:
            close(open_sec, line.end)
        stack.append((kind, rank, sec))
        sections.append(sec)
        inline = _inline_list(line, stack, ids, prefix, start_at=end)
        sections.extend(inline)
    _renumber(sections, prefix)
    return sections


def _inline_list(line: Line, stack: list, ids: Iterator[int], prefix: str,
                 start_at: int | None = None) -> list[Section]:
    """``一是…二是…三是…`` in one paragraph: leaf sections under the open section."""
    text = line.text
    offset = (start_at or line.start) - line.start
    hits = [m for m in YISHI.finditer(text, offset)]
    expected, chosen = 1, []
    for m in hits:
        if cn_number(m.group(1)) == expected:
            chosen.append(m)
            expected += 1
    if len(chosen) < 2:
        return []
    parent = stack[-1][2] if stack else None
    out = []
    for k, m in enumerate(chosen):
        start = line.start + m.start(1)
        stop = line.start + (chosen[k + 1].start(1) if k + 1 < len(chosen) else len(text))
        body_from = start + 2
        seg_text = text[body_from - line.start : stop - line.start]
        cut = HEADING_END.search(seg_text)
        h_end = body_from + (cut.start() if cut else len(seg_text.rstrip(",;。 ")))
        if h_end - body_from > MAX_HEADING:
            comma = re.search(r"[,、]", seg_text)
            h_end = body_from + (comma.start() if comma and comma.start() > 1 else MAX_HEADING)
        sec = Section(
            id=f"{prefix}{next(ids)}",
            level=(parent.level + 1) if parent else 1,
            marker=m.group(1) + "是",
            marker_type="yishi",
            heading=(body_from, max(h_end, body_from + 1)),
            start=start,
            end=stop,
            parent=parent.id if parent else None,
        )
        if parent:
            parent.children.append(sec.id)
        out.append(sec)
    return out


def _renumber(sections: list[Section], prefix: str) -> None:
    """Ids in document order: s1, s2, … (inline lists were numbered as they came)."""
    order = sorted(sections, key=lambda s: (s.start, s.level))
    new_ids = {s.id: f"{prefix}{i}" for i, s in enumerate(order, start=1)}
    for s in sections:
        s.id = new_ids[s.id]
        s.parent = new_ids[s.parent] if s.parent else None
        s.children = [new_ids[c] for c in s.children]
    sections.sort(key=lambda s: (s.start, s.level))


@functools.cache
def _section_rules() -> list[tuple[int, re.Pattern[str], str]]:
    """The heading cue rules, compiled once, highest priority first."""
    rules = [(int(r["priority"]), r.regex, r["kind"]) for r in load("section_kinds.tsv")]
    return sorted(rules, key=lambda r: -r[0])


@functools.cache
def _body_rules() -> list[tuple[re.Pattern[str], str]]:
    return [(r.regex, r["kind"]) for r in load("kind_cues.tsv")]


def section_kind(heading: str, *, min_priority: int = 0) -> str | None:
    """``plan``/``report``/``problems`` from heading cue words (priority decides)."""
    for priority, pattern, kind in _section_rules():
        if priority >= min_priority and pattern.search(heading):
            return kind
    return None


# In a document titled as a report, the words that name the parts of any plan (工作任务,
# 组织机构) head what was done as well; only a next-year cue (xx年工作计划) turns it to plan.
REPORT_TURNS_TO_PLAN = 20


def body_kind(body: str) -> str | None:
    """``report`` or ``plan`` from the verbs of a stretch of text, or None if unclear."""
    score = {"plan": 0, "report": 0}
    for pattern, kind in _body_rules():
        score[kind] += len(pattern.findall(body))
    if score["report"] >= 2 and score["report"] > 1.5 * score["plan"]:
        return "report"
    if score["plan"] >= 1 and score["plan"] >= score["report"]:
        return "plan"
    return None


def assign_kinds(sections: list[Section], text: Text, default: str, *,
                 trust_title: bool = False) -> None:
    """Each section's kind: its heading's cue words, else its parent's, else ``default``.

    When the title names the genre (…工作总结, …实施方案), a section without a cue word in its
    heading is of the document's kind: a 总结 turns to its plan only under a heading that says
    so (xx年工作计划, 下一步打算). Without such a title, the section's body verbs decide.
    """
    by_id = {s.id: s for s in sections}
    for s in sections:  # document order: a parent is seen before its children
        heading = text.simp[s.heading[0] : s.heading[1]]
        kind = section_kind(heading)
        if kind == "plan" and trust_title and default == "report":
            kind = section_kind(heading, min_priority=REPORT_TURNS_TO_PLAN)
        if kind is None and s.parent:
            kind = by_id[s.parent].kind
        if kind is None:
            kind = default if trust_title else body_kind(text.simp[s.start : s.end]) or default
        s.kind = kind
