"""Scans: page images and image-only PDFs read by OCR, with every span back on its page.

The scans are built here: our own sample text drawn with a CJK font (tests/scans.py), then
turned, blurred and sprinkled with noise. The layout tests need no OCR engine; the rest
need Debian's tesseract with chi_sim and chi_tra (scripts/ocr.sh), and skip without it
unless JIHUA_REQUIRE_OCR is set (CI), where they fail instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from pipeline import extract_file, ocr
from pipeline.normalize import fold, to_simplified

from .conftest import CASES, ROOT, SAMPLE
from .scans import (
    FONT_FILE,
    accuracy,
    degrade,
    pages_of,
    paragraphs,
    render,
    sample_text,
    table,
)

THRESHOLD = 0.97  # character accuracy on the pipeline's text (t2s, folded), per script


@pytest.fixture(scope="module")
def engine() -> None:
    why = ocr.missing() or (None if FONT_FILE.exists() else f"no CJK font at {FONT_FILE}")
    if why:
        reason = f"OCR cannot run: {why} (as root: bash scripts/ocr.sh)"
        if os.environ.get("JIHUA_REQUIRE_OCR"):
            pytest.fail(reason)
        pytest.skip(reason)


def simp(text: str) -> str:
    return fold(to_simplified(text))


def scanned(img, seed: int = 0):
    """A clean-ish scan: turned half a degree, a little blur and noise."""
    return degrade(img, angle=0.5, blur=0.5, noise=8, seed=seed)


def save_pdf(path, images) -> None:
    rgb = [im.convert("RGB") for im in images]
    rgb[0].save(path, "PDF", save_all=True, append_images=rgb[1:], resolution=150)


def items(record: dict, kind: str) -> Counter:
    keys = {"phases": ("ordinal", "name"), "dates": ("type", "value"),
            "units": ("name", "role"), "targets": ("indicator", "comparator", "value", "unit")}
    return Counter(tuple(fold(str(it[k])) for k in keys[kind]) for it in record[kind])


def assert_items_match(record: dict, expected: dict, kinds: tuple[str, ...],
                       misread: int = 0) -> None:
    """Items of the scan as of the text file, compared by their values (not their spans, which
    differ): all of them, or all but ``misread`` per kind each way, where a character the
    engine misreads falls inside an item (at 0.993 character accuracy, about one character
    in 150)."""
    for kind in kinds:
        got, want = items(record, kind), items(expected, kind)
        assert sum((want - got).values()) <= misread, (kind, want - got)
        assert sum((got - want).values()) <= misread, (kind, got - want)


def assert_spans_on_pages(record: dict) -> None:
    """Every item's span lies within OCR lines that name a page and a box."""
    lines = [ln for ln in record["ocr"] if ln["span"]]
    assert lines and record["pages"]
    for kind in ("phases", "dates", "units", "targets", "tasks"):
        for it in record[kind]:
            a, b = it["span"]
            on = [ln for ln in lines if ln["span"][0] < b and ln["span"][1] > a]
            assert on, (kind, it["text"])
            assert all(ln["page"] in record["pages"] and len(ln["bbox"]) == 4 for ln in on)
            assert a >= on[0]["span"][0] and b <= on[-1]["span"][1]


# --- layout, no engine needed -------------------------------------------------------------

def line(page: int, y: float, text: str, x1: float = 1000.0, block: int = 0) -> ocr.Line:
    return ocr.Line(page, [100.0, y, x1, y + 30], text, 0.95, block)


def page(number: int, lines: list[ocr.Line]) -> ocr.Page:
    return ocr.Page(number, 1100.0, 1500.0, lines)


@pytest.mark.parametrize("case", json.loads((CASES / "page_furniture.json").read_text("utf-8")),
                         ids=lambda c: c["id"])
def test_page_furniture_rules(case):
    assert ocr.furniture_rule(case["text"], case["band"]) == case["expected"], case["comment"]


@pytest.mark.parametrize("case", json.loads((CASES / "ocr_fixes.json").read_text("utf-8")),
                         ids=lambda c: c["id"])
def test_ocr_fixes(case):
    assert ocr.fix(case["text"]) == case["expected"], case["comment"]


