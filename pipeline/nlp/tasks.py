"""Tasks: the actionable items of a plan, linked to who, when, how much, and which phase.

What one task is (../shared/EXTRACTION.md, "Tasks"; the cue words are rows of
``pipeline/data/task_cues.tsv``):

- a **numbered item** with its body (``1、…``, ``(1)…``, ``一是…``): its text starts after the
  marker and runs to the end of the item, continuation lines included. A heading alone on
  its line (``（一）加强组织领导``) is no task when text or items follow it; a one-line leaf
  item (``5、领导小组交办的其他事项。``) is one.
- in **running text**, a sentence (a ``；``-chain stays whole) whose words hold an action
  cue (开展, 组织, 完成, 落实, 要…); in a goal section (工作目标) only a sentence that commits
  to a figure.
- a **row** of a task-division table (tab- or space-aligned cells under a header such as
  ``任务 | 责任科室 | 完成时间``): one task per row.
- an item or sentence whose pieces (split at ``。`` and ``；``) each bring their **own unit or
  own date** gives one task per action (a piece with neither joins the one before; a partner,
  ``与X合作``, ``X配合``, joins an action rather than owning one).
- numbered items **run together** in one paragraph (``1、…;2、…``, ``…差错。三加强…`` with the
  marker's punctuation lost) are one task each; a paragraph that is an item whose marker
  was lost (``二是比…`` over paragraphs, ``提升管理水平。强化…``) is one task.
- not tasks: the preamble before the first heading, sections under 指导思想/原则/组织机构,
  membership lists and statements of who sits where (办公室设在…), lead-ins ending in a colon,
  signature lines, sentences telling what was done (开展了, 已完成), everything in report or
  problems sections, and top-level sections that tell what was done when two or more of a
  document do (a report the outline took for a plan).

Links, each task's own first, else from outside (``inherited`` names where from):

- ``responsible``/``roles``: units in the task with a working role (not authority or
  report_to); else a table row's unit columns (``table``), a heading's ``（责任科室:医务科）``
  (``heading``), a lead-in such as ``办公室主要职责:`` or any lead-in ending in a colon whose
  clause opens with a unit, or a closing sentence such as ``以上工作由院办负责``
  (``lead_in``; a lead-in's or heading's units join the task's own), or, for a sentence that
  opens with no subject, the units that open a clause of the sentence before, in the same
  section (``previous_sentence``), and for ``一是…``/``二是…`` the unit that opens their
  paragraph (``previous_sentence`` too). A body the task sets up (``院团委…成立志愿者协会``)
  is what is done, not who does it, when a unit comes before it.
- ``deadline``: the task's own date that says by when or how often (the first in the text
  that is not a duration; on a phase's own line a one-clause
  rhythm gives way to the phase's period); else its phase's period (``phase``); else a date
  in the heading of a section holding it (``heading``), unless it dates an event
  (``（1月下旬收到通知）``).
- ``dates`` and ``targets``: the items inside the task's span.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ..rules import load
from .numbers import small_number

WORK_ROLES = ("lead", "responsible", "cooperating", "supervising", "other")
DEADLINES = {"deadline", "recurrence", "range", "point", "part_of_year"}  # not duration
TRAIL = "。;；,，、:：!！?？ \t　"
SENTENCE = re.compile(r"[^。!?！？\n]+[。!?！？]*")  # a ；-chain stays one sentence
PIECE = re.compile(r"[^。;；!?！？\n]+[。;；!?！？]*")
# an outline marker inside a paragraph, after 。 or ；: 2、 / (3) / 六 (its punctuation lost)
INLINE_MARKER = re.compile(r"""\s*(?:
      (?P<arabic>\d{1,2})\s*[、.．]             # 2、  2.
    | [(（](?P<paren>\d{1,2}|[一二三四五六七八九十]{1,2})[)）]   # (3)  （三）
    | (?P<cn>[一二三四五六七八九十]{1,2})        # 六、  or 六进一步 (not 一是, 三个, 一些)
      (?:\s*[、.．]|(?=[^\s、,，.。;；是个项条次年月日大点些方种切]))
)""", re.VERBOSE)
# a paragraph that is an item with its marker lost: `二是…` (a list over paragraphs, after an
# optional `“六比”是:`), or a short heading sentence with a body after it (`提升管理水平。强化…`)
LOST_MARKER = re.compile(r"""
    (?:[^。:：\n]{0,12}[:：])?\s*[一二三四五六七八九十]{1,2}是(?=[^,，、])   # 二是比…
  | (?=[^。,，;；:：\n]{2,10}。[^\n]{12,})                                # 提升管理水平。…
