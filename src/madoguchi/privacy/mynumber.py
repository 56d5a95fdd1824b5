"""個人番号 (My Number): normalisation, check digit, masking.

Check digit (総務省令第85号 第5条): with the first 11 digits weighted 6,5,4,3,2,7,6,5,4,3,2
from the left, the check digit is 11 - (sum mod 11), or 0 when the remainder is 0 or 1.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_SEPARATORS = re.compile(r"[\s\-‐－ー―−]")


def normalise_my_number(value: str) -> str:
    """Full-width digits to ASCII; spaces and hyphens removed."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value or ""))


def my_number_check_digit(first_eleven: str) -> int:
    remainder = sum(int(d) * w for d, w in zip(first_eleven, _WEIGHTS, strict=True)) % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid_my_number(value: str) -> bool:
    digits = normalise_my_number(value)
    return (
        len(digits) == 12
        and digits.isascii()
        and digits.isdigit()
        and my_number_check_digit(digits[:11]) == int(digits[11])
    )


def validate_my_number(value: str) -> None:
    digits = normalise_my_number(value)
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        raise ValidationError(_("個人番号は数字12桁で入力してください。"), code="my_number_format")
    if my_number_check_digit(digits[:11]) != int(digits[11]):
        raise ValidationError(
            _("個人番号が正しくありません。番号を確かめてください（最後の1桁が合いません）。"),
            code="my_number_check_digit",
        )


def mask_my_number(value: str | None) -> str:
    """Only the last four digits are shown: ●●●● ●●●● 1234."""
    digits = normalise_my_number(value or "")
    if len(digits) != 12:
        return "●●●● ●●●● ●●●●"
    return f"●●●● ●●●● {digits[8:]}"
