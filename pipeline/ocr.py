"""OCR of scanned pages: page images -> lines with boxes -> text with a map back to the page.

The engine is Debian's Tesseract 5 with its ``chi_sim`` and ``chi_tra`` models (the one
that reads a scan's first page with more confidence reads the rest), run as the
``tesseract`` command for its TSV output: words with boxes and confidences, grouped into
blocks (columns), paragraphs and lines in reading order. It was chosen by measurement
(``benchmarks/ocr_accuracy.py``): as accurate as RapidOCR's PP-OCR models on simplified
pages, far more accurate on traditional ones (PP-OCR's Chinese dictionary lacks many
traditional characters), faster on two cores, and a few MiB of models instead of ~300 MiB
of wheels.

Pages are recognised one at a time and only their lines are kept, so memory does not grow
with the length of a scan. :func:`layout` then drops page furniture (headers and page
numbers, ``pipeline/data/page_furniture.tsv`` and lines repeated at the top of every page),
joins hard-wrapped lines into paragraphs (also across a page break), and records where each
line's characters went in the text, so any span finds its page and box.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

LANGS = ("chi_sim", "chi_tra")
INSTALL = ("pip install -e '.[ocr]' and, on Debian/Ubuntu, "
           "apt-get install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra")
PDF_DPI = 200  # render scale of PDF pages (at most); boxes are given back in PDF points
MIN_DPI = 150
LOW_CONFIDENCE = 0.70  # a line read with less (mean word confidence) becomes a warning
SENTENCE_END = "。！？!?；;…：:"
MARKER = re.compile(r"^(第[一二三四五六七八九十百零〇]+[章节条部分阶段]"
                    r"|[一二三四五六七八九十]+[、.．]"
                    r"|[（(][一二三四五六七八九十0-9]+[)）]|[0-9]+[、.．)）]|[①-⑳]|[·•●■◆\-—])")
TOP_BAND = BOTTOM_BAND = 0.12  # share of the page height where furniture may stand

PageHook = Callable[[int, int | None], None]  # (pages read, pages to read or None)
on_page: PageHook | None = None  # called with 0 before a scan, then after each page read


@dataclass
class Line:
    """One line as read: page (1-based), box ``[x0, y0, x1, y1]`` from the page's top left,
    text, confidence 0..1 (None for a text-layer page), and where it went in the text."""

    page: int
    bbox: list[float]
    text: str
    confidence: float | None
    block: int = 0
    furniture: str | None = None
    start: int | None = None
    end: int | None = None

    def as_record(self) -> dict[str, Any]:
        span = [self.start, self.end] if self.start is not None else None
        return {"page": self.page, "bbox": [round(v, 1) for v in self.bbox], "text": self.text,
                "span": span, "confidence": self.confidence, "furniture": self.furniture}


@dataclass
class Page:
    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    text_layer: bool = False  # a PDF page whose own text was used: one line, the whole page


def cannot(why: str) -> str:
    """The no_text_layer detail: why OCR cannot run, and how to install it."""
    return f"reading it needs OCR, which cannot run here ({why}): {INSTALL}"


def missing() -> str | None:
    """Why OCR cannot run here (None when it can)."""
    exe = shutil.which("tesseract")
    if exe is None:
        return "the tesseract command is not installed"
    import importlib.util

    for module, package in (("PIL", "Pillow"), ("pypdfium2", "pypdfium2"), ("numpy", "numpy")):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed"
    langs = installed_languages()
    lacking = [lang for lang in LANGS if lang not in langs]
    if lacking:
        return f"tesseract lacks the {', '.join(lacking)} model(s)"
    return None


_langs: set[str] | None = None


def installed_languages() -> set[str]:
    global _langs
    if _langs is None:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True)
        _langs = {ln.strip() for ln in out.stdout.splitlines()[1:]}
    return _langs


# --- recognition -------------------------------------------------------------------------

class Reader:
    """Recognises the pages of one source. A scan does not say its script, and reading
    with both models at once mixes them up (a simplified page comes back half traditional,
    % read as 9%), so the first page is read with each model and the one read with more
    confidence is kept for the pages after it; a page read with less than ``RECHECK`` is
    read with the other model too, and the better reading kept."""

    RECHECK = 0.70

    def __init__(self) -> None:
        self.lang: str | None = None

    def read(self, image: Any, number: int = 1, scale: float = 1.0,
             dpi: int | None = None) -> Page:
        """Lines of one page image (a PIL image or a path). Boxes are divided by ``scale``
        (pixels per unit: PDF pages are rendered at ``PDF_DPI`` and measured in points)."""
        from PIL import Image

        if isinstance(image, Image.Image):
            img = _prepare(image)
        else:
            with Image.open(image) as opened:
                img = _prepare(opened)
        size = (img.width / scale, img.height / scale)
        with tempfile.TemporaryDirectory(prefix="jihua-ocr-") as tmp:
            crops = []
            for i, box in enumerate(regions(img)):
                path = os.path.join(tmp, f"crop{i}.png")
                img.crop(box).save(path)
                crops.append((path, box, i))
            langs = [self.lang] if self.lang else list(LANGS)
            best: tuple[str, Page] | None = None
            rechecked = False
            while langs:
                lang = langs.pop(0)
                lines = []
                for path, box, block in crops:
                    lines += _tesseract(path, lang, number, scale, dpi, box[:2], block)
                page = Page(number, *size, lines=lines)
                if best is None or _mean(page) > _mean(best[1]):
                    best = (lang, page)
                if not langs and self.lang and not rechecked \
                        and _mean(best[1]) < self.RECHECK:
                    rechecked = True  # a page unlike the first: try the other script once
                    langs = [x for x in LANGS if x != self.lang]
            assert best is not None
            if best[0] in FIGURES_FROM:
                for line in best[1].lines:
                    line.text = _recheck_figures(line, img, scale, dpi, FIGURES_FROM[best[0]],
                                                 tmp)
        if self.lang is None and best[1].lines:
            self.lang = best[0]
        return best[1]


# Debian's fast chi_tra model reads a percent sign as two glyphs now and then: its upper
# circle as 9, the rest as %, 6 or 0 (90% -> 909%, 60% -> 6096, 100% -> 1009%), while
# chi_sim reads the same figures right. A chi_tra line with such a figure is read again by
# chi_sim, and the figure is taken from that reading only where it is exactly the figure
# with its last two glyphs read as one %: the rest of the line keeps chi_tra's reading.
FIGURES_FROM = {"chi_tra": "chi_sim"}
SPLIT_PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)9[%06](?![\d.%])")
FIGURE = re.compile(r"\d+(?:\.\d+)?%?")


def _recheck_figures(line: Line, img: Any, scale: float, dpi: int | None, lang: str,
                     tmp: str) -> str:
    """``line``'s text with each figure whose percent sign was split into two glyphs
    mended, where a second reading of the line by ``lang`` has the mended figure more often
    than the first reading has it (read as a block, then as one line, as Tesseract's
    layout analysis of a lone line varies)."""
    text = line.text
    suspects = [m for m in SPLIT_PERCENT.finditer(text) if float(m.group(1)) <= 1000]
    if not suspects:
        return text
    x0, y0, x1, y1 = (round(v * scale) for v in line.bbox)
    pad = max(4, (y1 - y0) // 4)
    path = os.path.join(tmp, "figures.png")
    img.crop((max(0, x0 - pad), max(0, y0 - pad), min(img.width, x1 + pad),
              min(img.height, y1 + pad))).save(path)
    have = Counter(FIGURE.findall(text))
    mends: list[re.Match[str]] = []
    for psm in ("6", "7"):
        # a reading that fails leaves the figures as they are
        seen = Counter(FIGURE.findall(_run_tesseract(path, lang, psm, dpi).stdout))
        for m in list(suspects):
            if seen[m.group(1) + "%"] > have[m.group(1) + "%"]:
                have[m.group(1) + "%"] += 1
                suspects.remove(m)
                mends.append(m)
        if not suspects:
            break
    for m in sorted(mends, key=lambda m: -m.start()):
        text = text[:m.start()] + m.group(1) + "%" + text[m.end():]
    return text


def _mean(page: Page) -> float:
    confs = [ln.confidence for ln in page.lines if ln.confidence is not None]
    weights = [len(ln.text) for ln in page.lines if ln.confidence is not None]
    return sum(c * w for c, w in zip(confs, weights, strict=True)) / max(sum(weights), 1)


def _run_tesseract(path: str, lang: str, psm: str, dpi: int | None,
                   *config: str) -> subprocess.CompletedProcess[str]:
    """The ``tesseract`` command on one image, on one thread (pages are the parallel unit)."""
    cmd = ["tesseract", path, "-", "-l", lang, "--psm", psm,
           *(["--dpi", str(dpi)] if dpi else []), *config]
    return subprocess.run(cmd, capture_output=True, text=True,
                          env={**os.environ, "OMP_THREAD_LIMIT": "1"})


def _tesseract(path: str, lang: str, number: int, scale: float, dpi: int | None,
               origin: tuple[int, int], block: int) -> list[Line]:
    """One crop read as one block of lines (psm 6: :func:`regions` finds the columns)."""
    out = _run_tesseract(path, lang, "6", dpi, "tsv")
    if out.returncode != 0:
        raise RuntimeError(f"tesseract failed: {out.stderr.strip()[-300:]}")
    return _lines(out.stdout, number, scale, origin, block)


def regions(img: Any) -> list[tuple[int, int, int, int]]:
    """Crops of a page in reading order: the whole page, or, where a gutter (a blank
    vertical band near the middle, ink on both sides) splits the text, bands of rows each
    read as one crop where text crosses the gutter (a title over both columns) or as a left
    and a right column crop."""
    import numpy as np
    from PIL import ImageFilter

    w, h = img.size
    whole = [(0, 0, w, h)]
    ink = np.asarray(img.filter(ImageFilter.MedianFilter(3))) < 128  # specks of noise out
    rows = ink.sum(axis=1) >= max(3, w // 300)
    n_rows = int(rows.sum())
    if n_rows < 40:
        return whole
    cov = np.convolve(ink[rows].mean(axis=0), np.ones(9) / 9, mode="same")  # ink per x
    lo, hi = int(w * 0.3), int(w * 0.7)
    x_min = lo + int(np.argmin(cov[lo:hi]))
    if cov[x_min] > 0.02:
        return whole
    limit = max(0.01, 2 * cov[x_min])
    g0, g1 = x_min, x_min
    while g0 > lo and cov[g0 - 1] <= limit:
        g0 -= 1
    while g1 < hi and cov[g1] <= limit:
        g1 += 1
    if g1 - g0 < max(12, w // 100):
        return whole
    if min(cov[max(0, g0 - 150):g0].mean(), cov[g1:g1 + 150].mean()) < 0.1:
        return whole  # no text on one side: a margin, not a gutter
    inked = np.flatnonzero(cov > 0.02)
    if min(g0 - inked[0], inked[-1] - g1) < 0.3 * w:
        return whole  # a narrow column of cells: a table, read row by row
    quarter = (g1 - g0) // 4  # the gutter's middle: a skewed column's edge may stray in
    crossing = (ink[:, g0 + quarter : g1 - quarter].sum(axis=1) >= 2) & rows
    bands: list[list[int]] = []  # [state, start, end]
    for y in range(h):
        state = int(crossing[y]) if rows[y] else (bands[-1][0] if bands else 0)
        if bands and bands[-1][0] == state:
            bands[-1][2] = y + 1
        else:
            bands.append([state, y, y + 1])
    merged: list[list[int]] = []
    for band in bands:  # a band thinner than a line is its neighbour's
        if merged and (band[2] - band[1] < 15 or merged[-1][0] == band[0]):
            merged[-1][2] = band[2]
        else:
            merged.append(band)
    if len(merged) > 12:
        return whole
    mid = (g0 + g1) // 2
    out: list[tuple[int, int, int, int]] = []
    for state, y0, y1 in merged:
        out += [(0, y0, w, y1)] if state else [(0, y0, mid, y1), (mid, y0, w, y1)]
    return out


def recognise_image(image: Any, number: int = 1, scale: float = 1.0,
                    dpi: int | None = None) -> Page:
    """One page on its own (its script decided from it alone)."""
    return Reader().read(image, number, scale, dpi)


def _prepare(img: Any) -> Any:
    """Greyscale, white background, and ruling lines (table borders, header rules) erased:
    Tesseract reads a cell border as a character ('|', '一')."""
    from PIL import Image

    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        back = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(back, img.convert("RGBA"))
    img = img.convert("L")
    try:
        import numpy as np
    except ImportError:
        return img
    arr = np.asarray(img)
    dark = arr < 150  # a thin rule blurred by the scanner is grey, not black
    # a run longer than a character or two, shorter than a rule that is turned a little (a
    # rule at 0.5 degrees steps a pixel every ~115 pixels; a pixel of slack either side)
    reach = max(40, arr.shape[1] // 25)
    across = dark.copy()
    across[1:] |= dark[:-1]
    across[:-1] |= dark[1:]
    along = dark.copy()
    along[:, 1:] |= dark[:, :-1]
    along[:, :-1] |= dark[:, 1:]
    rules = (_runs(across, reach, axis=1) | _runs(along, reach, axis=0)) & dark
    if not rules.any():
        return img
    zone = rules.copy()  # and its grey fringe
    zone[1:] |= rules[:-1]
    zone[:-1] |= rules[1:]
    zone[:, 1:] |= rules[:, :-1]
    zone[:, :-1] |= rules[:, 1:]
    out = arr.copy()
    out[zone] = 255
    return Image.fromarray(out)


def _runs(mask: Any, length: int, axis: int) -> Any:
    """Pixels on a straight dark run of at least ``length`` along ``axis``."""
    import numpy as np

    m = mask if axis == 1 else mask.T
    c = np.cumsum(m, axis=1, dtype=np.int32)
    c = np.concatenate([np.zeros((m.shape[0], 1), np.int32), c], axis=1)
    full = (c[:, length:] - c[:, :-length]) == length  # window [i, i+length) all dark
    # every pixel covered by a full window: spread each window start over its length
    starts = np.zeros((m.shape[0], m.shape[1] + 1), np.int32)
    starts[:, : full.shape[1]] += full
    starts[:, length : length + full.shape[1]] -= full
    hit = np.cumsum(starts[:, :-1], axis=1) > 0
    return hit if axis == 1 else hit.T


def _lines(tsv: str, number: int, scale: float, origin: tuple[int, int] = (0, 0),
           block: int = 0) -> list[Line]:
    """Tesseract's TSV words grouped into its lines, in its reading order."""
    rows = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    groups: dict[tuple[int, int, int], list[dict]] = {}
    for row in rows:
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        groups.setdefault(key, []).append(row)
    lines = []
    ox, oy = origin
    for words in groups.values():
        words = _without_specks(words)
        if not words:
            continue
        boxes = [(ox + int(w["left"]), oy + int(w["top"]), ox + int(w["left"]) + int(w["width"]),
                  oy + int(w["top"]) + int(w["height"])) for w in words]
        height = max(b[3] - b[1] for b in boxes) or 1
        text = ""
        for i, w in enumerate(words):
            piece = w["text"].strip()
            if i:
                gap = boxes[i][0] - boxes[i - 1][2]
                if gap > 2 * height:
                    text += "\t"  # a wide gap: table cells, or a label and its value
                elif text[-1:].isascii() and text[-1:].isalnum() and piece[:1].isascii() \
                        and piece[:1].isalnum() and gap > 0.25 * height:
                    text += " "
            text += piece
        text = fix(text)
        confs = [float(w["conf"]) for w in words if float(w["conf"]) >= 0]
        bbox = [min(b[0] for b in boxes) / scale, min(b[1] for b in boxes) / scale,
                max(b[2] for b in boxes) / scale, max(b[3] for b in boxes) / scale]
        conf = round(sum(confs) / len(confs) / 100, 3) if confs else None
        lines.append(Line(number, bbox, text, conf, block))
    return lines