""", re.VERBOSE)
CELLS = re.compile(r"\t+|[ 　]{2,}")
SPLIT_ACTIONS = True  # one task per piece when pieces bring their own unit or date
SPLIT_EVERY = False  # after a split every piece is a task (else unowned pieces join the one before)
# the units that make a piece its own action (a partner, cooperating, joins one)
SPLIT_ROLES = ("lead", "responsible", "supervising", "other")
SPLIT_DATES = ("deadline", "recurrence")  # the dates that make a piece its own action
REPORTED_SECTIONS = 2  # this many top-level sections telling what was done: a report


_INDEX: dict[int, tuple[list[dict[str, Any]], int, list[int], list[dict[str, Any]]]] = {}


def _inside(items: list[dict[str, Any]], a: int, b: int) -> list[dict[str, Any]]:
    """The items starting in ``[a, b)``, by bisection on an index built once per list (and
    again when it grows); the index lives for one call of :func:`extract`."""
    hit = _INDEX.get(id(items))
    if hit is None or hit[0] is not items or hit[1] != len(items):
        order = sorted(items, key=lambda x: x["start"])
        hit = (items, len(items), [x["start"] for x in order], order)
        _INDEX[id(items)] = hit
    starts, order = hit[2], hit[3]
    return order[bisect.bisect_left(starts, a):bisect.bisect_left(starts, b)]


class _Sections:
    """The deepest section holding an offset, by bisection (sections nest)."""

    def __init__(self, sections: list[Any]) -> None:
        self.order = sorted(sections, key=lambda s: (s.span[0], -s.span[1]))
        self.starts = [s.span[0] for s in self.order]
        self.by_id = {s.id: s for s in sections}

    def at(self, i: int) -> str | None:
        k = bisect.bisect_right(self.starts, i) - 1
        s = self.order[k] if k >= 0 else None
        while s is not None and not (s.span[0] <= i < s.span[1]):
            s = self.by_id.get(s.parent) if s.parent else None
        return s.id if s is not None else None


@cache
def _cues() -> dict[str, tuple[re.Pattern[str], ...]]:
    out: dict[str, list[re.Pattern[str]]] = defaultdict(list)
    for rule in load("task_cues.tsv"):
        out[rule["use"]].append(rule.regex)
    return {k: tuple(v) for k, v in out.items()}


def cue(use: str, text: str) -> re.Match[str] | None:
    """The first match of a ``task_cues.tsv`` rule of this use in ``text``."""
    for pattern in _cues().get(use, ()):
        m = pattern.search(text)
        if m:
            return m
    return None


@dataclass
class Draft:
    start: int
    end: int
    section: str | None
    kind: str  # item | sentence | row
    paragraph: int = -1
    units: list[tuple[str, str, str | None]] = field(default_factory=list)  # id, role, from
    deadline: tuple[str, str | None] | None = None  # date id, from


@dataclass
class LeadIn:
    """A sentence that hands the items after it (in ``scope``, up to ``end``) to units."""

    scope: str | None
    start: int
    units: list[tuple[str, str]]
    end: int = 1 << 62


@dataclass
class _Table:
    rows: list[tuple[int, int]]
    columns: dict[str, list[int]]


def extract(text: str, ctx: Any, items: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The tasks of one document, each a dict with its span and links."""
    _INDEX.clear()
    _SCOPES.clear()
    try:
        return _extract(text, ctx, items)
    finally:
        _INDEX.clear()
        _SCOPES.clear()


