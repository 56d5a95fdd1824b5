"""Logging that never writes personal data.

``PersonalDataFilter`` rewrites every record before any handler formats it:
the message is rendered once, and anything shaped like an e-mail address, a
My Number (12 digits), a phone number or a bank account number is replaced
by a mask. It is a last line of defence: code logs user ids, never names or
addresses, in the first place.
"""

from __future__ import annotations

import logging
import re

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # My Number: 12 digits, possibly written in groups of four.
    (re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)"), "[12-digits]"),
    # Japanese phone numbers: 0 followed by 9 or 10 digits, with or without hyphens.
    (re.compile(r"(?<!\d)0\d{1,4}-\d{1,4}-\d{3,4}(?!\d)|(?<!\d)0\d{9,10}(?!\d)"), "[phone]"),
    # Bank account numbers (7 digits) are masked only where named as such.
    (re.compile(r"(口座番号|account(?:_number)?)\s*[:=：]?\s*\d{7}", re.IGNORECASE), r"\1 [account]"),
]


def mask_personal_data(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        record.msg = mask_personal_data(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time (UTC), level, logger, message and extras."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
        super().__init__(*args, **kwargs)
        self.converter = __import__("time").gmtime
