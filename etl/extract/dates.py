"""Dates as they appear in bylines, footers and comment lines."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

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
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_MONTH_NAME = rf"(?P<month>[a-z]{{3,9}})\.?\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+(?P<year>\d{{4}})"
_DAY_MONTH = rf"(?P<dday>\d{{1,2}}){_ORDINAL}\s+(?P<dmonth>[a-z]{{3,9}})\.?,?\s+(?P<dyear>\d{{4}})"
_NUMERIC = r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})"
_ISO = r"(?P<iy>\d{4})(?P<isep>[-/.])(?P<im>\d{1,2})(?P=isep)(?P<id>\d{1,2})"  # year first: 2020-01-09, 2020/1/9
_TIME = r"(?:,?\s+(?:at\s+)?\d{1,2}[:.]\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?(?:\s+[a-z]{2,4})?)?"
DATE_RE = re.compile(rf"{_WEEKDAY}(?:{_MONTH_NAME}|{_DAY_MONTH}|{_NUMERIC}|{_ISO}){_TIME}", re.IGNORECASE)
MONTH_FIRST, DAY_FIRST = "month-first", "day-first"


def _make(y: int, m: int | None, d: int) -> date | None:
    if m is None:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _certain(found: date | None) -> tuple[date, None] | None:
    return (found, None) if found else None


@lru_cache(maxsize=4096)  # pages repeat their dates and names: most calls are repeats
def parse_date(text: str, near: date | None = None) -> tuple[date, str | None] | None:
    """Read a whole string as one date.

    Month names (January 9, 2020; SEPTEMBER 07, 2011; Jan. 9 2020; 9 January 2020, with
    or without a weekday before and a time after), year-first dates (2020-01-09, 2020/01/09,
    2020.01.09), dotted dates (15.10.2015: day-first) and slash or dashed dates (01/07/2020,
    01-07-2020).

    Returns (date, guess) where guess is None when the reading was certain, or the
    reading taken ("month-first" / "day-first") for an ambiguous slash (or dashed) date
    such as 01/07/2020. An ambiguous date takes the reading closest to `near` (the post's
    footer date), preferring readings not more than two days after it; without `near`,
    month-first. Returns None if `text` is not a date.
    """
    m = DATE_RE.fullmatch(text.strip())
    if not m:
        return None
    if m["month"]:
        return _certain(_make(int(m["year"]), MONTHS.get(m["month"].lower()), int(m["day"])))
    if m["dmonth"]:
        return _certain(_make(int(m["dyear"]), MONTHS.get(m["dmonth"].lower()), int(m["dday"])))
    if m["iy"]:
        return _certain(_make(int(m["iy"]), int(m["im"]), int(m["id"])))
    a, b, y = int(m["a"]), int(m["b"]), int(m["y"])
    if m["sep"] == ".":  # dotted dates are European: day first (month first only if that is impossible)
        return _certain(_make(y, b, a) or _make(y, a, b))
    readings = {MONTH_FIRST: _make(y, a, b), DAY_FIRST: _make(y, b, a)}
    valid = {k: v for k, v in readings.items() if v}
    if not valid:
        return None
    if len(valid) == 1 or a == b:
        return next(iter(valid.values())), None
    if near is None:
        return valid[MONTH_FIRST], MONTH_FIRST

    def distance(k: str) -> tuple[bool, int]:
        days = (near - valid[k]).days  # how long before the footer date
        return days < -2, abs(days)

    reading = min(valid, key=distance)
    return valid[reading], reading