def _extract(text: str, ctx: Any, items: dict[str, list[dict[str, Any]]]
             ) -> list[dict[str, Any]]:
    sections = ctx.sections
    if not text.strip():
        return []
    by_id = {s.id: s for s in sections}
    kids: dict[str | None, list[Any]] = defaultdict(list)
    for s in sections:
        kids[s.parent].append(s)
    units = items.setdefault("units", [])
    blocked = [*ctx.title, *ctx.quiet]
    first_heading = min((s.span[0] for s in sections), default=None)
    finder = _Sections(sections)
    openings: dict[int, Any] = {}
    for s in sections:
        if s.marker_type != "yishi":
            openings.setdefault(s.span[0], s)

    drafts: list[Draft] = []
    lead_ins: list[LeadIn] = []
    done = _reported(text, sections)
    item: Draft | None = None
    item_limit = -1
    table_lines = _tables(text)
    signature = _signature(text, items.get("dates", []))
    for a, b in _lines(text):
        if (any(c0 <= a < c1 for c0, c1 in [*blocked, *done])
                or ctx.kinds.get(finder.at(a), ctx.default_kind) in ("report", "problems")):
            item = None
            continue
        if a in signature:
            item = None
            continue
        if a in table_lines:
            item = None
            row = table_lines[a]
            if row is not None:
                drafts.append(_row_task(text, a, b, row, finder.at(a), units))
            continue
        opening = openings.get(a)
        if opening is not None:
            item = None
            sec = opening
            if _skipped(sec, by_id, text):
                continue
            inline = [c for c in kids[sec.id] if c.marker_type == "yishi" and a <= c.span[0] < b]
            if inline:
                for c in inline:
                    drafts.append(Draft(c.heading[0], c.span[1], c.id, "item"))
                continue
            body = text[sec.heading[1]:b].strip(TRAIL)
            below = [c.span[0] for c in kids[sec.id]]
            limit = min([sec.span[1], *below])
            if cue("heading_units", text[sec.heading[0]:b]):
                continue  # （一）…（责任科室:医务科）: a heading that hands out its tasks
            if _duties(text, a, b, sec.parent, units, lead_ins):
                continue
            ends_sentence = text[b - 1] in "。;；!！"
            if body or (not kids[sec.id] and (limit <= b + 1 or ends_sentence)):
                goal_only = _goal(sec, by_id, text) and not cue("action", text[a:b])
                if not body and (cue("skip_sentence", text[a:b]) or goal_only):
                    continue
                item = Draft(sec.heading[0], b, sec.id, "item")
                item_limit = limit
                drafts.append(item)
            continue
        line = text[a:b]
        if item is not None and a < item_limit and not (cue("closing", line)
                                                        or cue("lead_in", line.rstrip())):
            item.end = b
            continue
        item = None
        if first_heading is not None and a < first_heading:
            # the preamble: background and purpose, perhaps a lead-in to the first items
            if _duties(text, a, b, None, units, lead_ins) and sections:
                # it reaches the first run of items, up to a heading of another kind
                kind = sections[0].marker_type
                lead_ins[-1].end = next((x.span[0] for x in sections
                                         if x.parent is None and x.marker_type != kind),
                                        lead_ins[-1].end)
            continue
        sec_id = finder.at(a)
        sec = by_id.get(sec_id) if sec_id else None
        if sec is not None and _skipped(sec, by_id, text):
            continue
        goal = sec is not None and _goal(sec, by_id, text)
        lost = LOST_MARKER.match(text, a, b)
        if lost and not goal and cue("action", text[lost.end():b]):
            # 二是比制度建设。各单位要… / 提升管理水平。强化… : an item whose marker the
            # page lost (or an 一是 list over paragraphs): one task for the paragraph
            item = Draft(lost.end(), b, sec_id, "item")
            item_limit = -1
            drafts.append(item)
            continue
        for m in SENTENCE.finditer(text, a, b):
            s0, s1 = m.start(), m.end()
            sentence = m.group()
            if not sentence.strip(TRAIL):
                continue
            label = cue("label", sentence)
            if label:
                s0 += label.end()
                sentence = text[s0:s1]
            if cue("closing", sentence):
                # under the last item of a list, the list is its parent's
                scope = sec.parent if sec is not None and not kids[sec.id] else sec_id
                _closing(text, s0, s1, scope, by_id, units, drafts)
                continue
            if _duties(text, a, s1, sec_id, units, lead_ins):
                continue
            if cue("skip_sentence", sentence) or not cue("action", sentence):
                continue
            if any(p.search(sentence) for p in _done()):
                continue  # 促进了, 已完成: what was done, inside a plan
            if goal and not _inside(items.get("targets", []), s0, s1):
                continue
            drafts.append(Draft(s0, s1, sec_id, "sentence", paragraph=a))

    drafts = [piece for d in drafts for piece in _inline_items(text, d, by_id)]
    if SPLIT_ACTIONS:
        drafts = [piece for d in drafts for piece in _split(text, d, units, items)]
    for d in drafts:
        while d.end > d.start and text[d.end - 1] in TRAIL + "\n":
            d.end -= 1
    drafts = [d for d in drafts if d.end > d.start]
    _link(drafts, text, ctx, by_id, items, lead_ins)
    phase_ids = {p["section"]: p["id"] for p in items.get("phases", [])}
    return [_as_item(d, by_id, items, phase_ids) for d in sorted(drafts, key=lambda d: d.start)]


