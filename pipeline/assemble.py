"""Stage 6, assemble: sources -> document records (dicts valid against the schema).

Drives the stages block by block: ingest gives blocks, each is cleaned and normalized,
split into documents (the unfinished last one is carried into the next block), outlined,
and turned into a :class:`~pipeline.record.Document`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from . import outline
from .errors import Code, InputError
from .ingest import SAMPLE_BYTES, Source, read_source, sniff, source_from_text
from .normalize import Text, prepare
from .record import Document, ErrorRecord
from .split import DocSlice, SplitState, document_year, genre, lines_of, split

MAX_DOC_CHARS = 4_000_000  # a longer document is cut into records of at most this size


def iter_source(source: Source) -> Iterator[dict]:
    """Every document record of one source, in order."""
    state = SplitState()
    blocks = source.blocks()
    pending = next(blocks, None)
    carry_raw, carry_base = "", 0
    doc_index = 0
    last_text: Text | None = None
    while pending is not None:
        base, raw = pending
        following = next(blocks, None)
        if carry_raw:
            raw, base = carry_raw + raw, carry_base
        text = prepare(raw, base)
        final = following is None or len(raw) > MAX_DOC_CHARS
        docs, carry = split(text, state, final=final)
        if carry is not None:
            cut = text.map[carry]
            carry_raw, carry_base = raw[cut:], base + cut
        else:
            carry_raw = ""
            if following is not None and docs:
                docs[-1].cut = True
        for doc in docs:
            doc_index += 1
            yield build(doc, text, source, doc_index)
        last_text = text
        pending = following
    if doc_index == 0 and last_text is not None:
        # Nothing that looks like a document: still one record, so nothing is lost.
        lines = lines_of(last_text)
        if lines:
            doc = DocSlice(None, lines)
            for line in doc.lines:
                line.furniture = None
            doc.warnings.append({"code": "no_document_found", "span": None,
                                 "message": f"{source.path}: no plan or report found; the "
                                            "whole text is kept as one document."})
            yield build(doc, last_text, source, 1)


def build(doc: DocSlice, text: Text, source: Source, doc_index: int) -> dict:
    """One document record from its slice of a block."""
    content = doc.content
    first = doc.title or (content[0] if content else doc.lines[0])
    last = content[-1] if content else first
    start, end = first.start, last.end
    body_lines = [ln for ln in content if ln is not doc.title]
    sections = outline.parse(body_lines, text)
    title = text.simp[doc.title.start : doc.title.end] if doc.title else None
    body = "\n".join(text.simp[ln.start : ln.end] for ln in body_lines)
    kind_of_genre, decisive = genre(title or "")
    default = kind_of_genre or outline.body_kind(body) or "plan"
    outline.assign_kinds(sections, text, default, trust_title=decisive)
    kinds = {s.kind for s in sections if s.level == 1} & {"plan", "report"}
    if not kinds:
        kinds = {default}
    kind = "mixed" if kinds == {"plan", "report"} else kinds.pop()
    year, year_source = document_year(title, doc.series, body)
    span = text.span(start, end)
    warnings = [dict(w) for w in source.warnings  # a warning with a span: its document's
                if not w.get("span") or span[0] <= w["span"][0] < span[1]] + doc.warnings
    if doc.title is None:
        warnings.append({"code": "no_title", "span": None,
                         "message": f"{source.path}: no title line found; document "
                                    f"{doc_index} starts at its first line."})
    warnings += [w for w in text.warnings if span[0] <= w["span"][0] < span[1]]
    if doc.cut:
        warnings.append({"code": "document_cut", "span": None,
                         "message": f"{source.path}: document {doc_index} is longer than "
                                    f"{MAX_DOC_CHARS:,} characters; it goes on in the next "
                                    "record."})
    record = {
        "source": {"path": source.path, "sha256": source.sha256,
                   "encoding": source.encoding, "format": source.format},
        "doc_index": doc_index,
        "title": title,
        "title_span": text.span(doc.title.start, doc.title.end) if doc.title else None,
        "kind": kind,
        "year": year,
        "year_source": year_source,
        "span": span,
        "text_simplified": "\n".join(
            text.simp[ln.start : ln.end] for ln in ([doc.title] if doc.title else []) + body_lines
        ),
        "text_original": text.raw[span[0] - text.base : span[1] - text.base],
        "sections": [_section(s, text) for s in sections],
        "warnings": warnings,
        **_ocr_fields(source, span),
        **tag(doc, text, sections, start, end, default, year if year_source == "title" else None),
    }
    out = Document.model_validate(record).model_dump(mode="json")
    if source.ocr_lines is None:  # text sources keep their records as they were
        del out["pages"], out["ocr"]
    return out


def tag(doc: DocSlice, text: Text, sections: list[outline.Section], start: int, end: int,
        default_kind: str, title_year: int | None) -> dict:
    """Phases, dates, units, targets and tasks of one document, as record fields."""
    from . import nlp  # spaCy loads on first use: a batch's parent process never needs it
    kept = ([doc.title] if doc.title else []) + doc.content
    pieces, at = [], start
    for ln in sorted(kept, key=lambda ln: ln.start):
        pieces.append("\n" * (ln.start - at))
        pieces.append(text.fold[ln.start : ln.end])
        at = ln.end
    pieces.append("\n" * (end - at))
    local = "".join(pieces)
    title_range = [(doc.title.start - start, doc.title.end - start)] if doc.title else []
    context = nlp.Context(
        sections=[nlp.SectionInfo(s.id, (s.heading[0] - start, s.heading[1] - start),
                                  (s.start - start, s.end - start), s.marker_type, s.parent)
                  for s in sections],
        kinds={s.id: s.kind for s in sections},
        default_kind=default_kind,
        title_year=str(title_year) if title_year else None,
        quiet=title_range if doc.series else [],
        title=title_range,
    )
    items = nlp.annotate(local, context)._.items

    def where(it: dict) -> dict:
        a, b = it["start"] + start, it["end"] + start
        return {"text": text.simp[a:b], "span": text.span(a, b)}

    dates = [{"id": d["id"], **where(d), "type": d["type"], "value": d["value"],
              "value_max": d.get("value_max"), "year_source": d["year_source"]}
             for d in items["dates"]]
    by_id = {d["id"]: d for d in dates}
    tasks = [{"id": t["id"], **where(t), "section": t["section"], "phase": t["phase"],
              "responsible": t["responsible"], "roles": t["roles"], "deadline": t["deadline"],
              "dates": t["dates"], "targets": t["targets"], "inherited": t["inherited"]}
             for t in items["tasks"]]
    task_of = {tid: t for t in tasks for tid in t["targets"]}
    targets = []
    for t in items["targets"]:
        task = task_of.get(t["id"])
        deadline = next((d for d in (task["dates"] if task else [])
                         if by_id[d]["type"] == "deadline"), None)
        targets.append({"id": t["id"], **where(t), "indicator": t["indicator"],
                        "comparator": t["comparator"], "value": t["value"],
                        "value_max": t["value_max"], "unit": t["unit"], "kind": t["kind"],
                        "period": t.get("period"),
                        "deadline": deadline, "responsible": task["responsible"] if task else []})
    return {
        "phases": [{"id": p["id"], "ordinal": p["ordinal"], "name": p["name"], **where(p),
                    "period": by_id[p["period"]] if p["period"] else None,
                    "section": p["section"]} for p in items["phases"]],
        "dates": dates,
        "units": [{"id": u["id"], **where(u), "name": u["name"], "role": u["role"],
                   "split": u.get("split", [])} for u in items["units"]],
        "targets": targets,
        "tasks": tasks,
    }


def _ocr_fields(source: Source, span: list[int]) -> dict:
    """``pages`` and ``ocr`` of a document read from pages: the lines over its span (and the
    furniture dropped from its pages), each with its page, box, span and confidence."""
    if source.ocr_lines is None:
        return {}
    inside = [ln for ln in source.ocr_lines
              if ln.start is not None and ln.start < span[1] and ln.end > span[0]]
    pages = sorted({ln.page for ln in inside})
    lines = [ln for ln in source.ocr_lines
             if (ln.start is not None and ln in inside)
             or (ln.start is None and pages and pages[0] <= ln.page <= pages[-1])]
    return {"pages": pages, "ocr": [ln.as_record() for ln in lines]}


def _section(s: outline.Section, text: Text) -> dict:
    h0, h1 = s.heading
    return {
        "id": s.id, "level": s.level, "marker": s.marker,
        "heading": text.simp[h0:h1], "heading_span": text.span(h0, h1),
        "kind": s.kind, "span": text.span(s.start, s.end),
        "parent": s.parent, "children": s.children,
    }


def error_record(exc: InputError) -> dict:
    return ErrorRecord(source={"path": exc.path}, error=exc.code.value,
                       message=exc.message).model_dump(mode="json")


def iter_file(path: str | os.PathLike[str], name: str | None = None) -> Iterator[dict]:
    """The records of one file: its documents, or one error record. ``name`` is what the
    records call it (default: the path)."""
    try:
        source = read_source(path, name)
        records = iter_source(source)
        first = next(records, None)
    except InputError as exc:
        yield error_record(exc)
        return
    if first is not None:
        yield first
    yield from records


SUFFIXES = {"text": ".txt", "html": ".html", "docx": ".docx", "pdf": ".pdf", "image": ".png"}


def iter_stream(stream: BinaryIO, name: str = "<stdin>") -> Iterator[dict]:
    """The records of a byte stream (standard input): spooled to a temporary file, since
    encoding detection and the .docx and .pdf readers need to seek, and read like a file
    of the type its content shows."""
    with tempfile.TemporaryDirectory(prefix="jihua-") as tmp:
        spool = Path(tmp) / "input"
        with spool.open("wb") as fh:
            shutil.copyfileobj(stream, fh)
        with spool.open("rb") as fh:
            head = fh.read(SAMPLE_BYTES)
        try:
            kind = sniff(head, name)
        except InputError:  # iter_file gives the error record, naming the stream
            kind = "text"
        typed = spool.with_suffix(SUFFIXES[kind])
        spool.rename(typed)
        yield from iter_file(typed, name)


def iter_paths(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files named, and every file under directories named (recursively, sorted)."""
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*") if not q.is_dir())
        else:
            yield p


def iter_records(paths: Iterable[str | os.PathLike[str]]) -> Iterator[dict]:
    for p in iter_paths(paths):
        yield from iter_file(p)


def extract_file(path: str | os.PathLike[str]) -> list[dict]:
    """All records of one file (documents, or an error record) as dicts."""
    return list(iter_file(path))


def extract_text(text: str, name: str = "<text>") -> list[dict]:
    """The document records of text already in memory."""
    if not text.strip():
        return [error_record(InputError(Code.EMPTY, name))]
    return list(iter_source(source_from_text(text, name)))
