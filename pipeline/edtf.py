"""The calendar days an EDTF value covers, for plotting and filtering dates.

Handles what the date tagger writes: ``2008``, ``2008-03``, ``2008-03-20``, sub-year codes
(``2008-33`` quarter 1, ``2008-40`` first half, ``2008-21`` spring), intervals ``a/b``,
deadlines ``../b`` and open starts ``a/..``. An unknown year (``XXXX``, ``20XX``) is given
as ``unknown_year``, so a template plan can still be drawn on a time axis.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

SUB_YEAR = {21: (3, 5), 22: (6, 8), 23: (9, 11), 24: (12, 12),
            33: (1, 3), 34: (4, 6), 35: (7, 9), 36: (10, 12), 40: (1, 6), 41: (7, 12)}
POINT = re.compile(r"^(\d{4}|\d\dXX|XXXX)(?:-(\d\d))?(?:-(\d\d))?$")


def _year(text: str, unknown_year: int) -> int:
    return int(text) if text.isdigit() else unknown_year


def point_bounds(value: str, unknown_year: int = 2000) -> tuple[date, date] | None:
    """First and last day of one EDTF point (no interval); None if it is not one."""
    m = POINT.match(value)
    if not m:
        return None
    year = _year(m.group(1), unknown_year)
    part, day = m.group(2), m.group(3)
    if part is None:
        return date(year, 1, 1), date(year, 12, 31)
    code = int(part)
    if code > 12:
        if code not in SUB_YEAR:
            return None
        lo, hi = SUB_YEAR[code]
        return date(year, lo, 1), date(year, hi, calendar.monthrange(year, hi)[1])
    if code < 1:
        return None
    if day is None:
        return date(year, code, 1), date(year, code, calendar.monthrange(year, code)[1])
    try:
        d = date(year, code, int(day))
    except ValueError:
        return None
    return d, d


def bounds(value: str | None, unknown_year: int = 2000) -> tuple[date | None, date | None] | None:
    """``(start, end)`` of an EDTF value; an open side is None; None if it cannot be read.

    >>> bounds("2008-03/2008-04")
    (datetime.date(2008, 3, 1), datetime.date(2008, 4, 30))
    >>> bounds("../XXXX-08-20")
    (None, datetime.date(2000, 8, 20))
    """
    if not value or value.startswith("{") or value.startswith("P"):
        return None
    if "/" not in value:
        return point_bounds(value, unknown_year)
    left, right = value.split("/", 1)
    lo = point_bounds(left, unknown_year) if left != ".." else None
    hi = point_bounds(right, unknown_year) if right != ".." else None
    if (left != ".." and lo is None) or (right != ".." and hi is None):
        return None
    return (lo[0] if lo else None), (hi[1] if hi else None)
