"""Responsible units: organizations, offices and role-holders given work, with their role.

Works on jieba's words. A unit ends in a *head* word (a word ending in 科, 办, 部门,
领导小组, … or a listed name; ``pipeline/data/unit_heads.tsv``) and reaches left over the
words that can name it: prefixes (各, 院, 市), a template's blank (__市), and nouns, as
jieba's dictionary tags them; a verb, preposition, pronoun or a listed stop word ends it,
and a *whole* head (党中央, 国家) takes nothing before it. Generic heads (办, 部门, 单位)
count alone only where a direct cue gives them work (分解到科室, 单位要…), so 办好 or 部门
in passing are not units. A coordinated list is one unit when its parts share the head
(省、市、县爱卫会, 公安、交通等部门); 市委市政府 is two; 人大及其常委会 is one.

The role comes from the rule of ``unit_roles.tsv`` with the highest priority that its
context matches: cue words before it (根据, 配合, 报, 在 for a place), after it (牵头, 配合,
督导, 要), around it (在…的领导下, 向…报送, 接受…的监督), or in its name (…领导小组,
督导…); a cue before a list reaches its items, and a list shares its strongest cue. A unit
that opens its clause and is followed by a verb is responsible; followed by a noun or a
count it is a topic (县人民医院门诊量…, 检验科各1名). A unit left with no role is dropped,
except where a rule keeps it (办公室设在党办, 文件下发到各科室) and a newly formed body
(…领导小组): the contract tags units *given* work. Each unit records the id of the rule
that gave its role (``UnitItem.rule``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import jieba

from ..rules import load

MAX_UNIT = 32
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
ACT_TAGS = {"v", "vd", "vg", "d", "ad"}
NOUN_TAGS = {"n", "nr", "ns", "nt", "nz", "vn", "an", "j", "ng"}
HAN = re.compile(r"^[\u4e00-\u9fff]+$")
CLAUSE = re.compile(r"[,;。:!?\n]")
ADMIN = set("省市县区镇乡村")
# one-character levels that share the head of the name they precede (院、科领导; 党、团、工会)
LEVELS = ADMIN | set("院科校局处党团")
# short forms that stand for a full name given earlier in the document (领导小组, 办公室)
SHORT_FORMS = ("领导小组办公室", "领导小组", "工作领导小组", "工作小组", "小组", "工作组", "办公室",
               "委员会", "指挥部", "重点医院")
# the last words of a body's full name that may stand for it later (志愿者协会 after
# 首都医科大学宣武医院志愿者协会): a short form of four or more characters ending so
NAMED_BODIES = ("协会", "学会", "分会", "中心", "委员会", "办公室", "部", "处", "科", "室", "队")
QUOTED = re.compile(r"《[^《》\n]{0,80}》")
ENUMERATOR = re.compile(r"^(?:[一二三四五六七八九十]是|首先|其次|再次|最后|同时|另外|此外)$")
FUNCTION_CHARS = set("由报按需经至到和与及是把对向在从为以请将让使给被就并了的不")
COMMITTEES = ("领导小组", "工作小组", "工作组", "委员会", "指挥部")
TASK_FORCES = (*COMMITTEES, "小组", "组")  # names that may hold verbs (环境卫生督查小组)
OFFICES = (*COMMITTEES, "办公室", "办")
HARD_STOPS = {"成立", "设立", "下设", "组建", "建立", "健全", "调整", "充实", "召开", "由", "在"}
# verbs a task force is named for (环境卫生督查小组), though they end other names
TASK_VERBS = {"督查", "督导", "督促", "协调", "推进", "深化", "争创", "规范", "推动", "考核"}
# 具体负责落实领导小组决策: a duty verb before a short form ends it (no committee is named so)
DUTIES = {"负责", "具体", "落实", "牵头", "配合", "协助", "会同", "督促", "要", "须", "应"}
# 洪卫办字〔20xx〕3号: the issuer of a document number, not a unit at work
ISSUER = re.compile(r"\s*(?:字\s*)?[〔\[]|\s*令第")
MARKER = re.compile(r"^[\s\d一二三四五六七八九十()、.]*[)、.]\s*|^\s+")
LIST_REST = re.compile(r"^(?:[、和及与][^、,。;:和及与各共\d]{1,10})+(?=[、,。;:和及与各共\d]|$)")
COUNT = re.compile(r"^[各共]?[\d一二两三四五六七八九十]+[名人个家所]")
# a template's blank for a place (__市, xxxx区) or a choice of level (县(区)) opens a name
PLACEHOLDER = re.compile(r"(?:_{2,}|[xX×]{2,}|[省市县区][((][市县区镇][))])$")
# 卫生健康委(卫健办): a short form in brackets belongs to the name before it
ALIAS = re.compile(r"[((]([\u4e00-\u9fff]{1,8})[))]")
COORD = re.compile(r"\s*(?:、|和|及|与|以及)\s*(?:全体|所有)?")
# the issuer at the head of a cited title: a government, commission, bureau or office
ISSUING_BODY = re.compile(r"(?:国务院|政府|委员会|委|局|厅|办公室|办|部)$")
# cues that name what is acted upon: a noun after X makes X a modifier (X制度, X大厅)
NOUN_TOPIC = {"control", "encourage", "set_up", "stationed"}
# a title the author drafts or issues itself (制定了《…》, 印发《…》): no authority over it
OWN_PAPERS = re.compile(r"(?:制定|印发|出台|下发|修订|起草|制发|编制)")
# bodies a plan sets up with a function (下设…组, 成立案审委员会)
BODIES = (*OFFICES, "小组", "组", "队", "部", "科", "室", "中心", "站", "协会")
POSTS = ("员", "顾问", "主任", "干事")  # 设立保洁员, 负责…: a post set up with its duty
# what may stand before a unit that opens its clause: 由, 每个 (每个卫生员负责…), 其中, 二是
OPENERS = re.compile(r"(?:各|由|请|凡|每个|每位|每名|其中|[一二三四五六七八九十]是|同时)?")
# 县公立医院下转患者同比增长50%, 村卫生室公有产权率达75%: a unit that opens a figure is its topic
STATISTIC = re.compile(r"率|%|同比|环比")
# a lead-in that sets up the bodies listed after its colon (下设:甲组、乙组)
SET_UP_LIST = re.compile(r"(?:下设|成立了?|组建了?|设立了?)\s*[::]\s*$")
# Latin letters directly before a name are part of it (B超室, CT室)
LATIN_PREFIX = re.compile(r"(?<![A-Za-z0-9_.])[A-Za-z]{1,4}$")
# a service number directly before a name (120急救指挥中心); a count (3家) is no part of it
HOTLINE = re.compile(r"(?<![\d.])\d{3,5}$")
# rules that name the one made to act (由X, 配合X, 组织X): X's own verb, where stated, wins
DEFER = {"put_on", "work_for", "ask", "control", "encourage", "invite", "set_up"}
# the plan's own superiors: under their leadership the plan's staff are led, not ruled from
# outside (在院长的领导下 -> lead; 在市委的领导下 -> authority)
OWN_SUPERIORS = re.compile(
    r"(?:院长|局长|校长)$|^(?:院|局|校|委)?(?:党委|党组|党总支|党支部|领导|领导班子|班子|书记)$"
    r"|^(?:医院|院)\S*(?:领导小组|委员会)$")


class RuleInfo(NamedTuple):
    priority: int
    keep: bool
    bare: bool


@dataclass
class UnitItem:
    start: int
    end: int
    name: str
    role: str
    rule: str = ""  # the id of the unit_roles.tsv rule that gave the role (or opens_clause/none)
    shared: bool = False  # the role came from another item of its list
    split: list[str] = field(default_factory=list)  # canonical parts of a list in one span


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
    heads = _heads()
    out = {w for w, tag in _tagged() if tag in STOP_TAGS}
    out -= heads["prefix"] | heads["suffix"] | heads.get("word", set())
    return frozenset(out | heads["stop"])


@lru_cache(maxsize=1)
def _not_heads() -> frozenset[str]:
    """Words that never end a unit: verbs, function words (fixed phrases like 上级部门 may)."""
    return frozenset(w for w, tag in _tagged() if tag in STOP_TAGS - {"l", "i", "x", "zg"})


@lru_cache(maxsize=1)
def _acts() -> frozenset[str]:
    """Verbs, modals and adverbs: a unit followed by one is doing something."""
    return frozenset(w for w, tag in _tagged() if tag in ACT_TAGS) | _heads()["stop"]


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, str]:
    """jieba's dictionary: word -> part-of-speech tag (read once; ~350 k words)."""
    path = Path(jieba.__file__).parent / "dict.txt"
    out = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3:
                out[parts[0]] = parts[2]
    return out


