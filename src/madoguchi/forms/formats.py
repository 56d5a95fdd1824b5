"""JSON Schema ``format`` checkers for our field types, so that the compiled schema checks what
a generic validator cannot: My Number check digits, katakana, real dates."""

from __future__ import annotations

import re
import uuid
from datetime import date

from jsonschema import FormatChecker

from madoguchi.privacy.mynumber import is_valid_my_number

FORMAT_CHECKER = FormatChecker(formats=())


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _date(value) -> bool:
    if not isinstance(value, str):
        return True
    date.fromisoformat(value)
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


@FORMAT_CHECKER.checks("my-number")
def _my_number(value) -> bool:
    return not isinstance(value, str) or (len(value) == 12 and is_valid_my_number(value))


@FORMAT_CHECKER.checks("katakana")
def _katakana(value) -> bool:
    return not isinstance(value, str) or value == "" or bool(re.fullmatch(r"[\u30a0-\u30ff ー・]+", value))


@FORMAT_CHECKER.checks("email")
def _email(value) -> bool:
    return not isinstance(value, str) or bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value))


@FORMAT_CHECKER.checks("uuid", raises=ValueError)
def _uuid(value) -> bool:
    if isinstance(value, str):
        uuid.UUID(value)
    return True