def fix(text: str) -> str:
    """The ocr_fixes.tsv corrections of characters OCR confuses; each keeps the length."""
    from .rules import load

    for rule in load("ocr_fixes.tsv"):
        fixed = rule.regex.sub(rule["replacement"], text)
        if len(fixed) == len(text):
            text = fixed
    return text


def _without_specks(words: list[dict]) -> list[dict]:
    """A scan's specks read as a word: low confidence, and far from the words beside it or
    far smaller than any glyph of the line."""
    if len(words) < 2:
        return words
    lefts = [int(w["left"]) for w in words]
    rights = [int(w["left"]) + int(w["width"]) for w in words]
    height = sorted(int(w["height"]) for w in words)[len(words) // 2] or 1
    kept = []
    for i, w in enumerate(words):
        gap_before = lefts[i] - rights[i - 1] if i else 10**6
        gap_after = lefts[i + 1] - rights[i] if i + 1 < len(words) else 10**6
        size = max(int(w["width"]), int(w["height"]))
        if float(w["conf"]) < 40 and (min(gap_before, gap_after) > 2 * height
                                      or size < 0.15 * height):
            continue  # far from the words beside it, or a dot far smaller than any glyph
        kept.append(w)
    return kept


def image_pages(path: str | os.PathLike[str]) -> Iterator[Any]:
    """The frames of an image file (a TIFF may hold many pages), one at a time."""
    from PIL import Image, ImageSequence

    with Image.open(path) as img:
        for frame in ImageSequence.Iterator(img):
            frame.load()
            yield frame.copy()


def pdf_page_image(pdf: Any, index: int) -> tuple[Any, float]:
    """Page ``index`` of an open pypdfium2 document as a PIL image, and its dots per inch:
    a scan's own resolution where the page is one image (no detail is gained by going
    above it, only time), kept within ``MIN_DPI``..``PDF_DPI``; else ``PDF_DPI``."""
    import pypdfium2.raw as pdfium_c

    page = pdf[index]
    try:
        width = page.get_width()
        dpi = float(PDF_DPI)
        images = list(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=1))
        if len(images) == 1:
            left, _, right, _ = images[0].get_bounds()
            if right - left >= 0.8 * width:
                px = images[0].get_px_size()[0]
                dpi = min(float(PDF_DPI), max(MIN_DPI, px / ((right - left) / 72)))
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        return bitmap.to_pil(), dpi
    finally:
        page.close()