def _tagged() -> Iterable[tuple[str, str]]:
    return _lexicon().items()


@lru_cache(maxsize=1)
def _nouns() -> frozenset[str]:
    return frozenset(w for w, tag in _tagged() if tag in NOUN_TAGS)


@lru_cache(maxsize=1)
def _roles() -> list[tuple[str, re.Pattern[str], re.Pattern[str] | None, str, str]]:
    """(position, pattern, after-pattern for ``around``, role, id), in file order."""
    out = []
    for r in load("unit_roles.tsv"):
        second = re.compile(r["after_pattern"]) if r.fields.get("after_pattern") else None
        out.append((r["position"], r.regex, second, r["role"], r["id"]))
    return out


@lru_cache(maxsize=1)
def _rule_table() -> dict[str, RuleInfo]:
    """Each rule id's priority, whether it keeps a unit without a role (办公室设在党办), and
    whether a bare head (科室) may take it."""
    return {
        r["id"]: RuleInfo(int(r["priority"]), r["keep"] == "yes", r["bare"] == "yes")
        for r in load("unit_roles.tsv")
    }


@lru_cache(maxsize=65536)
def _is_head(word: str) -> bool:
    heads = _heads()
    excluded = heads.get("exclude", set())
    if word in excluded or any(word.endswith(x) for x in excluded if len(x) > 1):
        return False
    if word in heads.get("word", ()) or word in heads.get("bare", ()):
        return True
    if word[:1] == "各" and (word[1:] in heads.get("bare", ()) or word[1:].endswith(_suffixes())):
        return True  # 各村, 各科, 各班 (one word to jieba)
    if "各" in word[1:] and word not in _dictionary():
        return False  # 监督各科: jieba's guess glued a verb to 各科
    return word.endswith(_suffixes()) and HAN.match(word) is not None and word not in _not_heads()


