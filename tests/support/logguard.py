"""A log handler that records any personal data of the test fixtures reaching a log record.

Every record passes the ``PersonalDataFilter`` first on the console handler, but
the guard sees the record as the code wrote it *after* the filter ran (filters
mutate the record), so a leak means the filter failed or a handler bypassed it.
The session fails at the end if anything was caught (see conftest.py).
"""

from __future__ import annotations

import logging
import re
import threading

# Whatever the fixtures use as personal data: e-mail addresses of test people, and
# valid My Numbers (12 digits whose check digit holds), written together or grouped.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TWELVE = re.compile(r"(?<!\d)(\d{4})[ -]?(\d{4})[ -]?(\d{4})(?!\d)")


def _valid_my_numbers(text: str) -> list[str]:
    from madoguchi.privacy.mynumber import is_valid_my_number

    return [m.group(0) for m in _TWELVE.finditer(text) if is_valid_my_number("".join(m.groups()))]


leaks: list[str] = []
_lock = threading.Lock()


class PersonalDataGuardHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        text += " " + (record.exc_text or "")
        found = _EMAIL.findall(text) + _valid_my_numbers(text)
        if found:
            with _lock:
                leaks.append(f"{record.name}: {found[0]}")
