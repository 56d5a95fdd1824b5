"""Where the guide files live, and the procedures they may name (parsed from data/procedures/ as the
procedure loader parses them, so that guides can be checked without a database)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from madoguchi.procedures.files import parse_files as parse_procedure_files

from .definitions import GuideError, ParsedGuide, parse_guide


def guides_dir() -> Path:
    return settings.BASE_DIR / "data" / "life_events"


def procedure_definitions() -> dict[str, dict]:
    """Every valid procedure definition file, by id (files with errors are left out)."""
    parsed, _errors = parse_procedure_files()
    return {definition.id: definition.data for definition in parsed}


def parse_files(paths: list[Path] | None = None) -> tuple[list[ParsedGuide], list[str]]:
    """Every guide file parsed; the errors of all the files that failed, each with its place.

    Guides are few and small, so they are parsed afresh each time (the procedure files
    they refer to are cached by the procedure loader).
    """
    paths = paths or sorted(guides_dir().glob("*.yaml"))
    procedures = procedure_definitions()
    parsed, errors = [], []
    for path in paths:
        try:
            relative = path.relative_to(settings.BASE_DIR)
        except ValueError:
            relative = path
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            errors.append(f"{relative}:1: cannot read the file: {exc.strerror or exc}")
            continue
        try:
            guide = parse_guide(text, source=str(relative), procedures=procedures)
        except GuideError as exc:
            errors.extend(exc.errors)
            continue
        if guide.id != path.stem:
            errors.append(f"{relative}:1: id: the id {guide.id!r} must match the file name {path.stem!r}")
            continue
        parsed.append(guide)
    return parsed, errors