def _dictionary() -> dict[str, str]:
    """Every word of jieba's dictionary (a word outside it was guessed by the HMM)."""
    return _lexicon()


@lru_cache(maxsize=65536)
def _can_name(word: str) -> int:
    """How many characters of ``word``, from its end, can belong to a unit's name.

    0 stops the name. A word jieba guessed (not in its dictionary) that opens with a
    function character (由院, 报市, 需经) gives only what follows it; an enumerator (二是)
    gives nothing.
    """
    heads = _heads()
    if word in heads["prefix"]:
        return len(word)
    if not HAN.match(word) or word in _stop_words() or word in heads.get("exclude", ()):
        return 0
    if ENUMERATOR.match(word):
        return 0
    if word not in _dictionary():
        cut = max((i for i, c in enumerate(word) if c in FUNCTION_CHARS), default=-1)
        if cut >= 0:  # 由院 -> 院; 检查和 -> nothing
            rest = word[cut + 1 :]
            named = rest in heads["prefix"] or rest in _nouns() or rest not in _dictionary()
            return len(rest) if rest and named else 0  # 由院 -> 院, 拟在淦 -> 淦, 不评 -> -
    return len(word)


def extract(words: list[str], text: str, skip: list[tuple[int, int]] = ()) -> list[UnitItem]:
    """Units in a document given its jieba ``words`` (which join to ``text``).

    Nothing is tagged inside the ``skip`` ranges (a title) or inside 《…》 (a document name).
    A name with no role in its context is usually a place, a topic or an object (县公立医院
    下转患者…); only a body being formed (成立…领导小组) is kept without one, unless a cue
    says it is only where or what the work is (召开…委员会会议).
    """
    found = candidates(words, text, skip)
    _full_names(found, text)
    return [u for u in found if given_work(u)]


