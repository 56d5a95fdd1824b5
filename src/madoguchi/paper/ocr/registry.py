"""Which engines exist, which are in use, and which field readings staff should look at first.

``MADOGUCHI_OCR_ENGINES`` (a Django setting or environment variable, comma-separated, default
``"rapidocr,tesseract"``) names the engines in use, the first being the default. An entry is a
registered name or the dotted path of an engine class (``mysite.ocr.GpuEngine``), which is
imported, instantiated without arguments and registered under its ``name``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from importlib import import_module

from .base import Engine, EngineUnavailable, FieldSpec, Reading

logger = logging.getLogger(__name__)

DEFAULT_ENGINES = "rapidocr,tesseract"

_factories: dict[str, Callable[[], Engine]] = {}
_instances: dict[str, Engine] = {}
_lock = threading.Lock()


def _builtin_rapidocr() -> Engine:
    from .rapid import RapidOCREngine

    return RapidOCREngine()


def _builtin_tesseract() -> Engine:
    from .tesseract import TesseractEngine

    return TesseractEngine()


def register(engine: Engine | Callable[[], Engine], name: str | None = None) -> None:
    """Register an engine instance, or a factory called on first use (then ``name`` is required)."""
    if isinstance(engine, Engine):
        with _lock:
            _instances[name or engine.name] = engine
        return
    if not name:
        raise ValueError("a factory needs a name")
    with _lock:
        _factories[name] = engine
        _instances.pop(name, None)


def unregister(name: str) -> None:
    with _lock:
        _factories.pop(name, None)
        _instances.pop(name, None)


register(_builtin_rapidocr, "rapidocr")
register(_builtin_tesseract, "tesseract")


def configured_names() -> list[str]:
    value = None
    try:
        from django.conf import settings

        value = getattr(settings, "MADOGUCHI_OCR_ENGINES", None)
    except Exception:  # noqa: S110 - outside Django (the benchmark)
        pass
    value = value or os.environ.get("MADOGUCHI_OCR_ENGINES") or DEFAULT_ENGINES
    if isinstance(value, str):
        value = value.split(",")
    return [v.strip() for v in value if v and v.strip()]


def get(name: str) -> Engine:
    """The engine registered as ``name`` (or the class at that dotted path), created on first use."""
    with _lock:
        if name in _instances:
            return _instances[name]
    if name not in _factories and "." in name:
        module, _, attr = name.rpartition(".")
        engine = getattr(import_module(module), attr)()
        register(engine)
        with _lock:
            _instances[name] = engine
        return engine
    if name not in _factories:
        raise KeyError(f"no OCR engine named {name!r}")
    engine = _factories[name]()
    with _lock:
        _instances.setdefault(name, engine)
        return _instances[name]


def available(name: str) -> bool:
    """Whether the engine can run here (its library and data are installed)."""
    try:
        engine = get(name)
        loader = getattr(engine, "_load", None) or getattr(engine, "_recogniser", None)
        if loader:
            loader()
    except (EngineUnavailable, ImportError, KeyError) as exc:
        logger.warning("OCR engine %s unavailable: %s", name, exc)
        return False
    return True


def engines() -> list[Engine]:
    """The configured engines that can run on this machine, the default first."""
    return [get(name) for name in configured_names() if available(name)]


def default() -> Engine:
    found = engines()
    if not found:
        raise EngineUnavailable("no OCR engine configured in MADOGUCHI_OCR_ENGINES can run here")
    return found[0]


def recognise_all(image, spec: FieldSpec) -> dict[str, Reading]:
    """Every configured engine's reading of one field, by engine name."""
    return {engine.name: engine.recognise(image, spec) for engine in engines()}


# -- review order --
REVIEW_INVALID = 1000
REVIEW_DISAGREE = 500
REVIEW_NAME = 300
REVIEW_EMPTY = 100


def _engine_name(key) -> str:
    return key if isinstance(key, str) else getattr(key, "name", str(key))


def review_priority(readings: dict, spec: FieldSpec, valid: bool) -> int:
    """How urgently staff should look at a field: higher first, 0 for a field nobody needs to check.

    ``readings`` maps an engine (or its name) to its Reading, the default engine first;
    ``valid`` is whether the default engine's text passed the field type's validation. Fields
    that fail validation come first, then those the engines disagree on, then names (staff
    confirm every name: the models change 髙 to 高 and 齋 to 斎), then empty readings; within
    each, the less sure the default engine was, the higher.
    """
    if not readings:
        return REVIEW_INVALID + 100
    items = [(_engine_name(k), r) for k, r in readings.items()]
    primary = items[0][1]
    priority = 0
    if not valid:
        priority += REVIEW_INVALID
    texts = {r.text for _, r in items}
    if len(texts) > 1:
        priority += REVIEW_DISAGREE
    if spec.is_name:
        priority += REVIEW_NAME
    if not primary.text:
        priority += REVIEW_EMPTY
    priority += round((1.0 - max(0.0, min(1.0, primary.score))) * 99)
    if priority < 10 and valid and len(texts) == 1 and not spec.is_name:
        return 0
    return priority
