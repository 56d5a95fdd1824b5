"""Validators for identifiers of Japanese public bodies."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_LG_WEIGHTS = (6, 5, 4, 3, 2)


def local_government_check_digit(first_five: str) -> int:
    """Check digit of a 全国地方公共団体コード (総務省).

    Multiply the five digits by 6, 5, 4, 3, 2, sum, take the remainder mod 11;
    the check digit is the last digit of (11 - remainder). 04202 -> 1 (石巻市).
    """
    if len(first_five) != 5 or not first_five.isascii() or not first_five.isdigit():
        raise ValueError("expected five ASCII digits")
    total = sum(int(d) * w for d, w in zip(first_five, _LG_WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def is_valid_local_government_code(code: str) -> bool:
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    return local_government_check_digit(code[:5]) == int(code[5])


def validate_local_government_code(value: str) -> None:
    if len(value) != 6 or not value.isascii() or not value.isdigit():
        raise ValidationError(_("地方公共団体コードは半角数字6桁で入力してください。"), code="format")
    if not is_valid_local_government_code(value):
        raise ValidationError(
            _("地方公共団体コードの検査数字（6桁目）が正しくありません。"), code="check_digit"
        )