def _full_names(units: list[UnitItem], text: str) -> None:
    """Every mention carries the full name: a short form (领导小组, 办公室) after a full name
    that ends in it takes that name; the office a group sets up (领导小组下设办公室) is the
    group's office; a short form in brackets (医院办公室(院办)) stands for the name before it.
    A leading group named by its short form is the plan's own, so it leads rather than being
    an authority over the plan."""
    full: dict[str, str] = {}
    seen: dict[str, None] = {}  # names given so far, the most recent last, each once
    last_group = ""
    for u in units:
        body = _canonical(text[u.start : u.end])
        if body in SHORT_FORMS or body in full:
            if body == "办公室" and last_group and "下设" in text[max(0, u.start - 6) : u.start]:
                full[body] = full["领导小组办公室"] = last_group + "办公室"
            u.name = full.get(body, u.name)
            if body.endswith(COMMITTEES) and u.role == "authority":
                u.role, u.rule = "lead", "own_group"
        elif (longer := _longer_name(body, seen)) is not None:
            u.name = longer
        else:
            for short in SHORT_FORMS:
                if body.endswith(short) and body != short:
                    full[short] = u.name
            alias = ALIAS.search(body)
            if alias and alias.end() == len(body) and alias.start() > 0 and not u.split:
                u.name = _canonical(body[: alias.start()])  # 医院办公室(院办): one office
                full[alias.group(1)] = u.name
        if u.name.endswith(COMMITTEES):
            last_group = u.name
        if not u.split:
            seen.pop(u.name, None)
            seen[u.name] = None


def _longer_name(body: str, seen: dict[str, None]) -> str | None:
    """The full name given earlier that ``body`` is the last words of (志愿者协会 after
    首都医科大学宣武医院志愿者协会), for a named body of four or more characters or a post
    (宣传员 after 健康教育宣传员), or
    for a bureau named by its level (县局 after __县卫健局); a
    distributive (各科室) or a whole-area name (全县医疗机构) stands for no one body."""
    if len(body) == 2 and body[0] in ADMIN and body[1] == "局":
        # 县局 after __县卫健局: a bureau named by its level (县委, 市委 are other bodies)
        return next((n for n in reversed(seen) if len(n) > 2 and n.endswith("局")
                     and body[0] in n[:-1]), None)
    post = len(body) >= 3 and body.endswith(POSTS)  # 宣传员 after 健康教育宣传员
    if (len(body) < 4 and not post) or not body.endswith(NAMED_BODIES + POSTS) or (
            body[0] in "各全本每"):
        return None
    return next((n for n in reversed(seen) if n.endswith(body) and n != body
                 and n[0] not in "各全本每"), None)


def given_work(unit: UnitItem) -> bool:
    """Whether a candidate is tagged: it has a role, a rule keeps it, or it is a new body."""
    info = _rule_table().get(unit.rule)
    return (
        unit.role != "other"
        or (info is not None and info.keep)
        or (unit.rule == "none" and unit.name.endswith(COMMITTEES))
    )


