"""The OCR engine interface: a field image and what the field allows in, a reading out.

An engine is any object with a ``name`` and ``recognise(image, spec) -> Reading``
(``Engine`` below). Engines are registered in ``registry.py`` and chosen by the
``MADOGUCHI_OCR_ENGINES`` setting (docs/ocr.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from PIL import Image

DIGITS = "0123456789"
# Full-width katakana (ァ..ヶ), the long-vowel mark and the middle dot; spaces separate words.
KATAKANA = "".join(chr(c) for c in range(0x30A1, 0x30F7)) + "ーヴ・"
ERAS = "明治大正昭和平成令和元"
ASCII_EMAIL = "abcdefghijklmnopqrstuvwxyz" + DIGITS + "@.-_+"

# Field types (src/madoguchi/forms/fieldtypes.py) and, for composite types, their parts.
# Each maps to (allowed characters or None for any, default maximum length, one box per character).
_TYPE_SPECS: dict[str, tuple[str | None, int | None, bool]] = {
    "postal_code": (DIGITS, 7, True),
    "my_number": (DIGITS, 12, True),
    "kaigo_insured_number": (DIGITS, 10, True),
    "phone": (DIGITS + "-", 13, False),
    "money": (DIGITS + ",", 12, False),
    "number": (DIGITS, 9, False),
    "date": (DIGITS + ERAS + "年月日.-/", 16, False),
    "furigana": (KATAKANA + " ", 50, False),
    "name": (None, 50, False),
    "address": (None, 200, False),
    "text": (None, 200, False),
    "textarea": (None, 2000, False),
    "email": (ASCII_EMAIL, 254, False),
    "bank_account.bank_code": (DIGITS, 4, True),
    "bank_account.branch_code": (DIGITS, 3, True),
    "bank_account.number": (DIGITS, 7, True),
    "bank_account.holder": (KATAKANA + " ", 50, False),
}
# Composite field types whose parts share one spec.
_COMPOSITE_ALIASES = {"name": "name", "furigana": "furigana"}

DIGIT_TYPES = frozenset(
    t for t, (chars, _, _) in _TYPE_SPECS.items() if chars and set(chars) <= set(DIGITS + "-,")
)
NAME_TYPES = frozenset({"name", "furigana", "bank_account.holder"})


@dataclass(frozen=True)
class FieldSpec:
    """What a field allows: its type, the characters it may contain, its length, its layout."""

    type: str
    allowed_chars: str | None = None  # None: any character
    max_length: int | None = None
    boxed: bool = False  # one printed box per character
    label: str = ""

    def allows(self, char: str) -> bool:
        return self.allowed_chars is None or char in self.allowed_chars

    @property
    def is_digits(self) -> bool:
        return self.allowed_chars is not None and set(self.allowed_chars) <= set(DIGITS + "-,")

    @property
    def is_katakana(self) -> bool:
        return self.allowed_chars is not None and set(self.allowed_chars) <= set(KATAKANA + " ")

    @property
    def is_name(self) -> bool:
        return self.type in NAME_TYPES

    @classmethod
    def for_type(cls, type_name: str, *, max_length: int | None = None, label: str = "") -> FieldSpec:
        chars, length, boxed = _TYPE_SPECS.get(type_name, (None, 200, False))
        return cls(
            type=type_name, allowed_chars=chars, max_length=max_length or length, boxed=boxed, label=label
        )

    @classmethod
    def for_field(cls, field_def: dict, part: str | None = None) -> FieldSpec:
        """The spec of a procedure field (a dict from data/procedures/*.yaml), or of one part of it."""
        type_name = field_def.get("type", "text")
        if part and type_name not in _COMPOSITE_ALIASES:
            type_name = f"{type_name}.{part}"
        label = field_def.get("label", "")
        if isinstance(label, dict):
            label = label.get("ja", "")
        max_length = None if part else field_def.get("max_length")
        return cls.for_type(type_name, max_length=max_length, label=str(label))


@dataclass
class Reading:
    """What an engine read: the text (constrained and normalised), a score in [0, 1], other candidates."""

    text: str
    score: float
    alternatives: list[str] = field(default_factory=list)
    engine: str = ""


@runtime_checkable
class Engine(Protocol):
    name: str

    def recognise(self, image: Image.Image, spec: FieldSpec) -> Reading: ...


class EngineUnavailable(RuntimeError):
    """The engine's library or data is not installed on this machine."""
