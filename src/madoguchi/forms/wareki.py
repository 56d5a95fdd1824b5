"""Dates written the Japanese way: 西暦 (2025-04-01, 2025/4/1, 2025年4月1日) and 和暦
(令和7年4月1日, 令和元年5月1日, R7.4.1, R7/4/1, H31.4.30), to ISO dates.

Written by hand: the era table is five lines, and the libraries we looked at either
lack the letter forms (M/T/S/H/R) or the boundary checks. An era year that does not
exist (令和0年, 平成32年) or a date outside its era (平成31年5月1日) is refused.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

ERAS = [
    # name, letter, first day, last day (inclusive)
    ("令和", "R", date(2019, 5, 1), None),
    ("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    ("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
    ("大正", "T", date(1912, 7, 30), date(1926, 12, 24)),
    ("明治", "M", date(1873, 1, 1), date(1912, 7, 29)),  # from the solar calendar (明治6年) on
]
_BY_NAME = {name: era for era in ERAS for name in (era[0], era[1], era[1].lower())}

_SEP = r"\s*[./\-年]\s*"
_WAREKI = re.compile(
    rf"^(?P<era>令和|平成|昭和|大正|明治|[RHSTMrhstm])\s*(?P<year>\d{{1,2}}|元){_SEP}(?P<month>\d{{1,2}}){_SEP}(?P<day>\d{{1,2}})\s*日?$"
)
_SEIREKI = re.compile(rf"^(?P<year>\d{{4}}){_SEP}(?P<month>\d{{1,2}}){_SEP}(?P<day>\d{{1,2}})\s*日?$")
_COMPACT = re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$")


class DateParseError(ValueError):
    """code: 'format' (not a date we can read), 'invalid' (no such day), 'era' (outside its era)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def parse_japanese_date(text: str) -> date:
    value = unicodedata.normalize("NFKC", text or "").strip().replace("月", "/")
    match = _WAREKI.match(value)
    if match:
        _name, _letter, first, last = _BY_NAME[match["era"]]
        year = 1 if match["year"] == "元" else int(match["year"])
        if year < 1:
            raise DateParseError("era")
        try:
            result = date(first.year + year - 1, int(match["month"]), int(match["day"]))
        except ValueError as exc:
            raise DateParseError("invalid") from exc
        if result < first or (last is not None and result > last):
            raise DateParseError("era")
        return result
    match = _SEIREKI.match(value) or _COMPACT.match(value)
    if match:
        try:
            return date(int(match["year"]), int(match["month"]), int(match["day"]))
        except ValueError as exc:
            raise DateParseError("invalid") from exc
    raise DateParseError("format")


def to_wareki(value: date) -> str:
    """令和7年4月1日 (元年 for the first year)."""
    for name, _letter, first, last in ERAS:
        if value >= first and (last is None or value <= last):
            year = value.year - first.year + 1
            return f"{name}{'元' if year == 1 else year}年{value.month}月{value.day}日"
    return f"{value.year}年{value.month}月{value.day}日"