def candidates(
    words: list[str], text: str, skip: list[tuple[int, int]] = ()
) -> list[UnitItem]:
    """Every name that ends in a head word, with the role its context gives (or ``other``)."""
    words = _unglue(words)
    starts = []
    at = 0
    for w in words:
        starts.append(at)
        at += len(w)
    quiet = [*skip, *((m.start(), m.end()) for m in QUOTED.finditer(text))]
    title_heads = {m.start() + 1 for m in QUOTED.finditer(text)}  # 《国务院关于…》: its issuer
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
            if words[j + 1][:1] in ADMIN and len(words[j + 1]) > 2:
                break  # 市委市政府: two whole names, two units
            j += 1
        k, s = i, starts[i]
        end = starts[j] + len(words[j])
        committee = any(w.endswith(TASK_FORCES) for w in words[i : j + 1])
        while k > 0 and end - starts[k - 1] <= MAX_UNIT:
            word = words[k - 1]
            if _is_head(word) and words[k][:1] in ADMIN and len(words[k]) > 2:
                break  # 市委 | 市政府: a whole name starts here
            whole = words[j] in heads.get("whole", ()) and word not in heads["prefix"]
            # 监督|各科: a verb before 各 is what is done to the units, not part of their name
            whole = whole or (words[k][:1] == "各" and _lexicon().get(word) in ("v", "vn", "vd"))
            if word in HARD_STOPS or whole:
                break  # 调整|医院感染管理委员会; 适龄儿童|国家
            keep = _can_name(word) or (len(word) if committee and _in_committee_name(word) else 0)
            if not keep:
                break
            k -= 1
            s = starts[k] + len(word) - keep
            if keep < len(word):
                break
        if k >= 2 and words[k - 1] == "等" and (words[i] in bare or words[i].endswith(GENERIC)):
            k = _list_start(words, starts, k - 1, end)  # 公安、教育、民政等部门
            s = starts[k]
        while (k >= 2 and words[k - 1] == "、" and words[k - 2] in LEVELS
               and (words[k] in LEVELS or k < i or words[k] in heads.get("word", ()))
               and not (k == i == j and words[i] in bare)):
            k -= 2  # 省、市、县爱卫会, 院、科领导, 市、区、街道: levels sharing one head
            s = starts[k]
        lead = PLACEHOLDER.search(text, max(0, s - 12), s)
        if lead and lead.end() == s:
            s = lead.start()  # __市卫生计生委, xxxx区卫生局, 县(区)卫生计生部门: part of the name
        latin = LATIN_PREFIX.search(text, max(0, s - 5), s)
        if latin and latin.end() == s:
            s = latin.start()  # B超室, CT室, DR室: the letters name the room
        number = HOTLINE.search(text, max(0, s - 8), s)
        if number and number.end() == s:
            s = number.start()  # 120急救指挥中心, 12345热线办公室: a service number names it
        i = j + 1
        e = end
        alias = ALIAS.match(text, e)
        if alias and (_is_head(alias.group(1)[-1:]) or _is_head(alias.group(1)[-2:])):
            e = alias.end()
        body = text[s:e]
        if words[j] == "领导" and text[e : e + 1] == "下":
            continue
        if (any(a <= s < b for a, b in quiet) and s not in title_heads) or ISSUER.match(text, e):
            continue
        if _cut_fragment(text, s, e):
            continue
        unit = UnitItem(s, e, _canonical(body), *_role(text, s, e, body), split=_split(body))
        info = _rule_table().get(unit.rule)
        if s == starts[j] and words[j] in bare and not (info and info.bare):
            continue  # 部门, 科室 alone: a unit only where a cue gives it work (配合政府)
        if s in title_heads and unit.rule != "cited_title":
            continue  # inside a title only its issuer is a unit
        found.append(unit)
    found = _join_parts(_outermost(found), text)
    for u in found:
        _extend_generic(u, text)
    found = _outermost(found)
    found = sorted([*found, *_short_names(found, text)], key=lambda u: u.start)
    found = [part for u in found for part in _whole_parts(u, text)]
    _share_roles(found, text)
    return found


def _join_parts(units: list[UnitItem], text: str) -> list[UnitItem]:
    """同级人大及其常委会: a body and its own organ (及其, "and its") are one unit."""
    out: list[UnitItem] = []
    for u in units:
        if out and text[out[-1].end : u.start] == "及其":
            last = out[-1]
            name = _canonical(text[last.start : u.end])
            out[-1] = UnitItem(last.start, u.end, name, last.role, last.rule)
            continue
        if out and out[-1].split and text[out[-1].end : u.start] in ("和", "及"):
            last = out[-1]  # 党、团、工会和妇女组织: the list goes on past 和
            body = text[last.start : u.end]
            out[-1] = UnitItem(last.start, u.end, _canonical(body),
                               *_role(text, last.start, u.end, body), split=_split(body))
            continue
        out.append(u)
    return out


