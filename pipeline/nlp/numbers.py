"""Numbers as plans write them: 90, 1.37万亿, 十三万, 两, 百分之九十, 二〇〇八.

cn2an does the Chinese numerals; written multipliers (万, 亿, 万亿) after Arabic digits
and the 百分之 form are handled here because cn2an's smart mode refuses them.
"""

from __future__ import annotations

import re
from functools import lru_cache

import cn2an

CN_DIGITS = "〇零一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾"
MULTIPLIERS = {"千": 1e3, "万": 1e4, "亿": 1e8, "万亿": 1e12}
_ARABIC = re.compile(r"(\d+(?:\.\d+)?)(万亿|千|万|亿)?$")
_YEAR_DIGITS = {
    "〇": "0",
    "零": "0",
    "O": "0",
    "o": "0",
    "一": "1",
    "二": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}


@lru_cache(maxsize=4096)
def parse_number(text: str) -> float | None:
    """The value of a written number, or None when it is not one."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    if text.startswith("百分之"):
        return parse_number(text[3:])
    m = _ARABIC.match(text)
    if m:
        value = float(m.group(1))
        return value * MULTIPLIERS[m.group(2)] if m.group(2) else value
    if text == "两":
        return 2.0
    try:
        return float(cn2an.cn2an(text.replace("两", "二"), "smart"))
    except (ValueError, KeyError, IndexError):
        return None


def year_digits(text: str) -> str | None:
    """``二〇〇八`` / ``2008`` -> ``"2008"``; None when not four digits."""
    out = "".join(_YEAR_DIGITS.get(c, c) for c in text)
    return out if len(out) == 4 and out.isdigit() else None


def small_number(text: str) -> int | None:
    """1–99 for months, days, ordinals; None otherwise."""
    value = parse_number(text)
    if value is None or value != int(value) or not 0 < value < 100:
        return None
    return int(value)


def as_json_number(value: float | None) -> int | float | None:
    """Whole numbers as ints, so 90.0 prints as 90."""
    if value is None:
        return None
    return int(value) if value == int(value) and abs(value) < 1e15 else value