@cache
def _done() -> tuple[re.Pattern[str], ...]:
    return tuple(r.regex for r in load("kind_cues.tsv") if r["kind"] == "report")


def _reported(text: str, sections: list[Any]) -> list[tuple[int, int]]:
    """Top-level sections that tell what was done (开展了, 下发了, 共计3件) in a document
    where two or more do: a report the outline took for a plan."""
    tops = [s.span for s in sections if s.parent is None]
    hits = [span for span in tops if any(p.search(text, *span) for p in _done())]
    return hits if len(hits) >= REPORTED_SECTIONS else []


def _lines(text: str) -> list[tuple[int, int]]:
    out, at = [], 0
    for line in text.split("\n"):
        a, b = at, at + len(line)
        at = b + 1
        while b > a and text[b - 1].isspace():
            b -= 1
        while a < b and text[a].isspace():
            a += 1
        if b > a:
            out.append((a, b))
    return out


def _signature(text: str, dates: list[dict[str, Any]]) -> set[int]:
    """Starts of signature lines: a line that is only a date, and a short unpunctuated
    line (the author's name) just before it."""
    out: set[int] = set()
    lines = _lines(text)
    for k, (a, b) in enumerate(lines):
        if any(d["end"] >= b - 1 for d in _inside(dates, a, a + 2)):
            out.add(a)
            if k and lines[k - 1][1] - lines[k - 1][0] <= 16:
                p0, p1 = lines[k - 1]
                if not re.search(r"[。,，;；:：!！?？]", text[p0:p1]):
                    out.add(p0)
    return out


def _heading(s: Any, text: str) -> str:
    return text[s.heading[0]:s.heading[1]]


def _ancestors(s: Any, by_id: dict[str, Any]) -> list[Any]:
    out = []
    while s is not None:
        out.append(s)
        s = by_id.get(s.parent) if s.parent else None
    return out


def _skipped(s: Any, by_id: dict[str, Any], text: str) -> bool:
    return any(cue("skip_section", _heading(x, text)) for x in _ancestors(s, by_id))


def _goal(s: Any, by_id: dict[str, Any], text: str) -> bool:
    return any(cue("goal_section", _heading(x, text)) for x in _ancestors(s, by_id))


def _work_units(units: list[dict[str, Any]], a: int, b: int) -> list[dict[str, Any]]:
    return [u for u in _inside(units, a, b) if u["role"] in WORK_ROLES]


def _duties(text: str, a: int, b: int, scope: str | None, units: list[dict[str, Any]],
            lead_ins: list[LeadIn]) -> bool:
    """A lead-in such as ``办公室设在党办,办公室主要职责:``, or any lead-in ending in a colon
    whose clause opens with a unit (``生活卫生部力争达到以下目标:``): its units own what
    follows."""
    line = text[a:b].rstrip()
    duties = cue("lead_in", line)
    if not duties and not (line.endswith((":", "：")) and _opens_with_unit(text, a, b, units)):
        if line.endswith((":", "：")):
            lead_ins.append(LeadIn(scope, b, []))  # naming no unit, it ends the one before
        return False
    found: list[tuple[str, str]] = []
    names: list[str] = []
    for u in _work_units(units, a, b):
        if not any(n.endswith(u["name"]) for n in names):  # 办公室 after 领导小组办公室
            found.append((u["id"], "responsible"))
            names.append(u["name"])
    lead_ins.append(LeadIn(scope, b, found))
    return True


