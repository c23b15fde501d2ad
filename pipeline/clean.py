"""Stage 2, clean: remove converter and markup noise, keeping an offset map.

Each cleaner is a small pure function that finds edits; :func:`clean` applies them all in
one pass and returns the text, the steps applied (ftfy's "explain") and a map from every
cleaned character back to its index in the original text. Nothing is dropped silently:
broken characters are kept and reported as warnings with their spans.
"""

from __future__ import annotations

import html
import re
import unicodedata
from array import array
from dataclasses import dataclass, field
from functools import lru_cache

# A bracket right after a character, holding something that looks like one pinyin syllable.
TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
PINYIN_BRACKET = re.compile(
    rf"""
    (?P<char>[^\s(（)）])            # the character the reading belongs to
    [(（]
    (?P<reading>[a-zü{TONED}]{{1,7}}) # one syllable: letters only, no digits, no spaces
    [)）]
    """,
    re.VERBOSE,
)
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]{0,10}(?:\s[^<>\n]{0,200})?\s*/?>")
HTML_ENTITY = re.compile(r"&(?:[A-Za-z]{2,8}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")

# Mojibake: an ASCII '?' glued to Hanzi, or characters no Chinese text uses (kana, box
# drawing, Latin letters with pinyin-like diacritics outside a bracket) next to Hanzi.
ODD = r"[\u3040-\u30ff\u2500-\u257f\u01cd-\u01dc\u0250-\u02af]"
HAN = r"[\u3400-\u9fff\uf900-\ufaff]"
MOJIBAKE = re.compile(
    rf"""
    (?<={HAN})(?<![呢吗么嘛吧啊呀嗎麼])\?        # '?' where a Hanzi was (not a question)
      [^\s，,、；：“”"]{{0,6}}?                     # and what it garbled after it
      (?=[\s，,、；：“”"]|{HAN}{{2}}|$)
    | {ODD}+                                           # kana or box drawing in Chinese text
    """,
    re.VERBOSE,
)


@dataclass
class Cleaned:
    text: str
    map: array  # map[i] = index in the original of text[i]; map[len(text)] = len(original)
    steps: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)


@lru_cache(maxsize=4096)
def readings(char: str) -> frozenset[str]:
    """All pinyin readings of ``char``, with tone marks and without."""
    from pypinyin import Style, pinyin

    marked = pinyin(char, style=Style.TONE, heteronym=True, errors="ignore")
    plain = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    found = {r for group in marked + plain for r in group}
    return frozenset(unicodedata.normalize("NFC", r).replace("v", "ü") for r in found)


def is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def pinyin_edits(text: str) -> list[tuple[int, int, str, str]]:
    """Pinyin residue: ``醫(yī)`` -> ``醫``. Returns (start, end, replacement, step)."""
    edits = []
    for m in PINYIN_BRACKET.finditer(text):
        char, reading = m.group("char"), unicodedata.normalize("NFC", m.group("reading"))
        if is_han(char):
            if reading in readings(char):
                edits.append((m.start("reading") - 1, m.end(), "", "pinyin_residue"))
        elif any(c in TONED for c in reading):
            # The character was broken by a bad conversion (`。ǘ┓(wěn)步`); a toned syllable
            # after it is still converter residue, not content.
            edits.append((m.start("reading") - 1, m.end(), "", "pinyin_residue_after_broken"))
    return edits


def markup_edits(text: str) -> list[tuple[int, int, str, str]]:
    """HTML remnants in plain text: tags go, entities become their character."""
    edits = [(m.start(), m.end(), "", "html_tag") for m in HTML_TAG.finditer(text)]
    for m in HTML_ENTITY.finditer(text):
        char = html.unescape(m.group())
        if char != m.group():
            edits.append((m.start(), m.end(), char.replace("\xa0", " "), "html_entity"))
    return edits


def noise_warnings(text: str) -> list[dict]:
    """Broken characters are kept, and reported with their spans."""
    warnings = []
    for m in re.finditer("\ufffd+", text):
        warnings.append({"code": "replacement_character", "span": [m.start(), m.end()],
                         "message": "the source has U+FFFD replacement characters here "
                                    "(text lost before it reached us)."})
    for m in MOJIBAKE.finditer(text):
        warnings.append({"code": "mojibake", "span": [m.start(), m.end()],
                         "message": f"garbled characters {m.group()!r}: a bad encoding "
                                    "conversion upstream."})
    return warnings


def clean(text: str) -> Cleaned:
    """Apply every cleaner in one pass; see the module doc."""
    edits = sorted(pinyin_edits(text) + markup_edits(text))
    out: list[str] = []
    cmap = array("l")
    steps: list[dict] = []
    pos = 0
    for start, end, repl, step in edits:
        if start < pos:
            continue  # overlapping edits: the earlier one wins
        out.append(text[pos:start])
        cmap.extend(range(pos, start))
        out.append(repl)
        cmap.extend([start] * len(repl))
        steps.append({"step": step, "span": [start, end], "removed": text[start:end]})
        pos = end
    out.append(text[pos:])
    cmap.extend(range(pos, len(text) + 1))
    cleaned = "".join(out)
    warnings = []
    for w in noise_warnings(cleaned):  # on the cleaned text: pinyin tone letters are gone
        s, e = w["span"]
        w["span"] = [cmap[s], cmap[e - 1] + 1]
        warnings.append(w)
    for s in steps:
        if s["step"] == "pinyin_residue_after_broken":
            warnings.append({"code": "pinyin_after_broken_character", "span": s["span"],
                             "message": f"pinyin {s['removed']!r} removed after a broken "
                                        "character."})
    return Cleaned(cleaned, cmap, steps, warnings)