# --- layout ------------------------------------------------------------------------------

@dataclass
class Layout:
    text: str
    lines: list[Line]


def furniture_rule(text: str, band: str) -> str | None:
    """The id of the page_furniture.tsv rule ``text`` matches in ``band``: top, bottom, or
    bottom_centre (a line centred in the footer, where the bottom rules apply too)."""
    from .rules import load

    bands = {"any", band, band.removesuffix("_centre")}
    for rule in load("page_furniture.tsv"):
        if rule["band"] in bands and rule.regex.search(text.strip()):
            return rule.id
    return None


def mark_furniture(pages: list[Page]) -> None:
    """Headers and page numbers: a first or last line of a page in its top or bottom band
    that a page_furniture.tsv rule matches, or whose text (digits aside) stands at the top
    or bottom of at least half the pages (two at least)."""
    edges: dict[str, set[int]] = {}
    candidates: list[tuple[Line, str]] = []
    for page in pages:
        if page.text_layer or not page.lines:
            continue
        body = sorted(page.lines, key=lambda ln: ln.bbox[1])
        for band, ln in ([("top", x) for x in body[:2]] + [("bottom", x) for x in body[-2:]]):
            inside = (ln.bbox[3] <= page.height * TOP_BAND if band == "top"
                      else ln.bbox[1] >= page.height * (1 - BOTTOM_BAND))
            if not inside or ln.furniture is not None:
                continue
            text = ln.text.strip()
            centred = abs((ln.bbox[0] + ln.bbox[2]) / 2 - page.width / 2) < 0.08 * page.width
            ln.furniture = furniture_rule(text, band + ("_centre" if centred else ""))
            if ln.furniture is None:
                # a header is known by its first words: noise may add a cell after a gap
                key = band + ":" + re.sub(r"[0-9\s]+", "#", text.split("\t")[0])
                edges.setdefault(key, set()).add(page.number)
                candidates.append((ln, key))
    ocr_pages = sum(1 for p in pages if not p.text_layer and p.lines)
    for ln, key in candidates:
        seen = len(edges[key])
        if seen >= 2 and seen * 2 >= ocr_pages:
            ln.furniture = "repeated_" + key.split(":", 1)[0]


