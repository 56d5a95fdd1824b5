"""OCR for scanned paper forms: pluggable engines (docs/ocr.md).

from madoguchi.paper.ocr import FieldSpec, default
reading = default().recognise(image, FieldSpec.for_type("postal_code"))
"""

from .base import Engine, EngineUnavailable, FieldSpec, Reading
from .normalise import normalise
from .registry import default, engines, get, recognise_all, register, review_priority, unregister

__all__ = [
    "Engine",
    "EngineUnavailable",
    "FieldSpec",
    "Reading",
    "default",
    "engines",
    "get",
    "normalise",
    "recognise_all",
    "register",
    "review_priority",
    "unregister",
]
