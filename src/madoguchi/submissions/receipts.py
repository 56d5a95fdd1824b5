"""Receipt numbers people can read aloud and nobody can guess.

Twenty random decimal digits (66 bits from ``secrets``) and one Damm check digit, shown in
groups: ``4821-0937-5516-2048-73915``. Digits alone, because they are read out over the
phone and at the counter by people of every age; the Damm digit catches every single
wrong digit and every swap of two neighbours. Written by hand (a dozen lines).
"""

from __future__ import annotations

import re
import secrets

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
RANDOM_DIGITS = 20


def damm_digit(digits: str) -> int:
    interim = 0
    for d in digits:
        interim = _DAMM[interim][int(d)]
    return interim


def format_receipt(digits: str) -> str:
    return "-".join([digits[0:4], digits[4:8], digits[8:12], digits[12:16], digits[16:]])


def new_receipt_number() -> str:
    body = "".join(str(secrets.randbelow(10)) for _ in range(RANDOM_DIGITS))
    return format_receipt(body + str(damm_digit(body)))


def normalise_receipt(text: str) -> str:
    import unicodedata

    return re.sub(r"\D", "", unicodedata.normalize("NFKC", text or ""))


def is_valid_receipt(text: str) -> bool:
    digits = normalise_receipt(text)
    return len(digits) == RANDOM_DIGITS + 1 and damm_digit(digits) == 0