FIGURE_CASES = [  # chi_tra's line, chi_sim's readings (as a block, as a line), mended line
    ("建檔率達到909%以上", ["建档率达到90%以上"], "建檔率達到90%以上"),
    ("開課率為1009%,每個", ["开课率为100% ，每个"], "開課率為100%,每個"),
    ("6096以上。", ["6096以上。", "60%以上 9"], "60%以上。"),  # only the second reading
    ("達到90%和909%", ["达到90%和90%"], "達到90%和90%"),  # one 90% was there already
    ("達到90%和909%", ["达到90%和909%"], "達到90%和909%"),  # not confirmed: kept
    ("1990年開始", ["1990年开始"], "1990年開始"),  # a year, not a split percent sign
    ("增長1999%", ["增长1999%"], "增長1999%"),
    ("達到95%以上", [], "達到95%以上"),  # nothing suspect: no second reading
]


@pytest.mark.parametrize(("first", "second", "expected"), FIGURE_CASES)
def test_a_split_percent_sign_is_mended_where_a_second_reading_confirms_it(
        monkeypatch, tmp_path, first, second, expected):
    from PIL import Image

    readings = iter(second)

    def tesseract(cmd, **kw):
        assert cmd[cmd.index("-l") + 1] == "chi_sim"
        return subprocess.CompletedProcess(cmd, 0, next(readings, ""), "")

    monkeypatch.setattr(ocr.subprocess, "run", tesseract)
    img = Image.new("L", (800, 200), 255)
    line = ocr.Line(1, [10.0, 20.0, 700.0, 60.0], first, 0.9)
    assert ocr._recheck_figures(line, img, 1.0, 150, "chi_sim", str(tmp_path)) == expected
    assert next(readings, None) is None  # every reading given was asked for


def test_specks_are_dropped_and_small_punctuation_kept():
    def word(left: int, width: int, height: int, conf: float, text: str) -> dict:
        return {"left": left, "width": width, "height": height, "conf": conf, "text": text}

    words = [word(65, 2, 3, 0.0, "。"),  # a dot of noise near the line: far smaller than a glyph
             word(109, 31, 46, 93.0, "(四"), word(140, 28, 28, 92.0, "后"),
             word(170, 10, 10, 91.0, "。"),  # a real full stop: small, but read with confidence
             word(182, 28, 28, 35.0, "勤"),  # low confidence, but glyph-sized and close by
             word(600, 20, 20, 20.0, "、")]  # low confidence and far from its neighbours
    assert [w["text"] for w in ocr._without_specks(words)] == ["(四", "后", "。", "勤"]


def test_layout_joins_wrapped_lines_and_stitches_pages():
    p1 = page(1, [line(1, 40, "滨江县人民医院文件", 400),
                  line(1, 200, "一、工作目标", 300),
                  line(1, 250, "全院门诊预约诊疗率达到60%以上，群众满意度"),
                  line(1, 1440, "- 1 -", 560)])
    p2 = page(2, [line(2, 40, "滨江县人民医院文件", 400),
                  line(2, 200, "达到90%以上。"),  # full width? no: but the page break joins
                  line(2, 250, "二、工作步骤", 300),
                  line(2, 1440, "第 2 页 共 2 页", 600)])
    p2.lines[1].bbox[2] = 400
    laid = ocr.layout([p1, p2])
    assert laid.text == ("一、工作目标\n全院门诊预约诊疗率达到60%以上，群众满意度达到90%以上。\n"
                         "二、工作步骤\n")
    furniture = {ln.text: ln.furniture for ln in laid.lines if ln.furniture}
    assert furniture == {"滨江县人民医院文件": "repeated_top", "- 1 -": "dashed_number",
                         "第 2 页 共 2 页": "page_of_total"}
    for ln in laid.lines:
        if ln.start is not None:
            assert laid.text[ln.start : ln.end] == ln.text


def test_layout_keeps_short_lines_and_sentence_ends():
    p = page(1, [line(1, 200, "一、指导思想", 300),
                 line(1, 250, "坚持以人民健康为中心，努力把医院建设成为群众满意的窗口。"),
                 line(1, 300, "（一）总体目标", 300),
                 line(1, 350, "医院环境卫生和服务秩序明显改善，窗口单位各项测评指标全"),
                 line(1, 400, "面达标。", 250)])
    assert ocr.layout([p]).text == ("一、指导思想\n坚持以人民健康为中心，努力把医院建设成为群众满意"
                                    "的窗口。\n（一）总体目标\n医院环境卫生和服务秩序明显改善，窗口单"
                                    "位各项测评指标全面达标。\n")


def test_pinyin_residue_wrapped_across_lines_is_cleaned_after_joining():
    from pipeline.normalize import prepare

    p = page(1, [line(1, 200, "為群眾提供優質醫療服務("), line(1, 250, "wù)，方便群眾就醫。", 500)])
    laid = ocr.layout([p])
    assert laid.text == "為群眾提供優質醫療服務(wù)，方便群眾就醫。\n"
    assert prepare(laid.text).simp == "为群众提供优质医疗服务，方便群众就医。\n"