def _opens_with_unit(text: str, a: int, b: int, units: list[dict[str, Any]]) -> bool:
    """Whether the last clause of ``text[a:b]`` opens with a working unit (its subject)."""
    clause = max(text.rfind(c, a, b - 1) for c in "。;；,，") + 1
    start = max(a, clause)
    while start < b and text[start] in " 　":
        start += 1
    return any(start <= u["start"] < start + 2 for u in _work_units(units, a, b))


def _closing(text: str, a: int, b: int, scope: str | None, by_id: dict[str, Any],
             units: list[dict[str, Any]], drafts: list[Draft]) -> None:
    """``以上工作由院办负责``: the units given to the tasks before it in its section."""
    found = [(u["id"], u["role"]) for u in _work_units(units, a, b)]
    if not found:
        return
    for d in reversed(drafts):
        if not _within(d.section, scope, by_id):
            break
        if not d.units:
            d.units = [(uid, role, "lead_in") for uid, role in found]


def _within(sec: str | None, scope: str | None, by_id: dict[str, Any]) -> bool:
    if scope is None:
        return True
    while sec is not None:
        if sec == scope:
            return True
        sec = by_id[sec].parent if sec in by_id else None
    return False


def _inline_items(text: str, d: Draft, by_id: dict[str, Any]) -> list[Draft]:
    """Numbered items run together in one paragraph (``…发生。六进一步…``, ``立足发展内涵。
    1、…;2、…``): one draft per item when their numbers follow on from the draft's own
    marker, or count up from one (then the words before item one are a heading)."""
    own = None
    sec = by_id.get(d.section) if d.section else None
    if d.kind == "item" and sec is not None and sec.heading[0] == d.start:
        marker = text[sec.span[0]:sec.heading[0]].strip(" 、.．()（）")
        own = small_number(marker) if marker else None
    found = []
    for m in PIECE.finditer(text, d.start, d.end):
        if m.start() == d.start:
            continue
        hit = INLINE_MARKER.match(text, m.start(), d.end)
        if hit:
            number = small_number(hit.group("arabic") or hit.group("paren") or hit.group("cn"))
            if number:
                found.append((m.start(), hit.end(), number))
    for first in ([1, own + 1] if own else [1]):
        chosen, expected = [], first
        for at, body, number in found:
            if number == expected:
                chosen.append((at, body))
                expected += 1
        if len(chosen) >= 2 or (chosen and first != 1):
            break
    else:
        return [d]
    out = []
    if first != 1:  # the draft's own item comes first
        out.append(Draft(d.start, chosen[0][0], d.section, d.kind, d.paragraph))
    for k, (_, body) in enumerate(chosen):
        end = chosen[k + 1][0] if k + 1 < len(chosen) else d.end
        out.append(Draft(body, end, d.section, d.kind, d.paragraph))
    return out


def _split(text: str, d: Draft, units: list[dict[str, Any]],
           items: dict[str, list[dict[str, Any]]]) -> list[Draft]:
    """One draft per action when two or more pieces of ``d`` (split at 。 and ；) each bring
    their own unit or date; then every piece is a task, those with neither too."""
    if d.kind == "row":
        return [d]
    dates = items.get("dates", [])
    pieces: list[tuple[int, int, bool]] = []
    for m in PIECE.finditer(text, d.start, d.end):
        if not m.group().strip(TRAIL):
            continue
        a, b = m.span()
        owns = (any(u["role"] in SPLIT_ROLES for u in _work_units(units, a, b))
                or any(x["type"] in SPLIT_DATES for x in _inside(dates, a, b)))
        pieces.append((a, b, owns))
    if sum(owns for _, _, owns in pieces) < 2:
        return [d]
    if SPLIT_EVERY:
        return [Draft(a, b, d.section, d.kind, d.paragraph) for a, b, _ in pieces]
    groups: list[list[Any]] = []
    for a, b, owns in pieces:
        if groups and not (owns and groups[-1][2]):
            groups[-1][1] = b
            groups[-1][2] = groups[-1][2] or owns
        else:
            groups.append([a, b, owns])
    return [Draft(a, b, d.section, d.kind, d.paragraph) for a, b, _ in groups]


