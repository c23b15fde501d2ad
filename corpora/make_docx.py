"""Build plan_docx.docx (sample corpus) from the original text below.

Usage: python corpora/make_docx.py   (requires python-docx)

The output is deterministic: core properties carry a fixed timestamp and the
zip container is rewritten with fixed member timestamps, so repeated runs give
byte-identical files.
"""
import datetime
import io
import os
import zipfile

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "sample", "plan_docx.docx")
FIXED = datetime.datetime(2025, 5, 20, 9, 0, 0)

TITLE = "滨江县中医院2025年“安全生产月”活动实施方案"

INTRO = (
    "为深入贯彻落实县卫生健康局关于开展2025年“安全生产月”活动的通知要求，"
    "进一步强化全院职工安全意识，防范和遏制各类安全事故发生，结合我院实际，制定本方案。"
)

SECTION1 = "一、活动时间"
SECTION1_BODY = ["2025年6月1日至6月30日。"]

SECTION2 = "二、活动内容"
SECTION2_BODY = [
    "（一）开展安全隐患排查。对门诊楼、病房楼、药库、氧气站、配电房等重点部位进行全面排查，"
    "建立隐患整改台账，6月20日前完成整改。",
    "（二）组织消防应急演练。6月中旬组织一次全院消防疏散演练，确保每名职工会报警、"
    "会使用灭火器、会组织病人疏散。",
    "（三）加强安全宣传教育。通过宣传栏、电子显示屏和科室晨会等形式开展安全知识宣传，"
    "全院职工安全知识培训覆盖率达到100%。",
    "（四）开展专项检查。院领导带队对重点科室开展安全生产专项检查，重点检查危险化学品、"
    "医用气体和特种设备的管理情况，检查结果在院周会上通报。",
    "主要任务分工如下：",
]

TABLE_HEADER = ("任务", "责任科室")
TABLE_ROWS = [
    ("安全隐患排查与专项检查", "后勤保障科"),
    ("消防应急演练", "保卫科"),
    ("安全知识宣传培训", "院办"),
]

AFTER_TABLE = "各责任科室要按照分工抓好落实，院办负责统筹协调和督促检查。"

SECTION3 = "三、工作要求"
SECTION3_BODY = [
    "各科室要高度重视，科室主要负责人要亲自部署、亲自检查，切实落实安全生产责任。"
    "活动结束后，各责任科室于7月5日前将活动总结报送院办，由院办汇总后上报县卫生健康局。",
    "活动期间，各科室要严格落实24小时值班和领导带班制度，发现重大安全隐患要立即上报，"
    "不得迟报、漏报、瞒报。",
]

SIGNATURE = ["滨江县中医院", "2025年5月20日"]


def _set_east_asian_font(run, name="宋体"):
    run.font.name = name
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), name)


def add_para(doc, text, bold=False, center=False, size=None, right=False):
    p = doc.add_paragraph()
    run = p.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    _set_east_asian_font(run)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return p


def build():
    doc = Document()
    add_para(doc, TITLE, bold=True, center=True, size=16)
    add_para(doc, INTRO)
    # Section headings are ordinary (bold) paragraphs, as in most real documents.
    add_para(doc, SECTION1, bold=True)
    for t in SECTION1_BODY:
        add_para(doc, t)
    add_para(doc, SECTION2, bold=True)
    for t in SECTION2_BODY:
        add_para(doc, t)

    table = doc.add_table(rows=1 + len(TABLE_ROWS), cols=2)
    table.style = "Table Grid"
    for col, text in enumerate(TABLE_HEADER):
        table.cell(0, col).text = text
    for r, row in enumerate(TABLE_ROWS, start=1):
        for col, text in enumerate(row):
            table.cell(r, col).text = text

    add_para(doc, AFTER_TABLE)
    add_para(doc, SECTION3, bold=True)
    for t in SECTION3_BODY:
        add_para(doc, t)
    for t in SIGNATURE:
        add_para(doc, t, right=True)

    cp = doc.core_properties
    cp.title = TITLE
    cp.author = "jihua sample corpus"
    cp.last_modified_by = "jihua sample corpus"
    cp.created = FIXED
    cp.modified = FIXED
    cp.last_printed = FIXED
    cp.revision = 1
    return doc


def save_deterministic(doc, path):
    buf = io.BytesIO()
    doc.save(buf)
    buf.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zout.writestr(zi, zin.read(info.filename))
    with open(path, "wb") as f:
        f.write(out.getvalue())


if __name__ == "__main__":
    save_deterministic(build(), OUT)
    print("wrote", OUT)
