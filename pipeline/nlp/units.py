"""Responsible units: organizations, offices and role-holders given work, with their role.

Works on jieba's words. A unit ends in a *head* word (a word ending in 科, 办, 部门,
领导小组, … or a listed name; ``pipeline/data/unit_heads.tsv``) and reaches left over the
words that can name it: prefixes (各, 院, 市), and nouns, as jieba's dictionary tags them;
a verb, preposition, pronoun or a listed stop word ends it. Generic heads (办, 部门, 单位)
count only with a name before them, so 办好 or 部门 alone are not units. A coordinated list
is one unit when its parts share the head (省、市、县爱卫会). The role comes from the cue
words around the unit (``unit_roles.tsv``); a unit that opens its clause is responsible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba

from ..rules import load

MAX_UNIT = 24
STOP_TAGS = {
    "v",
    "vd",
    "vg",
    "p",
    "c",
    "d",
    "u",
    "uj",
    "ul",
    "uv",
    "uz",
    "ud",
    "ug",
    "r",
    "rr",
    "rz",
    "m",
    "mq",
    "q",
    "a",
    "ad",
    "y",
    "e",
    "o",
    "f",
    "t",
    "zg",
    "x",
    "l",
    "i",
}
HAN = re.compile(r"^[\u4e00-\u9fff]+$")
CLAUSE = re.compile(r"[,;。:!?\n(“]")
ADMIN = set("省市县区镇乡村")
QUOTED = re.compile(r"《[^《》\n]{0,80}》")
COORD = re.compile(r"\s*(?:、|和|及|与|以及|,)\s*")


@dataclass
class UnitItem:
    start: int
    end: int
    name: str
    role: str


@lru_cache(maxsize=1)
def _heads() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in load("unit_heads.tsv"):
        out.setdefault(r["type"], set()).add(r["word"])
    return out


@lru_cache(maxsize=1)
def _suffixes() -> tuple[str, ...]:
    return tuple(sorted(_heads()["suffix"], key=len, reverse=True))


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """Words jieba's dictionary tags as verbs, prepositions, pronouns, … (never in a name)."""
    path = Path(jieba.__file__).parent / "dict.txt"
    out = set()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and parts[2] in STOP_TAGS:
                out.add(parts[0])
    heads = _heads()
    out -= heads["prefix"] | heads["suffix"] | heads.get("word", set())
    return frozenset(out | heads["stop"])


@lru_cache(maxsize=1)
def _roles() -> tuple[
    list[tuple[re.Pattern[str], str, str]], list[tuple[re.Pattern[str], str, str]]
]:
    before, after = [], []
    for r in load("unit_roles.tsv"):
        (before if r["position"] == "before" else after).append((r.regex, r["role"], r["id"]))
    return before, after


@lru_cache(maxsize=65536)
def _is_head(word: str) -> bool:
    heads = _heads()
    excluded = heads.get("exclude", set())
    if word in excluded or any(word.endswith(x) for x in excluded if len(x) > 1):
        return False
    if word in heads.get("word", ()) or word in heads.get("bare", ()):
        return True
    return word.endswith(_suffixes()) and HAN.match(word) is not None and word not in _stop_words()


@lru_cache(maxsize=65536)
def _can_name(word: str) -> bool:
    heads = _heads()
    if word in heads["prefix"]:
        return True
    if not HAN.match(word) or word in _stop_words() or word in heads.get("exclude", ()):
        return False
    return True


def extract(words: list[str], text: str, skip: list[tuple[int, int]] = ()) -> list[UnitItem]:
    """Units in a document given its jieba ``words`` (which join to ``text``).

    Nothing is tagged inside the ``skip`` ranges (a title) or inside 《…》 (a document name).
    """
    starts = []
    at = 0
    for w in words:
        starts.append(at)
        at += len(w)
    quiet = [*skip, *((m.start(), m.end()) for m in QUOTED.finditer(text))]
    heads = _heads()
    bare = heads["bare"]
    found: list[UnitItem] = []
    i, n = 0, len(words)
    while i < n:
        if not _is_head(words[i]):
            i += 1
            continue
        j = i
        while j + 1 < n and _is_head(words[j + 1]) and words[j + 1] not in bare:
            j += 1
        k = i
        while (
            k > 0
            and _can_name(words[k - 1])
            and starts[j] + len(words[j]) - starts[k - 1] <= MAX_UNIT
        ):
            k -= 1
        while k >= 2 and words[k - 1] == "、" and words[k - 2] in ADMIN and words[k] in ADMIN:
            k -= 2  # 省、市、县爱卫会: places sharing one head
        i = j + 1
        s, e = starts[k], starts[j] + len(words[j])
        body = "".join(words[k : j + 1])
        if k == j and words[j] in bare:
            continue
        if words[j] == "领导" and text[e : e + 1] == "下":
            continue
        if any(a <= s < b for a, b in quiet):
            continue
        found.append(UnitItem(s, e, _canonical(body), _role(text, s, e, body)))
    _share_roles(found, text)
    weak = tuple(heads.get("weak", ()))
    return [u for u in found if not (u.role == "other" and u.name.endswith(weak))]


def _share_roles(units: list[UnitItem], text: str) -> None:
    """市委、市政府和市卫生局党委的领导下: a coordinated list shares one role."""
    group: list[UnitItem] = []
    for u in [*units, None]:
        if u is not None and group and COORD.fullmatch(text[group[-1].end : u.start]):
            group.append(u)
            continue
        if len(group) > 1:
            roles = [g.role for g in group if g.role != "other"]
            if roles:
                for g in group:
                    g.role = roles[-1]
        group = [u] if u is not None else []


def _canonical(name: str) -> str:
    return name.replace("(", "(").replace(")", ")").replace(" ", "")


def _role(text: str, s: int, e: int, name: str) -> str:
    before_all = _roles()[0]
    clause_from = max(
        (m.end() for m in CLAUSE.finditer(text, max(0, s - 30), s)), default=max(0, s - 30)
    )
    before = text[clause_from:s]
    after = text[e : e + 16]
    for pat, role, rid in before_all:
        if pat.search(before):
            if rid == "auth_follow" and not re.match(
                r"^(?:的|关于|《|、)|^[^,。]{0,20}(?:要求|部署|精神|文件|方案|规定)", after
            ):
                continue
            if rid == "report_to2" and not re.match(
                r"^[^,。]{0,8}(?:报|汇报|报告|报送|提交|反馈)", after
            ):
                continue
            if rid == "put_on" and (m := _after_role(after)) is not None:
                return m
            return role
    if re.search(r"在[^,。]{0,20}$", before) and re.match(
        r"^(?:、[^,。]{0,20})?的?(?:正确|统一|坚强)?领导下", after
    ):
        return "authority"
    role = _after_role(after)
    if role is not None:
        return role
    if name.endswith(("领导小组", "指挥部")):
        return "lead"
    if not before.strip() or re.fullmatch(r"(?:各|由|请|凡|要求)?", before.strip()):
        return "responsible"
    return "other"


def _after_role(after: str) -> str | None:
    """The role cue that comes first after the unit, within its clause."""
    clause = re.split(r"[,;。:!?\n]", after, maxsplit=1)[0]
    best = None
    for pat, role, _ in _roles()[1]:
        for cut in range(0, min(len(clause), 6) + 1):
            if pat.search(clause[cut:]):
                if best is None or cut < best[0]:
                    best = (cut, role)
                break
    return best[1] if best else None
