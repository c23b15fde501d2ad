"""Stage 3, normalize: traditional -> simplified with OpenCC, and a folded copy for matching.

Both outputs have exactly the length of the cleaned text, so one index addresses the
cleaned, the simplified and the folded text alike, and the cleaning map takes it on to the
original. OpenCC's t2s keeps lengths in practice; where a phrase rule would change a
line's length, that line is converted character by character instead.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from functools import lru_cache

from .clean import Cleaned, clean

# Full-width ASCII and ideographic space -> half-width, for matching only.
FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
FOLD.update({0x3000: 0x20, 0xA0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x2009: 0x20,
             0x200B: 0x20, 0xFEFF: 0x20, 0x2212: 0x2D})


@lru_cache(maxsize=1)
def _converter():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """OpenCC t2s, guaranteed to keep the length of ``text``."""
    cc = _converter()
    out = cc.convert(text)
    if len(out) == len(text):
        return out
    lines = text.split("\n")
    fixed = []
    for line in lines:
        conv = cc.convert(line)
        if len(conv) != len(line):
            conv = "".join(c if len(s := cc.convert(c)) != 1 else s for c in line)
        fixed.append(conv)
    return "\n".join(fixed)


def fold(text: str) -> str:
    """Full-width forms and odd spaces folded to ASCII; same length as ``text``."""
    return text.translate(FOLD)


@dataclass
class Text:
    """One block of a source, in all the forms the later stages need.

    ``raw`` is the decoded original; ``simp`` and ``fold`` share their indices with the
    cleaned text; :meth:`span` maps ``[start, end)`` in those to the original source.
    """

    raw: str
    base: int
    simp: str
    fold: str
    map: array
    steps: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    def span(self, start: int, end: int) -> list[int]:
        """Absolute ``[start, end)`` in the decoded source of cleaned ``[start, end)``."""
        if end <= start:
            at = self.base + self.map[start]
            return [at, at]
        return [self.base + self.map[start], self.base + self.map[end - 1] + 1]


def prepare(raw: str, base: int = 0) -> Text:
    """Clean, convert and fold one block of original text."""
    cleaned: Cleaned = clean(raw)
    simp = to_simplified(cleaned.text)
    for w in cleaned.warnings:
        if w.get("span"):
            w["span"] = [w["span"][0] + base, w["span"][1] + base]
    for s in cleaned.steps:
        s["span"] = [s["span"][0] + base, s["span"][1] + base]
    return Text(raw, base, simp, fold(simp), cleaned.map, cleaned.steps, cleaned.warnings)
