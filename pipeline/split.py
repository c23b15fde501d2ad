"""Stage 4, split: one source text -> its documents, with site furniture set aside.

A stacked web page is recognised by its series of numbered titles (``医院创城工作实施方案1``,
``部门卫生工作计划模板【篇3】``, ``2023年度医院工作计划精选篇7``); a page without a series is one
document starting at its first title. Lines that match a furniture rule belong to no
document; a "tail" rule (``本文来源``, ``延伸阅读``, ``上一篇``) ends the document's content.

Works on one block at a time and carries the unfinished last document over to the next.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from .normalize import Text
from .rules import load

OUTLINE_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+\s*[、.]|[(][一二三四五六七八九十\d]+[)]|\d+\s*[、.](?!\d)"
    r"|[①-⑳]|第[一二三四五六七八九十\d]+[阶步周部章节])"
)
SENTENCE_END = "。；;，,：:！!？?"
SERIES = re.compile(
    r"""^(?P<stem>.+?)\s*
    (?: 【\s*篇\s*(?P<a>\d{1,3})\s*】           # 部门卫生工作计划模板【篇3】
      | [(]\s*篇?\s*(?P<b>\d{1,3})\s*[)]         # 工作计划(篇2)
      | 精选篇\s*(?P<c>\d{1,3})                  # 2023年度医院工作计划精选篇7
      | 篇\s*(?P<d>\d{1,3})                      # …篇4
      | (?P<e>\d{1,2})                           # 医院创城工作实施方案2
    )\s*$""",
    re.VERBOSE,
)
YEAR = re.compile(r"(?<![\d〔\[])((?:19|20)\d{2})\s*年(?!代)")
MAX_TITLE = 60
TITLE_WITHIN = 5  # content lines in which a lone document's title may stand


@dataclass
class Line:
    start: int  # index of the first non-blank character, in the block's cleaned text
    end: int  # index after the last non-blank character
    text: str  # folded, stripped
    furniture: str | None = None  # the id of the furniture rule it matched


@dataclass
class DocSlice:
    """The lines of one document within a block."""

    title: Line | None
    lines: list[Line]  # body lines, furniture included (flagged)
    series: bool = False
    cut: bool = False  # ended early because it grew past the size limit
    warnings: list[dict] = field(default_factory=list)

    @property
    def content(self) -> list[Line]:
        return [ln for ln in self.lines if ln.furniture is None]


@dataclass
class SplitState:
    """What one block tells the next: the series stem in use."""

    stem: str | None = None


def lines_of(text: Text) -> list[Line]:
    out = []
    pos = 0
    folded = text.fold
    for raw_line in folded.split("\n"):
        stripped = raw_line.strip()
        if stripped:
            lead = len(raw_line) - len(raw_line.lstrip())
            out.append(Line(pos + lead, pos + lead + len(stripped), stripped))
        pos += len(raw_line) + 1
    return out


def mark_furniture(lines: list[Line], restarts: frozenset[int] = frozenset()) -> None:
    """Flag the lines that belong to the site, not to a document.

    A tail rule makes every line after it furniture, up to the next document start in
    ``restarts`` (a page stacked several times over has a tail after each copy).
    """
    rules = load("furniture.tsv")
    tail = False
    for i, line in enumerate(lines):
        line.furniture = None
        if i in restarts:
            tail = False
        for rule in rules:
            if rule.regex.search(line.text):
                line.furniture = rule.id
                if rule["scope"] == "tail":
                    tail = True
                break
        else:
            if tail:
                line.furniture = "tail"


def genre_kind(text: str) -> str | None:
    """``plan`` or ``report`` from the genre word of a title; the last word decides."""
    return genre(text)[0]


def genre(text: str) -> tuple[str | None, bool]:
    """The title's genre kind, and whether it decides the kind of every section.

    A 工作总结 is a report throughout unless a heading says otherwise; a 政府工作报告
    reviews a year and then plans the next, so its sections are read one by one.
    """
    best, decisive, at = None, False, -1
    for rule in load("genre.tsv"):
        pos = text.rfind(rule["word"])
        if pos > at:
            best, decisive, at = rule["kind"], rule["decisive"] == "yes", pos
    return best, decisive


def is_title(line: Line, *, in_tail: bool = False) -> bool:
    text = line.text
    return (
        (line.furniture is None or (in_tail and line.furniture == "tail"))
        and 4 <= len(text) <= MAX_TITLE
        and text[-1] not in SENTENCE_END + "《“(["
        and "," not in text
        and not OUTLINE_START.match(text)
        and genre_kind(text) is not None
    )


def series_number(text: str) -> tuple[str, int] | None:
    m = SERIES.match(text)
    if not m or genre_kind(m.group("stem")) is None:
        return None
    number = next(int(v) for k, v in m.groupdict().items() if k != "stem" and v)
    return re.sub(r"\s+", "", m.group("stem")), number


def find_series(lines: list[Line], state: SplitState) -> list[int]:
    """Indices of the lines that open documents of a numbered series (empty if none)."""
    groups: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for i, line in enumerate(lines):
        if is_title(line, in_tail=True) and (hit := series_number(line.text)):
            groups[hit[0]].append((i, hit[1]))
    best: list[int] = []
    for stem, members in groups.items():
        chosen: list[int] = []
        last: int | None = None
        for i, n in members:
            # 1 opens (or reopens) a series; n follows n - 1; a series carried over from
            # the previous block may go on at any number.
            if n == 1 or (last is not None and n == last + 1) or (
                not chosen and stem == state.stem
            ):
                chosen.append(i)
                last = n
        enough = len(chosen) >= 2 or stem == state.stem or (
            len(chosen) == 1 and any(_stem_heading(ln.text, stem) for ln in lines)
        )
        if enough and len(chosen) > len(best):
            best = chosen
            state.stem = stem
    return best


def _stem_heading(text: str, stem: str) -> bool:
    return re.sub(r"\s+", "", text) == stem


def split(text: Text, state: SplitState, *, final: bool) -> tuple[list[DocSlice], int | None]:
    """The documents of one block, and where the unfinished last one starts (if not final).

    Returns ``(docs, carry)``: ``carry`` is the index in the block's cleaned text from
    which the next block must be prepended, or ``None``.
    """
    lines = lines_of(text)
    mark_furniture(lines)
    starts = find_series(lines, state)
    series = bool(starts)
    if series:
        mark_furniture(lines, frozenset(starts))
    if not starts:
        # One document: it starts at a title among its first content lines, else at its
        # first content line; a title-like line deep in the text must not drop what precedes.
        content = [i for i, ln in enumerate(lines) if ln.furniture is None]
        first = next((i for i in content[:TITLE_WITHIN] if is_title(lines[i])), None)
        if first is None and content:
            first = content[0]
        starts = [first] if first is not None else []
    docs: list[DocSlice] = []
    for k, i in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else len(lines)
        head = lines[i]
        title = head if is_title(head) else None
        body = lines[i + 1 : stop] if title else lines[i:stop]
        # A tail rule inside one document must not leak into the next one's lines.
        docs.append(DocSlice(title, body, series=series))
    carry = None
    if not final and docs:
        carry = (docs[-1].title or docs[-1].lines[0]).start
        docs.pop()
    return docs, carry


def document_year(title: str | None, series: bool, body: str) -> tuple[int | None, str | None]:
    """The year a document states: its own title, else its opening, else its body.

    A title of a numbered series was written by the publishing site (a 2023 page of 2009
    plans), so its year does not count.
    """
    if title and not series and (m := YEAR.search(title)):
        return int(m.group(1)), "title"
    opening = body[:200]
    if m := YEAR.search(opening):
        return int(m.group(1)), "opening"
    years = [int(y) for y in YEAR.findall(body)]
    if years:
        counts: dict[int, int] = defaultdict(int)
        for y in years:
            counts[y] += 1
        top = max(counts.values())
        return min(y for y, c in counts.items() if c == top), "body"
    return None, None