def _tables(text: str) -> dict[int, dict[str, Any] | None]:
    """Lines of task-division tables: the header (None) and each row (its cells)."""
    out: dict[int, dict[str, Any] | None] = {}
    table: _Table | None = None
    for a, b in _lines(text):
        cells = _cells(text, a, b)
        if table is not None and len(cells) >= 2:
            out[a] = {"cells": cells, "columns": table.columns}
            continue
        table = None
        if len(cells) < 2:
            continue
        columns: dict[str, list[int]] = defaultdict(list)
        for k, (c0, c1) in enumerate(cells):
            name = text[c0:c1].strip()
            for use in ("table_number", "table_lead", "table_cooperating", "table_unit",
                        "table_deadline", "table_task"):
                if cue(use, name):
                    columns[use].append(k)
                    break
        if "table_task" in columns and ({"table_unit", "table_lead", "table_deadline"}
                                        & set(columns)):
            table = _Table([], dict(columns))
            out[a] = None
    return out


def _cells(text: str, a: int, b: int) -> list[tuple[int, int]]:
    line = text[a:b]
    if "\t" not in line and not re.search(r"[ 　]{2,}", line):
        return []
    cells, at = [], 0
    for m in CELLS.finditer(line):
        if m.start() > at:
            cells.append((a + at, a + m.start()))
        at = m.end()
    if at < len(line):
        cells.append((a + at, b))
    return cells


def _row_task(text: str, a: int, b: int, row: dict[str, Any], section: str | None,
              units: list[dict[str, Any]]) -> Draft:
    cells, columns = row["cells"], row["columns"]

    def cell(use: str) -> list[tuple[int, int]]:
        return [cells[k] for k in columns.get(use, []) if k < len(cells)]

    tasks = cell("table_task") or [cells[0]]
    d = Draft(tasks[0][0], b, section, "row", paragraph=a)
    for use, role in (("table_lead", "lead"), ("table_unit", "responsible"),
                      ("table_cooperating", "cooperating")):
        for c0, c1 in cell(use):
            found = list(_inside(units, c0, c1))
            if not found:
                found = [_new_unit(text, x0, x1, role, units) for x0, x1 in _parts(text, c0, c1)]
            d.units += [(u["id"], role, "table") for u in found]
    for c0, c1 in cell("table_deadline"):
        d.deadline = (f"@{c0}:{c1}", "table")
    return d


def _parts(text: str, a: int, b: int) -> list[tuple[int, int]]:
    out = []
    for m in re.finditer(r"[^、,，/;；和及\s]+", text[a:b]):
        out.append((a + m.start(), a + m.end()))
    return out


def _new_unit(text: str, a: int, b: int, role: str, units: list[dict[str, Any]]) -> dict[str, Any]:
    """A unit named only by a table cell (the unit tagger needs a verb to see one)."""
    unit = {"id": f"u+{a}", "start": a, "end": b, "name": text[a:b], "role": role}
    units.append(unit)
    return unit


def _best_date(dates: list[dict[str, Any]], a: int, b: int) -> str | None:
    inside = [d for d in _inside(dates, a, b) if d["type"] in DEADLINES]
    if not inside:
        return None
    return min(inside, key=lambda d: d["start"])["id"]


