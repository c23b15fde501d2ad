"""The responsibility matrix (任务分工表): one row per task of one or many plans.

Each row names the document, the task's section (its heading) and phase, the task's text,
its lead unit (the first unit with role ``lead``, else ``responsible``, else the first),
the other units with their roles, the deadline as written and as EDTF, and the targets
written in it.
:func:`rows` builds the rows from document records; :func:`write` writes them as a text
table, CSV, JSON or an Excel workbook (``pipeline.sheets``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import sheets
from .sheets import width

COLUMNS = ("document", "doc_index", "section", "phase", "task", "lead_unit", "other_units",
           "deadline", "deadline_edtf", "deadline_from", "targets")
HEADERS = {"document": "文件", "doc_index": "篇", "section": "章节", "phase": "阶段",
           "task": "任务", "lead_unit": "牵头单位", "other_units": "其他单位(角色)",
           "deadline": "完成时限", "deadline_edtf": "时限(EDTF)", "deadline_from": "时限来源",
           "targets": "指标"}
ROLE_NAMES = {"lead": "牵头", "responsible": "负责", "cooperating": "配合",
              "supervising": "督导", "other": "其他"}
FORMATS = ("table", "csv", "xlsx", "json")


def rows(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per task of every document record (error records are skipped)."""
    out = []
    for r in records:
        if "doc_index" not in r:
            continue
        units = {u["id"]: u for u in r["units"]}
        dates = {d["id"]: d for d in r["dates"]}
        phases = {p["id"]: p for p in r["phases"]}
        sections = {s["id"]: s for s in r["sections"]}
        targets = {t["id"]: t for t in r["targets"]}
        for k in r["tasks"]:
            roles = k.get("roles") or [{"unit": u, "role": units[u]["role"]}
                                       for u in k["responsible"]]
            lead = next((x for role in ("lead", "responsible") for x in roles
                         if x["role"] == role), roles[0] if roles else None)
            others = [x for x in roles if x is not lead]
            deadline = dates.get(k.get("deadline") or "")
            phase = phases.get(k["phase"] or "")
            out.append({
                "document": r["title"] or r["source"]["path"],
                "doc_index": r["doc_index"],
                "section": _section(k, sections),
                "phase": phase["name"] if phase else "",
                "task": k["text"],
                "lead_unit": units[lead["unit"]]["name"] if lead else "",
                "other_units": "、".join(
                    f"{units[x['unit']]['name']}({ROLE_NAMES.get(x['role'], x['role'])})"
                    for x in others),
                "deadline": deadline["text"] if deadline else "",
                "deadline_edtf": (deadline["value"] or "") if deadline else "",
                "deadline_from": (k.get("inherited") or {}).get("deadline", "") if deadline
                else "",
                "targets": ";".join(targets[t]["text"] for t in k["targets"]),
            })
    return out


def _section(task: dict[str, Any], sections: dict[str, dict[str, Any]]) -> str:
    """The heading of the section holding the task; for a numbered item (whose heading is
    the task's own first words), the heading of the section above it."""
    s = sections.get(task["section"] or "")
    if s and task["span"][0] <= s["heading_span"][0] < task["span"][1] and s["parent"]:
        s = sections.get(s["parent"])
    return s["heading"] if s else ""


def as_table(matrix: list[dict[str, Any]], cut: int = 40) -> str:
    """A plain-text table for a terminal, long cells cut to ``cut`` columns."""
    def short(value: Any) -> str:
        text = " ".join(str(value).split())
        out, w = "", 0
        for c in text:
            w += width(c)
            if w > cut:
                return out + "…"
            out += c
        return out

    cells = [[HEADERS[c] for c in COLUMNS]] + [[short(r[c]) for c in COLUMNS] for r in matrix]
    widths = [max(width(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = []
    for row in cells:
        pads = zip(row, widths, strict=True)
        lines.append("  ".join(v + " " * (w - width(v)) for v, w in pads).rstrip())
    return "\n".join(lines) + "\n"


def as_csv(matrix: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(matrix)
    return buf.getvalue()


def write_xlsx(matrix: list[dict[str, Any]], path: Path) -> None:
    """An Excel workbook: a frozen header row, column widths that fit Chinese text."""
    sheets.write(path, [("任务分工表", [HEADERS[c] for c in COLUMNS],
                         ([r[c] for c in COLUMNS] for r in matrix))])


def write(matrix: list[dict[str, Any]], fmt: str, path: Path | None) -> str | None:
    """Write the matrix in ``fmt`` to ``path``; without a path, return it as text
    (xlsx always needs a path)."""
    if fmt == "xlsx":
        if path is None:
            raise ValueError("xlsx output needs a file: pass -o FILE.xlsx")
        write_xlsx(matrix, path)
        return None
    if fmt == "csv":
        text = as_csv(matrix)
    elif fmt == "json":
        text = json.dumps(matrix, ensure_ascii=False, indent=1) + "\n"
    else:
        text = as_table(matrix)
    if path is None:
        return text
    path.write_text(text, encoding="utf-8")
    return None