def _split(body: str) -> list[str]:
    """The canonical parts of a list tagged as one span, or [] for a single name.

    A part that is not a name of its own takes the shared head: 省、市、县爱卫会 -> 省爱卫会,
    市爱卫会, 县爱卫会; 公安、交通等部门 -> 公安部门, 交通部门; 党、团、工会和妇女组织 ->
    党组织, 团组织, 工会, 妇女组织. 市、区、街道 are whole names as they stand.
    """
    shared = ""
    listed = re.match(r"^(.+?)等([\u4e00-\u9fff]{0,4}?(?:部门|单位|机构|科室))$", body)
    if listed:
        body, shared = listed.group(1), listed.group(2)
    if "、" not in body and not shared:
        return []  # 卫生和计划生育委员会: one name with 和 inside
    parts = [x for x in COORD.split(_canonical(body)) if x]
    if len(parts) < 2 and not shared:
        return []
    last = parts[-1]
    if not shared:
        if len(last) > 1 and last[0] in LEVELS and _is_head(last[1:]):
            shared = last[1:]
        else:
            shared = next((h for h in _suffixes() if last.endswith(h) and h != last), "")
    out = []
    for x in parts if listed else parts[:-1]:
        whole = len(x) > 1 and (_is_head(x) or x.endswith(_suffixes()))
        out.append(x if whole or not shared else x + shared)
    return out if listed else [*out, last]


def _unglue(words: list[str]) -> list[str]:
    """委的 -> 委 + 的: a particle that jieba's guessing glued to the end of a word."""
    out = []
    for w in words:
        if len(w) > 2 and w[:2] in ("党的", "党和"):
            out += [w[0], w[1], w[2:]]  # 党的路线, 党和政府: the Party is a unit of its own
        elif len(w) == 2 and w[0] in FUNCTION_CHARS and w not in _dictionary() and _is_head(w[1]):
            out += [w[0], w[1]]  # 以党: jieba's guess glued a preposition to a one-word name
        elif len(w) > 1 and w[-1] in "的了" and w not in _dictionary():
            out += [w[:-1], w[-1]]
        else:
            out.append(w)
    return out


def _list_start(words: list[str], starts: list[int], k: int, end: int) -> int:
    """The first word of the list that ends before ``words[k]`` (公安、教育、民政 before 等)."""
    first = k
    while first > 0 and end - starts[first - 1] <= MAX_UNIT:
        word = words[first - 1]
        if word != "、" and _can_name(word) != len(word):
            break
        first -= 1
    while first < k and words[first] == "、":
        first += 1
    return first


def _outermost(units: list[UnitItem]) -> list[UnitItem]:
    """卫生局 inside 卫生局创文领导小组办公室: keep only the longer name."""
    units = sorted(units, key=lambda u: (u.start, -u.end))
    out: list[UnitItem] = []
    for u in units:
        if out and out[-1].start <= u.start and u.end <= out[-1].end:
            continue
        while out and u.start <= out[-1].start and out[-1].end <= u.end:
            out.pop()
        out.append(u)
    return out


def _in_committee_name(word: str) -> bool:
    """Task-force names hold verbs (创建文明城市工作领导小组); hard stops still end them."""
    return (
        HAN.match(word) is not None
        and not ENUMERATOR.match(word)
        and word not in HARD_STOPS
        and word not in DUTIES
        and (word not in _heads()["stop"] or word in TASK_VERBS)  # 强化|科室病案质量小组
        and word not in _heads()["prefix"] - {"各"}
        and word[-1] not in FUNCTION_CHARS
    )


def _share_roles(units: list[UnitItem], text: str) -> None:
    """市委、市政府和市卫生局党委的领导下: a coordinated list shares one role.

    The cue with the highest priority wins, so 拟在甲、乙、丙开展… is a list of places
    (在 before the first) even though the last is followed by a verb.
    """
    table = _rule_table()
    group: list[UnitItem] = []
    for u in [*units, None]:
        if u is not None and group and COORD.fullmatch(text[group[-1].end : u.start]):
            group.append(u)
            continue
        if len(group) > 1:
            cued = [g for g in group if g.rule in table]
            given = [g for g in group if g.role != "other"]
            best = (
                max(cued, key=lambda g: table[g.rule].priority)
                if cued
                else given[-1] if given else None
            )
            if best is not None:
                for g in group:
                    if g is not best and g.rule != best.rule:
                        g.role, g.rule, g.shared = best.role, best.rule, True
        group = [u] if u is not None else []