def _link(drafts: list[Draft], text: str, ctx: Any, by_id: dict[str, Any],
          items: dict[str, list[dict[str, Any]]],
          lead_ins: list[LeadIn]) -> None:
    units = items.get("units", [])
    dates = items.get("dates", [])
    phase_of = {p["section"]: p for p in items.get("phases", [])}
    date_type = {x["id"]: x["type"] for x in dates}
    previous: Draft | None = None
    for d in sorted(drafts, key=lambda d: d.start):
        own = [(u["id"], u["role"], None) for u in _doers(text, _work_units(units, d.start, d.end))]
        if d.kind != "row":
            given = d.units or _given_units(d, text, by_id, units, lead_ins)
            if not given:
                given = _opener(d, text, units)
            if own or given:
                d.units = own + given  # a lead-in's office keeps the items it names others in
            elif _carries(d, previous, text, units):
                assert previous is not None
                subjects = _subjects(previous, text, units)
                d.units = [(uid, role, "previous_sentence") for uid, role, _ in previous.units
                           if role in ("lead", "responsible") and uid in subjects]
        if d.deadline is not None and d.deadline[0].startswith("@"):
            c0, c1 = (int(x) for x in d.deadline[0][1:].split(":"))
            best = _best_date(dates, c0, c1)
            d.deadline = (best, "table") if best else None
        if d.deadline is None:
            best = _best_date(dates, d.start, d.end)
            if best:
                d.deadline = (best, None)
        heads_phase = (d.kind == "item" and d.section in phase_of
                       and by_id[d.section].heading[0] <= d.start)
        if heads_phase and d.deadline is not None and d.deadline[1] is None and date_type[
                d.deadline[0]] == "recurrence":
            # a phase's line with its work (第二周(3.10—3.16)部内例会,…每周例会列为制度):
            # the rhythm of one clause is no deadline for the whole task
            period = _inherit_deadline(d, text, by_id, phase_of, dates)
            if period is not None and period[1] == "phase":
                d.deadline = period
        if d.deadline is None:
            d.deadline = _inherit_deadline(d, text, by_id, phase_of, dates)
        previous = d


_SCOPES: dict[int, tuple[int, dict[str | None, tuple[list[int], list[LeadIn]]]]] = {}


def _lead_scopes(lead_ins: list[LeadIn]) -> dict[str | None, tuple[list[int], list[LeadIn]]]:
    """The lead-ins by scope, each list in text order with its starts (built once)."""
    hit = _SCOPES.get(id(lead_ins))
    if hit is None or hit[0] != len(lead_ins):
        groups: dict[str | None, list[LeadIn]] = defaultdict(list)
        for x in sorted(lead_ins, key=lambda x: x.start):
            groups[x.scope].append(x)
        hit = (len(lead_ins), {k: ([x.start for x in v], v) for k, v in groups.items()})
        _SCOPES[id(lead_ins)] = hit
    return hit[1]


CLAUSE_END = ",，;；:：。"
ENUMERATED = re.compile(r"\s*[一二三四五六七八九十]{1,2}是")
COORD_GAP = re.compile(r"\s*(?:、|和|及|与|以及)\s*")
SUBJECTLESS = re.compile(r"""^(?:并|同时|还|要|须|需|应|及时|认真|切实|积极|定期|每|对
                                |另一方面|此外|另外|上半年|下半年|年内|年底)""", re.VERBOSE)


def _doers(text: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The units of a task that do its work: a body it sets up (``院团委…成立志愿者协会,下设
    志愿服务队``, a list after the verb too) is what is done when a unit that is not set up
    comes before it; a task of only bodies set up keeps them."""
    out: list[dict[str, Any]] = []
    doer = False  # a unit not set up came first
    set_up = False
    last = -1
    for u in found:
        before = text[max(0, u["start"] - 6):u["start"]]
        if cue("set_up", before):
            set_up = True
        elif not (set_up and last >= 0 and COORD_GAP.fullmatch(text[last:u["start"]])):
            set_up = False
        last = u["end"]
        if set_up and doer:
            continue
        doer = doer or not set_up
        out.append(u)
    return out


def _opener(d: Draft, text: str, units: list[dict[str, Any]]
            ) -> list[tuple[str, str, str | None]]:
    """For ``一是…``, ``二是…`` in a paragraph whose first sentence opens with its unit
    (``院团委要始终坚持…。一是建立…``), that unit: the enumerated actions are its work."""
    if d.kind != "sentence" or d.paragraph < 0 or not ENUMERATED.match(text, d.start):
        return []
    first = SENTENCE.match(text, d.paragraph)
    if first is None or first.end() > d.start:
        return []
    return [(u["id"], u["role"], "previous_sentence")
            for u in _inside(units, d.paragraph, d.paragraph + 2)
            if u["role"] in ("lead", "responsible")]


def _carries(d: Draft, previous: Draft | None, text: str, units: list[dict[str, Any]]
             ) -> bool:
    """Whether ``d`` goes on with the subject of the sentence before it: both in one
    section, the one before opens with its unit, and ``d`` opens with no subject."""
    if previous is None or d.kind != "sentence" or previous.kind != "sentence":
        return False
    if previous.section != d.section or not previous.units:
        return False
    return bool(_subjects(previous, text, units)) and bool(SUBJECTLESS.match(text[d.start:d.end]))


def _subjects(d: Draft, text: str, units: list[dict[str, Any]]) -> set[str]:
    """The ids of ``d``'s own units that open a clause of it (its subject: 各重点医院 in
    ``按照…反馈,各重点医院要全面梳理``), the sentence's start included."""
    own = {uid for uid, _, src in d.units if src is None}
    return {u["id"] for u in _inside(units, d.start, d.end)
            if u["id"] in own and (u["start"] == d.start or text[u["start"] - 1] in CLAUSE_END)}


