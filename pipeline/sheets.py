"""Excel workbooks for people who exchange spreadsheets (the responsibility matrix, the
audit): each sheet with a bold, frozen header row, columns as wide as their Chinese text
(a wide character counts two), cells that wrap; written atomically."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

MAX_WIDTH = 60


def width(text: str) -> int:
    """Display width: a CJK (wide) character counts two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def write(path: str | Path, sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]
          ) -> None:
    """A workbook at ``path`` with one sheet per ``(title, header, rows)``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    wb.remove(wb.active)
    wrap = Alignment(wrap_text=True, vertical="top")
    for title, header, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(list(header))
        widths = [width(str(h)) for h in header]
        for row in rows:
            ws.append(list(row))
            widths = [max(w, width("" if v is None else str(v))) for w, v in zip(widths, row,
                                                                                 strict=True)]
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for cell, w in zip(ws[1], widths, strict=True):
            ws.column_dimensions[cell.column_letter].width = min(max(w + 2, 6), MAX_WIDTH)
        for line in ws.iter_rows(min_row=2):
            for cell in line:
                cell.alignment = wrap
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    wb.save(tmp)
    tmp.replace(out)
