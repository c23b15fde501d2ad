"""Ingest: every encoding and format we accept, and one test per bad input."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipeline import extract_file
from pipeline.ingest import read_source

from .conftest import SAMPLE
from .spans import check_record_spans

PLAN_S = ("滨江县卫生院2024年工作计划\n一、指导思想\n以服务群众为宗旨。\n"
          "二、工作目标\n群众满意度达到90%以上。\n")
PLAN_T = ("濱江縣衛生院2024年工作計劃\n一、指導思想\n以服務群眾為宗旨。\n"
          "二、工作目標\n群眾滿意度達到90%以上。\n")


@pytest.mark.parametrize(
    ("encoding", "text", "reported"),
    [
        ("utf-8", PLAN_T, "utf-8"),
        ("utf-8-sig", PLAN_S, "utf-8-sig"),
        ("gb18030", PLAN_S, "gb18030"),
        ("gb18030", PLAN_T, "gb18030"),
        ("gbk", PLAN_S, "gb18030"),
        ("big5", PLAN_T, "big5"),
        ("utf-16", PLAN_T, "utf-16"),
        ("utf-16-le", "Plan 2024\n" + PLAN_S, "utf-16-le"),
    ],
)
def test_encodings_are_detected_from_the_bytes(tmp_path, encoding, text, reported):
    path = tmp_path / "plan.txt"
    path.write_bytes(text.encode(encoding))
    records = extract_file(path)
    assert records[-1]["source"]["encoding"] == reported
    assert records[-1]["title"].endswith("卫生院2024年工作计划")
    assert [s["heading"] for s in records[-1]["sections"]] == ["指导思想", "工作目标"]
    decoded = path.read_bytes().decode(reported)
    assert check_record_spans(records[-1], decoded.lstrip("\ufeff")) == []


def test_sample_corpus_gb18030_file():
    [record] = extract_file(SAMPLE / "plan_traditional_gb18030.txt")
    assert record["source"]["encoding"] == "gb18030"
    assert "卫生" in record["title"]


def test_html_page_text_without_scripts_or_styles(tmp_path):
    page = ("<html><head><title>站点</title><style>p{color:red}</style></head><body>"
            "<script>var x = '计划';</script><h1>医院工作计划</h1><p>一、指导思想</p>"
            "<p>坚持以人为本&nbsp;服务群众。</p><div>二、工作目标</div></body></html>")
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    [record] = extract_file(path)
    assert record["source"]["format"] == "html"
    assert record["title"] == "医院工作计划"
    assert "var x" not in record["text_simplified"]
    assert "color" not in record["text_simplified"]
    assert [s["heading"] for s in record["sections"]] == ["指导思想", "工作目标"]


def test_docx_paragraphs_and_tables_in_document_order():
    [record] = extract_file(SAMPLE / "plan_docx.docx")
    assert record["source"]["format"] == "docx"
    text = record["text_simplified"]
    assert "任务\t责任科室" in text
    # the table sits between the paragraph that announces it and the next heading
    assert text.index("主要任务分工如下") < text.index("任务\t责任科室") < text.index("三、")


def _pdf(path: Path, lines: list[str]) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 12)
    for i, line in enumerate(lines):
        c.drawString(50, 800 - 20 * i, line)
    if not lines:
        c.rect(50, 50, 200, 200, fill=1)  # a page with only a picture
    c.save()


def test_pdf_with_text_layer(tmp_path):
    path = tmp_path / "plan.pdf"
    _pdf(path, ["医院2025年工作计划", "一、指导思想", "群众满意度达到90%以上。"])
    [record] = extract_file(path)
    assert record["source"]["format"] == "pdf"
    assert record["title"] == "医院2025年工作计划"
    assert record["year"] == 2025


# --- bad input: one error record each, with a short code and a sentence naming the file ---

def _one_error(path: Path) -> dict:
    records = extract_file(path)
    assert len(records) == 1
    assert set(records[0]) == {"schema_version", "source", "error", "message"}
    assert records[0]["message"].startswith(str(path))
    return records[0]


def test_binary_file(tmp_path):
    path = tmp_path / "photo.txt"  # a GIF: page images are PNG, JPEG or TIFF (test_ocr.py)
    path.write_bytes(b"GIF89a" + bytes(range(256)) * 4)
    assert _one_error(path)["error"] == "binary"


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes((i * 37 + 11) % 256 for i in range(4096)))
    assert _one_error(path)["error"] == "binary"


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    error = _one_error(path)
    assert error["error"] == "empty"
    assert error["message"] == f"{path}: the file is empty."


def test_truncated_docx(tmp_path):
    data = (SAMPLE / "plan_docx.docx").read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(data[: len(data) // 2])
    error = _one_error(path)
    assert error["error"] == "damaged"
    assert error["message"] == f"{path}: the Word file is damaged and cannot be opened."


def test_pdf_without_text_layer(tmp_path):
    path = tmp_path / "scan.pdf"
    _pdf(path, [])
    error = _one_error(path)
    assert error["error"] == "no_text_layer"


def test_encrypted_docx(tmp_path):
    path = tmp_path / "secret.docx"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    ole += "EncryptedPackage".encode("utf-16-le")
    path.write_bytes(ole + b"\x00" * 1024)
    assert _one_error(path)["error"] == "encrypted"


def test_encrypted_pdf(tmp_path):
    from pypdf import PdfReader, PdfWriter

    plain = tmp_path / "plain.pdf"
    _pdf(plain, ["医院2025年工作计划"])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt("secret", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    error = _one_error(path)
    assert error["error"] == "encrypted"
    assert error["message"] == f"{path}: the PDF file is encrypted; decrypt it first."


def test_misleading_extension_is_read_by_content(tmp_path):
    pdf = tmp_path / "really_a_pdf.txt"
    _pdf(pdf, ["医院2025年工作计划", "一、指导思想"])
    [record] = extract_file(pdf)
    assert record["source"]["format"] == "pdf"
    assert record["warnings"][0]["code"] == "extension_mismatch"

    text = tmp_path / "really_text.docx"
    text.write_text(PLAN_S, encoding="utf-8")
    [record] = extract_file(text)
    assert record["source"]["format"] == "txt"
    assert record["title"] == "滨江县卫生院2024年工作计划"
    assert record["warnings"][0]["code"] == "extension_mismatch"


def test_unknown_type(tmp_path):
    path = tmp_path / "table.xlsx"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    path.write_bytes(buf.getvalue())
    assert _one_error(path)["error"] == "binary"


def test_directory_with_one_unreadable_file_among_good_ones(tmp_path):
    folder = tmp_path / "plans"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(PLAN_S, encoding="utf-8")
    (folder / "sub" / "b.txt").write_bytes(PLAN_T.encode("big5"))
    os.symlink(tmp_path / "gone.txt", folder / "broken.txt")  # unreadable even for root
    from pipeline import iter_records

    records = list(iter_records([folder]))
    docs = [r for r in records if "error" not in r]
    errors = [r for r in records if "error" in r]
    assert sorted(Path(r["source"]["path"]).name for r in docs) == ["a.txt", "b.txt"]
    assert [(Path(r["source"]["path"]).name, r["error"]) for r in errors] == [
        ("broken.txt", "not_found")]


def test_source_reports_sha256_of_the_bytes(tmp_path):
    import hashlib

    path = tmp_path / "p.txt"
    path.write_text(PLAN_S, encoding="utf-8")
    [record] = extract_file(path)
    assert record["source"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_large_file_streams_in_blocks(tmp_path):
    path = tmp_path / "big.txt"
    unit = (SAMPLE / "stacked_traditional.txt").read_text(encoding="utf-8")
    path.write_text(unit * 1500, encoding="utf-8")  # about 4 MB, several blocks
    source = read_source(path)
    blocks = list(source.blocks())
    assert len(blocks) > 1
    assert "".join(b for _, b in blocks) == path.read_text(encoding="utf-8")
    records = extract_file(path)
    assert len(records) == 2 * 1500
    text = path.read_text(encoding="utf-8")
    for record in records[::97]:
        assert check_record_spans(record, text) == []


MEMORY_PROBE = """
import json, resource, sys
from pipeline import extract_text, iter_file
extract_text("医院工作计划\\n一、目标\\n3月底前完成,满意度达到90%以上,由院办负责。")
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
loaded = peak()  # the libraries and the tagging pipeline, loaded once
n = 0
for record in iter_file(sys.argv[1]):
    n += 1
print(json.dumps({"records": n, "loaded_mb": loaded, "peak_mb": peak()}))
"""


def test_50_mb_text_file_in_bounded_memory(tmp_path):
    path = tmp_path / "huge.txt"
    unit = (SAMPLE / "stacked_traditional.txt").read_bytes()
    copies = 50 * 1024 * 1024 // len(unit) + 1
    with path.open("wb") as fh:
        for _ in range(copies):
            fh.write(unit)
    assert path.stat().st_size >= 50 * 1024 * 1024
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(path)], check=True,
                         capture_output=True, text=True).stdout
    import json

    result = json.loads(out)
    assert result["records"] == 2 * copies
    # Whole-file processing would hold several copies of 50 MB; blocks keep it flat. The
    # fixed cost of the libraries and the tagging pipeline is measured apart from the file's.
    assert result["peak_mb"] - result["loaded_mb"] < 150, result
