"""The JSON contract (../shared/EXTRACTION.md, "Output") as pydantic models.

Field names here are relied on downstream: add fields, never rename. The JSON Schema in
``pipeline/record.schema.json`` is generated from these models (``python -m pipeline.schema``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"

Span = tuple[int, int]
SPAN_DOC = "[start, end) in Unicode code points of the decoded source"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceInfo(Model):
    path: str
    sha256: str
    encoding: str | None = Field(description="detected encoding; null for docx/pdf/images")
    format: Literal["txt", "md", "html", "docx", "pdf", "pdf-ocr", "image-ocr"] = Field(
        description="pdf-ocr: a PDF with pages read by OCR (text-layer pages as they are); "
                    "image-ocr: page images read by OCR")


class Warning_(Model):
    model_config = ConfigDict(title="Warning")
    code: str
    message: str
    span: Span | None = Field(None, description=SPAN_DOC)


class Section(Model):
    id: str
    level: int = Field(ge=1)
    marker: str
    heading: str
    heading_span: Span
    kind: Literal["plan", "report", "problems", "other"]
    span: Span = Field(description=SPAN_DOC)
    parent: str | None
    children: list[str]


class DateItem(Model):
    id: str
    text: str
    span: Span
    type: Literal["point", "range", "deadline", "part_of_year", "recurrence", "duration"]
    value: str | None
    value_max: str | None = Field(
        None, description="the longest period of a variable recurrence (P3D in 2-3日一次)")
    year_source: Literal["explicit", "document", "none"]


class Phase(Model):
    id: str
    ordinal: int
    name: str
    text: str
    span: Span
    period: DateItem | None
    section: str | None


class Unit(Model):
    id: str
    text: str
    span: Span
    name: str
    role: Literal["lead", "responsible", "cooperating", "supervising", "authority",
                  "report_to", "other"]
    split: list[str] = Field(
        default_factory=list,
        description="the canonical names of a list tagged as one span (省、市、县爱卫会 -> "
        "省爱卫会, 市爱卫会, 县爱卫会); empty for a single unit")


class Target(Model):
    id: str
    text: str
    span: Span
    indicator: str
    comparator: Literal[">=", "<=", "=", ">", "<", "~", "range"]
    value: int | float | None
    value_max: int | float | None
    unit: str | None
    kind: Literal["target", "actual"]
    period: str | None = Field(
        None, description="the period of a count, EDTF or ISO 8601 duration (P0.5M, P1Y, "
        "{XXXX-07,XXXX-12}, XXXX-34); null when the figure is no count per period")
    deadline: str | None
    responsible: list[str]


class TaskUnit(Model):
    unit: str = Field(description="a unit id")
    role: Literal["lead", "responsible", "cooperating", "supervising", "other"]
    inherited: Literal["heading", "table", "lead_in", "previous_sentence"] | None = Field(
        description="where the unit was given from outside the task's words; null: its own")


class Task(Model):
    id: str
    text: str
    span: Span
    section: str | None
    phase: str | None
    responsible: list[str] = Field(description="unit ids, its own and inherited")
    roles: list[TaskUnit] = Field(description="each responsible unit with its role here")
    deadline: str | None = Field(description="date id: by when or how often")
    dates: list[str]
    targets: list[str]
    inherited: dict[Literal["responsible", "deadline"],
                    Literal["heading", "phase", "table", "lead_in", "previous_sentence"]] = Field(
        description="links that came from outside the task's own words, and from where")


class OcrLine(Model):
    page: int = Field(ge=1, description="1-based page (a TIFF's frame, a PDF's page)")
    bbox: tuple[float, float, float, float] = Field(
        description="[x0, y0, x1, y1] from the page's top left: PDF points for a PDF, pixels "
                    "for an image; the whole page for a PDF page read from its text layer")
    text: str = Field(description="the line as read")
    span: Span | None = Field(description=SPAN_DOC + "; null for furniture left out")
    confidence: float | None = Field(
        description="OCR confidence 0..1 (mean of its words); null for a text-layer page")
    furniture: str | None = Field(
        description="the page-furniture rule that left it out (header, page number)")


class Document(Model):
    schema_version: str = SCHEMA_VERSION
    source: SourceInfo
    doc_index: int = Field(ge=1, description="1-based within the file")
    title: str | None
    title_span: Span | None
    kind: Literal["plan", "report", "mixed"]
    year: int | None
    year_source: Literal["title", "opening", "body"] | None
    span: Span = Field(description=SPAN_DOC)
    text_simplified: str = Field(description="cleaned, simplified text, site furniture left out")
    text_original: str = Field(description="the source's characters over `span`, as written")
    sections: list[Section]
    phases: list[Phase]
    dates: list[DateItem]
    units: list[Unit]
    targets: list[Target]
    tasks: list[Task]
    warnings: list[Warning_]
    pages: list[int] | None = Field(
        None, description="pages the document spans, for sources read from pages (OCR)")
    ocr: list[OcrLine] | None = Field(
        None, description="the lines read by OCR over the document, in reading order, so "
                          "that any span finds its page and box; null for text sources")


class ErrorSource(Model):
    path: str


class ErrorRecord(Model):
    schema_version: str = SCHEMA_VERSION
    source: ErrorSource
    error: str = Field(description="a short code, see pipeline/errors.py")
    message: str = Field(description="one readable sentence that names the file")
