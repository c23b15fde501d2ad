"""Scanned pages for the OCR tests and benchmark: our own text rendered with a CJK font.

A page is drawn the way a word processor prints it (paragraphs wrapped at the right margin,
a header and a page number as furniture), then optionally degraded like a scan: turned by a
small angle, blurred, and sprinkled with noise. :func:`accuracy` is the measure the tests
and the benchmark share: 1 - edit distance / length, over the characters without whitespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_FILE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FACE = {"simplified": 2, "traditional": 3}  # the SC and TC faces of the collection
PAGE = (1240, 1754)  # A4 at 150 dpi
MARGIN = 110
SIZE = 30  # about 14 pt at 150 dpi
LEADING = 1.6
SAMPLE = Path(__file__).resolve().parent.parent / "corpora" / "sample"


def font(script: str = "simplified", size: int = SIZE) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), size, index=FACE[script])


def sample_text(name: str) -> str:
    """A file of corpora/sample, decoded (the traditional plan is GB18030)."""
    raw = (SAMPLE / name).read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ValueError(name)


def paragraphs(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def wrap(paragraph: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Hard-wrapped lines of one paragraph, as a word processor breaks them."""
    lines, line = [], ""
    for ch in paragraph:
        if line and face.getlength(line + ch) > width:
            lines.append(line)
            line = ""
        line += ch
    if line:
        lines.append(line)
    return lines


@dataclass
class Page:
    image: Image.Image
    text: str  # the body as drawn, one paragraph a line, furniture left out
    rest: list[str] = field(default_factory=list)  # paragraphs that did not fit


def render(paras: list[str], script: str = "simplified", *, header: str | None = None,
           footer: str | None = None, size: int = SIZE, columns: int = 1,
           page: tuple[int, int] = PAGE) -> Page:
    """Draw ``paras`` on one page; what does not fit is returned in ``rest``."""
    img = Image.new("L", page, 255)
    draw = ImageDraw.Draw(img)
    face = font(script, size)
    small = font(script, int(size * 0.7))
    if header:
        draw.text((MARGIN, MARGIN // 2), header, font=small, fill=0)
        draw.line((MARGIN, MARGIN // 2 + size, page[0] - MARGIN, MARGIN // 2 + size), fill=0)
    if footer:
        w = small.getlength(footer)
        draw.text(((page[0] - w) / 2, page[1] - MARGIN * 0.7), footer, font=small, fill=0)
    gutter = 2 * size
    col_w = (page[0] - 2 * MARGIN - (columns - 1) * gutter) // columns
    step = int(size * LEADING)
    top, bottom = MARGIN + size, page[1] - MARGIN - size
    col, y = 0, top
    drawn: list[str] = []
    queue = list(paras)
    while queue:
        lines = wrap(queue[0], face, col_w)
        left = MARGIN + col * (col_w + gutter)
        room = (bottom - y) // step
        if room <= 0:
            if col + 1 < columns:
                col, y = col + 1, top
                continue
            break
        for line in lines[:room]:
            draw.text((left, y), line, font=face, fill=0)
            y += step
        if room < len(lines):  # the paragraph goes on in the next column or page
            drawn.append("".join(lines[:room]))
            queue[0] = "".join(lines[room:])
            if col + 1 < columns:
                col, y = col + 1, top
                continue
            break
        drawn.append(queue.pop(0))
    return Page(img, "\n".join(drawn), queue)


def table(rows: list[list[str]], script: str = "simplified", size: int = SIZE) -> Page:
    """A ruled table, one row a line of text with cells separated by tabs."""
    img = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(img)
    face = font(script, size)
    widths = [max(face.getlength(r[i]) for r in rows) + 3 * size for i in range(len(rows[0]))]
    row_h = int(size * 2)
    y = MARGIN
    for row in rows:
        x = MARGIN
        for cell, w in zip(row, widths, strict=True):
            draw.rectangle((x, y, x + w, y + row_h), outline=0, width=2)
            draw.text((x + size, y + size / 2), cell, font=face, fill=0)
            x += w
        y += row_h
    return Page(img, "\n".join("\t".join(r) for r in rows))


def degrade(img: Image.Image, *, angle: float = 0.0, blur: float = 0.0, noise: float = 0.0,
            seed: int = 0) -> Image.Image:
    """A scan's faults: turned by ``angle`` degrees, blurred, gaussian noise of ``noise``
    grey levels and black specks (noise in 10 000 pixels)."""
    out = img
    if angle:
        out = out.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if blur:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        import numpy as np

        rng = np.random.default_rng(seed)
        arr = np.asarray(out, dtype=np.float32)
        arr = arr + rng.normal(0, noise, arr.shape)
        specks = rng.random(arr.shape) < noise / 10000  # black specks, as many as the noise
        arr[specks] = 0
        out = Image.fromarray(np.clip(arr, 0, 255).astype("uint8"))
    return out


def pages_of(paras: list[str], script: str = "simplified", *, furniture: bool = True,
             limit: int | None = None) -> list[Page]:
    """``paras`` laid out over as many pages as they need, each with a header and a
    "第 n 页 共 m 页"-style footer; a paragraph cut by a page end goes on overleaf."""
    out: list[Page] = []
    rest = paras
    while rest and (limit is None or len(out) < limit):
        n = len(out) + 1
        page = render(rest, script, header="滨江县人民医院文件" if furniture else None,
                      footer=f"- {n} -" if furniture else None)
        out.append(page)
        rest = page.rest
    return out


def distance(a: str, b: str) -> int:
    """Levenshtein distance, two rows at a time."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def squeeze(text: str) -> str:
    return "".join(text.split())


def accuracy(reference: str, hypothesis: str) -> float:
    """Character accuracy, 1 - edit distance / reference length, whitespace left out."""
    ref, hyp = squeeze(reference), squeeze(hypothesis)
    return 1 - distance(ref, hyp) / max(len(ref), 1)
