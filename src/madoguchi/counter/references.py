"""Booking references (予約番号): eight digits shown as ``1234-5678``, easy to read out at the counter
and over the phone. Seven random digits and a Damm check digit (the receipt numbers' scheme), so
that a digit misheard or two swapped are caught when staff type it in. A reference opens nothing by
itself: pages are behind the citizen's log-in or the staff's departments."""

from __future__ import annotations

import re
import secrets
import unicodedata

from madoguchi.submissions.receipts import damm_digit

RANDOM_DIGITS = 7


def new_reference() -> str:
    body = "".join(secrets.choice("0123456789") for _ in range(RANDOM_DIGITS))
    digits = body + str(damm_digit(body))
    return f"{digits[:4]}-{digits[4:]}"


def normalise_reference(text: str) -> str | None:
    """A reference as typed (full-width, spaces, hyphens or none) in its stored form, or None."""
    digits = re.sub(r"[\s\-‐－ー―]", "", unicodedata.normalize("NFKC", str(text or "")))
    if not re.fullmatch(r"\d{8}", digits) or damm_digit(digits) != 0:
        return None
    return f"{digits[:4]}-{digits[4:]}"