def _full(line: Line, right: float, height: float) -> bool:
    """Whether a line runs to its column's right edge (so it was wrapped, not ended)."""
    return line.bbox[2] >= right - 1.6 * height


def _joins(prev: Line, right: float, nxt: Line) -> bool:
    height = max(prev.bbox[3] - prev.bbox[1], 1)
    text = prev.text.rstrip()
    if not text or "\t" in text or "\t" in nxt.text:
        return False
    if text[-1] in SENTENCE_END or MARKER.match(nxt.text.lstrip()):
        return False
    return _full(prev, right, height)


def layout(pages: Iterable[Page]) -> Layout:
    """The text of ``pages``: furniture out, wrapped lines joined, every line's span set."""
    pages = list(pages)
    mark_furniture(pages)
    parts: list[str] = []
    at = 0
    prev: Line | None = None
    prev_right = 0.0
    ordered: list[Line] = []
    for page in pages:
        body = [ln for ln in page.lines if ln.furniture is None]
        rights: dict[int, float] = {}
        for ln in body:
            rights[ln.block] = max(rights.get(ln.block, 0.0), ln.bbox[2])
        page_right = max((ln.bbox[2] for ln in body), default=0.0)
        for ln in page.lines:
            ordered.append(ln)
            if ln.furniture is not None:
                continue
            text = ln.text.strip()
            if prev is not None:
                sep = "" if (not page.text_layer and _joins(prev, prev_right, ln)) else "\n"
                if sep == "" and prev.text[-1:].isascii() and prev.text[-1:].isalnum() \
                        and text[:1].isascii() and text[:1].isalnum():
                    sep = " "
                parts.append(sep)
                at += len(sep)
            ln.start, ln.end = at, at + len(text)
            parts.append(text)
            at += len(text)
            prev = ln
            # a block with one line (a heading) is measured against the page's text edge
            block_lines = sum(1 for x in body if x.block == ln.block)
            prev_right = rights[ln.block] if block_lines > 1 else page_right
    if parts:
        parts.append("\n")
    return Layout("".join(parts), ordered)