def _canonical(name: str) -> str:
    """Simplified, brackets and spaces folded; 医院团委 is 院团委 (医院 before one of the
    hospital's own bodies is its short 院)."""
    name = name.replace("(", "(").replace(")", ")").replace(" ", "")
    rest = name[2:]
    if name.startswith("医院") and (rest in _heads().get("word", ()) or rest in _own_bodies()):
        return "院" + rest
    return name


@lru_cache(maxsize=1)
def _own_bodies() -> frozenset[str]:
    """Offices and bodies our user dictionary lists (团委, 党总支, 医务科, …)."""
    from .tokenizer import USERDICT

    lines = USERDICT.read_text(encoding="utf-8").splitlines()
    return frozenset(p[0] for p in (ln.split() for ln in lines) if len(p) == 3 and p[2] == "nt")


def _role(text: str, s: int, e: int, name: str) -> tuple[str, str]:
    """``(role, rule id)``: the first rule of ``unit_roles.tsv`` (by priority) that matches."""
    clause_from = max(
        (m.end() for m in CLAUSE.finditer(text, max(0, s - 30), s)), default=max(0, s - 30)
    )
    before = MARKER.sub("", text[clause_from:s])  # (1)妇科: an item's marker is not context
    listed_after_colon = not before.strip() or re.fullmatch(r"[^,。;:]*、", before)
    if listed_after_colon and SET_UP_LIST.search(text, max(0, clause_from - 8), clause_from):
        return "responsible", "set_up"  # 领导小组下设:甲组、乙组: bodies set up with a function
    after = re.split(r"[。;!?\n]", text[e : e + 40], maxsplit=1)[0]
    listed = _before_list(before)
    for position, pattern, second, role, rid in _roles():
        if position == "name":
            hit = pattern.search(name)
        elif position == "before":
            hit = pattern.search(before) or any(pattern.search(x) for x in listed)
        elif position == "after":
            hit = pattern.search(after)
        else:
            hit = (pattern.search(before) or any(pattern.search(x) for x in listed)) and (
                second is not None and second.search(after)
            )
        if not hit or (rid == "honour" and name.endswith(OFFICES)):
            continue  # 创建文明城市办公室 is an office, not a title sought
        if rid == "issued_doc" and OWN_PAPERS.search(before):
            continue  # 制定了本委关于印发《…》的通知: the author's own paper
        if rid == "cited_title" and (not ISSUING_BODY.search(name) or _own_titles(text, s)):
            continue  # 《医疗机构管理条例》: a subject; 制定了《本委…办法》: the author's own paper
        if rid == "auth_under" and OWN_SUPERIORS.search(name):
            return "lead", rid
        if rid == "set_up" and not name.endswith(BODIES) and not name.endswith(POSTS):
            continue  # 设立了人民医院和中医院2个党委: where a body is set up, not the body
        if rid in DEFER:  # 配合X开展测评: X's own act, where stated, gives its role
            own = _first_after_role(after)
            if own:
                return own[0], rid
            if rid in NOUN_TOPIC and _names_next(after.lstrip("“\"")):
                continue  # 推动党支部“五化”建设, 建立法律顾问制度: X names whose work it is
            return role, rid
        if rid in NOUN_TOPIC and _names_next(after.lstrip("“\"")):
            continue  # 进驻市政务服务中心大厅: the place is the hall, not the centre
        return role, rid
    opens = not before.strip() or OPENERS.fullmatch(before.strip())
    if opens and not _names_next(after) and not STATISTIC.search(after.split(",")[0]):
        return "responsible", "opens_clause"
    return "other", "none"


def _before_list(before: str) -> list[str]:
    """配合市、区、(街道): what precedes the list the unit ends, at each place its first
    item (a short name) could start, so that a cue before a list applies to its last item."""
    if not before.endswith("、"):
        return []
    first = before.split("、")[0]
    return [first[:p] for p in range(len(first) - 1, max(0, len(first) - 6) - 1, -1)]


