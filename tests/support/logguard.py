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

# Whatever the fixtures use as personal data: e-mail addresses of test people.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

leaks: list[str] = []
_lock = threading.Lock()


class PersonalDataGuardHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        text += " " + (record.exc_text or "")
        found = _EMAIL.findall(text)
        if found:
            with _lock:
                leaks.append(f"{record.name}: {found[0]}")