def test_reader_keeps_the_first_pages_script_and_rechecks_a_poor_page_once(monkeypatch):
    calls: list[str] = []
    conf = {"chi_sim": 0.9, "chi_tra": 0.6}

    def fake(path, lang, number, scale, dpi, origin, block):
        calls.append(lang)
        return [ocr.Line(number, [0, 0, 10, 10], "医院", conf[lang], block)]

    monkeypatch.setattr(ocr, "_tesseract", fake)
    reader = ocr.Reader()
    img = render(["医院"]).image
    reader.read(img)
    assert calls == ["chi_sim", "chi_tra"] and reader.lang == "chi_sim"
    calls.clear()
    conf["chi_sim"] = 0.5  # a poor page: the other model once, never a loop
    page = reader.read(img, 2)
    assert calls == ["chi_sim", "chi_tra"] and page.lines[0].confidence == 0.6


def test_scan_without_the_extra_names_it(tmp_path, monkeypatch):
    monkeypatch.setattr(ocr, "missing", lambda: "the tesseract command is not installed")
    img = render(["医院2025年工作计划"]).image
    for name in ("scan.png", "scan.pdf"):
        path = tmp_path / name
        img.convert("RGB").save(path)
        [error] = extract_file(path)
        assert error["error"] == "no_text_layer"
        assert "pip install -e '.[ocr]'" in error["message"]
        assert "tesseract-ocr-chi-sim" in error["message"]


def test_mixed_pdf_without_the_extra_keeps_its_text_pages(tmp_path, monkeypatch):
    monkeypatch.setattr(ocr, "missing", lambda: "the tesseract command is not installed")
    path = mixed_pdf(tmp_path)
    [record] = extract_file(path)
    assert record["source"]["format"] == "pdf"
    assert "pages_not_read" in [w["code"] for w in record["warnings"]]
    assert "医院2025年创建文明城市工作实施方案" in record["text_simplified"]


@pytest.mark.parametrize("name", ["broken.png", "broken.jpg", "broken.tif"])
def test_corrupt_image_is_an_error_record(tmp_path, name):
    good = tmp_path / ("good" + name[6:])
    render(["医院2025年工作计划"]).image.save(good)
    data = good.read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 3])  # cut short: the header reads, the pixels don't
    [error] = extract_file(path)
    assert error["error"] == "damaged"
    assert error["message"] == f"{path}: the image file is damaged and cannot be opened."


# --- with the engine ---------------------------------------------------------------------

def mixed_pdf(tmp_path):
    """Page 1 a text layer (reportlab), page 2 an image only: the plan's opening and the
    rest of its first paragraphs."""
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    paras = paragraphs(sample_text("plan_simplified.txt"))
    text_pdf = tmp_path / "text.pdf"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(text_pdf))
    c.setFont("STSong-Light", 12)
    for i, ln in enumerate(paras[:2]):
        c.drawString(40, 800 - 20 * i, ln[:40])
    c.showPage()
    c.save()
    image_pdf = tmp_path / "image.pdf"
    save_pdf(image_pdf, [render(paras[2:8]).image])
    out = PdfWriter()
    for part in (text_pdf, image_pdf):
        for p in PdfReader(part).pages:
            out.add_page(p)
    path = tmp_path / "mixed.pdf"
    with path.open("wb") as fh:
        out.write(fh)
    return path


def test_mixed_pdf_reads_only_its_image_pages(tmp_path, engine):
    path = mixed_pdf(tmp_path)
    [record] = extract_file(path)
    assert record["source"]["format"] == "pdf-ocr"
    assert record["pages"] == [1, 2]
    by_page = {ln["page"]: ln for ln in record["ocr"] if ln["span"]}
    assert by_page[1]["confidence"] is None  # the text layer, as it is
    assert by_page[2]["confidence"] is not None
    paras = paragraphs(sample_text("plan_simplified.txt"))
    assert record["text_simplified"].startswith(paras[0])
    assert "一、指导思想" in record["text_simplified"]
    assert accuracy("".join(paras[2:8]), record["text_simplified"].split(paras[1][:40])[-1]) \
        >= THRESHOLD