def _names_next(after: str) -> bool:
    """Whether a noun, 的 or a count follows the unit (县人民医院门诊量…, 检验科、放射科各1名):
    a topic, not an actor. The rest of a list the unit opens is skipped."""
    from .tokenizer import cut

    after = LIST_REST.sub("", after)
    if COUNT.match(after):
        return True
    words = [w for w in cut(after[:8]) if w.strip()]
    if not words:
        return False
    first = words[0]
    return first == "的" or (first in _plain_nouns() and first not in _acts())


@lru_cache(maxsize=1)
def _plain_nouns() -> frozenset[str]:
    """Nouns for the topic test; jieba's ``nz`` holds many verbs (印发, 力争), so not those."""
    return frozenset(w for w, tag in _tagged() if tag in NOUN_TAGS - {"nz"})


def _first_after_role(after: str) -> tuple[str, str] | None:
    for position, pattern, _, role, rid in _roles():
        if position == "after" and pattern.search(after):
            return role, rid
    return None


def _cut_fragment(text: str, s: int, e: int) -> bool:
    """检 | 查组: a name at the start of a line that a page cut mid-word (the last character
    before the break and the first of the name make one word) is a fragment, not a unit."""
    at = s
    while at > 0 and text[at - 1] in " \t\u3000\n":
        at -= 1  # the page may indent the continued line
    if at < 1 or "\n" not in text[at:s] or not HAN.match(text[at - 1]):
        return False
    return text[at - 1] + text[s] in _dictionary()


GENERIC = ("单位", "部门", "科室", "机构")
MORE_GENERIC = re.compile(r"、(单位|部门|科室|机构)(?!负责人|领导|人员|职工|干部|主任)")


def _extend_generic(unit: UnitItem, text: str) -> None:
    """全区各单位、部门: a bare generic head after a name shares its prefix; one span, split."""
    more = MORE_GENERIC.match(text, unit.end)
    head = next((h for h in GENERIC if unit.name.endswith(h)), "")
    if not more or not head or unit.split or len(unit.name) == len(head):
        return
    first = unit.name
    unit.end = more.end()
    unit.name = _canonical(text[unit.start : unit.end])
    unit.split = [first, first[: -len(head)] + more.group(1)]


SHORT_LIST = re.compile(r"((?:[\u4e00-\u9fff]{2}、)+)$")


def _short_names(units: list[UnitItem], text: str) -> list[UnitItem]:
    """公安、司法、政府法制部门: short department names listed before a whole name are units
    of their own (every part a whole name, nothing shared), with the list's role."""
    out = []
    for u in units:
        if not u.name.endswith(("部门", "机关")) or u.split:
            continue
        listed = SHORT_LIST.search(text, max(0, u.start - 30), u.start)
        if not listed:
            continue
        at = listed.start()
        for part in listed.group(1).split("、")[:-1]:
            if _lexicon().get(part) in ("n", "vn", "nt", "j") and not _is_head(part):
                out.append(UnitItem(at, at + 2, part, u.role, u.rule, shared=True))
            at += len(part) + 1
    return out


def _whole_parts(unit: UnitItem, text: str) -> list[UnitItem]:
    """市、区、街道: a list whose every part is a whole name and shares nothing is one unit
    per part (a split names the parts of one span only where they share something)."""
    body = text[unit.start : unit.end]
    raw = [x for x in COORD.split(body) if x]
    if not unit.split or [_canonical(x) for x in raw] != unit.split:
        return [unit]
    out, at = [], unit.start
    for part in raw:
        at = text.index(part, at)
        out.append(UnitItem(at, at + len(part), _canonical(part), unit.role, unit.rule,
                            shared=True))
        at += len(part)
    return out


def _own_titles(text: str, s: int) -> bool:
    """制定了《甲》《乙》、《丙》: every title of a chain the author drafts is its own paper."""
    sentence = re.split(r"[。;!?\n]", text[max(0, s - 300) : s])[-1]
    lead = sentence.split("《", 1)[0]
    return OWN_PAPERS.search(lead[-12:]) is not None
