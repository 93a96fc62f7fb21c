"""Dates as they appear in bylines, footers and comment lines."""

from __future__ import annotations

import re
from datetime import date

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
_MONTH_NAME = r"(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
_NUMERIC = r"(?P<a>\d{1,2})(?P<sep>[/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})"
_ISO = r"(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
DATE_RE = re.compile(rf"(?:{_MONTH_NAME}|{_NUMERIC}|{_ISO})")
MONTH_FIRST, DAY_FIRST = "month-first", "day-first"


def _make(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str, near: date | None = None) -> tuple[date, str | None] | None:
    """Read a whole string as one date.

    Returns (date, guess) where guess is None when the reading was certain, or the
    reading taken ("month-first" / "day-first") for an ambiguous slash date such as
    01/07/2020. An ambiguous date takes the reading closest to `near` (the post's
    footer date), preferring readings not more than two days after it; without `near`, month-first.
    Dotted dates (15.10.2015) are day-first. Returns None if `text` is not a date.
    """
    m = DATE_RE.fullmatch(text.strip())
    if not m:
        return None
    if m["month"]:
        month = MONTHS.get(m["month"].lower())
        found = _make(int(m["year"]), month, int(m["day"])) if month else None
        return (found, None) if found else None
    if m["iy"]:
        found = _make(int(m["iy"]), int(m["im"]), int(m["id"]))
        return (found, None) if found else None
    a, b, y = int(m["a"]), int(m["b"]), int(m["y"])
    if m["sep"] == ".":
        found = _make(y, b, a)
        return (found, None) if found else None
    readings = {MONTH_FIRST: _make(y, a, b), DAY_FIRST: _make(y, b, a)}
    valid = {k: v for k, v in readings.items() if v}
    if not valid:
        return None
    if len(valid) == 1 or a == b:
        reading, found = next(iter(valid.items()))
        return found, None
    if near is None:
        return valid[MONTH_FIRST], MONTH_FIRST
    def distance(k: str) -> tuple[bool, int]:
        days = (near - valid[k]).days  # how long before the footer date
        return days < -2, abs(days)

    reading = min(valid, key=distance)
    return valid[reading], reading