def _given_units(d: Draft, text: str, by_id: dict[str, Any], units: list[dict[str, Any]],
                 lead_ins: list[LeadIn],
                 ) -> list[tuple[str, str, str | None]]:
    """Units handed to ``d`` from outside: a heading's 责任科室, or a lead-in's office."""
    sec = by_id.get(d.section) if d.section else None
    for s in _ancestors(sec, by_id):
        h0 = s.heading[0]
        line_end = text.find("\n", h0)
        h1 = line_end if line_end >= 0 else len(text)
        if cue("heading_units", text[h0:h1]):
            found = _work_units(units, h0, h1)
            if found:
                return [(u["id"], u["role"], "heading") for u in found]
    by_scope = _lead_scopes(lead_ins)
    chain = [x.id for x in _ancestors(sec, by_id)] + [None]
    best: LeadIn | None = None
    for scope in chain:
        found = by_scope.get(scope)
        if not found:
            continue
        k = bisect.bisect_right(found[0], d.start) - 1
        while k >= 0 and found[1][k].end <= d.start:
            k -= 1  # a preamble lead-in that has ended
        if k >= 0 and (best is None or found[1][k].start > best.start):
            best = found[1][k]
    if best is not None:
        return [(uid, role, "lead_in") for uid, role in best.units]
    return []


def _inherit_deadline(d: Draft, text: str, by_id: dict[str, Any],
                      phase_of: dict[str, dict[str, Any]], dates: list[dict[str, Any]]
                      ) -> tuple[str, str | None] | None:
    sec = by_id.get(d.section) if d.section else None
    chain = _ancestors(sec, by_id)
    for s in chain:
        phase = phase_of.get(s.id)
        if phase and phase.get("period"):
            return (phase["period"], "phase")
    for s in chain:
        line_end = text.find("\n", s.heading[0])
        h1 = line_end if line_end >= 0 else len(text)
        heading_dates = [x for x in _inside(dates, s.heading[0], s.heading[1])
                         if x["type"] in DEADLINES and not cue("event_date", text[x["end"]:h1])]
        if heading_dates:
            best = min(heading_dates, key=lambda x: x["start"])
            return (best["id"], "heading")
    return None


def _phase_of(sec: str | None, by_id: dict[str, Any], phase_of: dict[str, str]) -> str | None:
    while sec is not None:
        if sec in phase_of:
            return phase_of[sec]
        sec = by_id[sec].parent if sec in by_id else None
    return None


def _as_item(d: Draft, by_id: dict[str, Any], items: dict[str, list[dict[str, Any]]],
             phase_ids: dict[str, str]) -> dict[str, Any]:
    def inside(group: str) -> list[str]:
        return [it["id"] for it in _inside(items.get(group, []), d.start, d.end)]

    inherited: dict[str, str] = {}
    sources = {src for _, _, src in d.units if src}
    if sources:
        inherited["responsible"] = sorted(sources)[0]
    if d.deadline and d.deadline[1]:
        inherited["deadline"] = d.deadline[1]
    seen: set[str] = set()
    roles = []
    for uid, role, src in d.units:
        if uid not in seen:
            seen.add(uid)
            roles.append({"unit": uid, "role": role, "inherited": src})
    return {
        "start": d.start,
        "end": d.end,
        "section": d.section,
        "phase": _phase_of(d.section, by_id, phase_ids),
        "responsible": [r["unit"] for r in roles],
        "roles": roles,
        "deadline": d.deadline[0] if d.deadline else None,
        "dates": inside("dates"),
        "targets": inside("targets"),
        "inherited": inherited,
    }