def test_image_only_pdf_extracts_like_the_text_file(tmp_path, engine):
    """The simplified plan over three scanned pages (headers, page numbers, paragraphs cut
    by page ends) against the same plan as a .txt file."""
    pages = pages_of(paragraphs(sample_text("plan_simplified.txt")), "simplified")
    assert len(pages) >= 2
    path = tmp_path / "scan.pdf"
    save_pdf(path, [scanned(p.image, i) for i, p in enumerate(pages)])
    out = subprocess.run([sys.executable, "-m", "pipeline", "extract", str(path)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    [record] = [json.loads(ln) for ln in out.stdout.splitlines()]
    [expected] = extract_file(SAMPLE / "plan_simplified.txt")
    assert record["source"]["format"] == "pdf-ocr"
    assert record["pages"] == list(range(1, len(pages) + 1))
    assert accuracy(simp(expected["text_simplified"]), simp(record["text_simplified"])) \
        >= THRESHOLD
    assert record["title"] == expected["title"]
    assert len(record["tasks"]) == len(expected["tasks"])
    assert_items_match(record, expected, ("phases", "dates"))
    # 以上。 read as one glyph (以避) drops a target's comparator, and a speck read as a
    # quote mark before (四) hides the unit that opens that line
    assert_items_match(record, expected, ("units", "targets"), misread=1)
    furniture = [ln for ln in record["ocr"] if ln["furniture"]]
    assert len(furniture) >= 2 * len(pages) - 1  # the header (not on a page alone) and numbers
    assert_spans_on_pages(record)


@pytest.fixture(scope="module")
def traditional_scan(tmp_path_factory, engine) -> tuple[dict, dict]:
    """The traditional plan as a scanned multi-page TIFF, and as its GB18030 text file."""
    pages = pages_of(paragraphs(sample_text("plan_traditional_gb18030.txt")), "traditional",
                     furniture=False)
    path = tmp_path_factory.mktemp("scan") / "scan.tif"
    frames = [scanned(p.image, 7 + i) for i, p in enumerate(pages)]
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(150, 150))
    [record] = extract_file(path)
    [expected] = extract_file(SAMPLE / "plan_traditional_gb18030.txt")
    return record, expected


def test_traditional_image_extracts_like_the_text_file(traditional_scan):
    record, expected = traditional_scan
    assert record["source"]["format"] == "image-ocr"
    assert accuracy(simp(expected["text_simplified"]), simp(record["text_simplified"])) \
        >= THRESHOLD
    assert_items_match(record, expected, ("phases", "dates", "units"))
    assert len(record["tasks"]) == len(expected["tasks"])
    assert_spans_on_pages(record)


def test_traditional_image_targets_like_the_text_file(traditional_scan):
    record, expected = traditional_scan
    assert_items_match(record, expected, ("targets",))


def test_two_column_page_reads_left_column_first(tmp_path, engine):
    paras = paragraphs(sample_text("report_simplified.txt"))
    drawn = render(paras, columns=2)
    path = tmp_path / "two.png"
    scanned(drawn.image, 3).save(path)
    [record] = extract_file(path)
    assert accuracy(simp(drawn.text), simp(record["text_simplified"])) >= THRESHOLD


def test_table_page_reads_row_by_row(tmp_path, engine):
    rows = [["指标", "目标值", "责任科室"], ["群众满意度", "90%以上", "院办"],
            ["预约诊疗率", "60%以上", "门诊部"], ["投诉办结率", "100%", "医务科"]]
    drawn = table(rows)
    path = tmp_path / "table.jpg"
    drawn.image.save(path, quality=90)
    [record] = extract_file(path)
    got = [ln for ln in record["text_simplified"].splitlines() if ln.strip()]
    assert len(got) == len(rows)
    for line_read, row in zip(got, rows, strict=True):
        assert accuracy("".join(row), line_read) >= 0.9, line_read


def test_batch_counts_scan_pages_and_gives_them_time(tmp_path, engine):
    """A scan gets PAGE_TIMEOUT more seconds per page: with a 2 s limit, a page that takes
    longer to read still comes out; the progress shows the pages as they are read."""
    from pipeline.batch import load_tables, run_batch

    inputs = tmp_path / "in"
    inputs.mkdir()
    page = pages_of(paragraphs(sample_text("report_simplified.txt")), furniture=False)[0]
    scanned(page.image).save(inputs / "report.png")
    (inputs / "plan.txt").write_text(sample_text("plan_simplified.txt"), encoding="utf-8")
    seen: list[int] = []
    progress = run_batch([inputs], tmp_path / "out", workers=1, timeout=2,
                         on_progress=lambda p, total: seen.append(p.pages))
    assert progress.errors == 0 and progress.documents >= 2
    assert progress.pages == 1 and 1 in seen
    formats = set(load_tables(tmp_path / "out")["documents"]["format"])
    assert formats == {"image-ocr", "txt"}
