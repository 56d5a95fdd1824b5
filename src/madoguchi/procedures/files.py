"""Where the definition files live, and the departments they may name (read from the city's file,
so that definitions can be checked without a database)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings

from .definitions import DefinitionError, ParsedDefinition, parse_definition


def definitions_dir() -> Path:
    return settings.BASE_DIR / "data" / "procedures"


def city_department_codes() -> set[str]:
    code = settings.MADOGUCHI_MUNICIPALITY_CODE
    for path in (settings.BASE_DIR / "data" / "municipalities").glob(f"{code}-*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return {str(d["code"]) for d in data.get("departments", [])}
    return set()


@lru_cache(maxsize=256)
def _parse_cached(
    path: str, source: str, mtime_ns: int, size: int, departments: frozenset[str]
) -> ParsedDefinition:
    """Parsing is pure: the same file (path, time, size) parses the same way."""
    return parse_definition(
        Path(path).read_text(encoding="utf-8"), source=source, known_departments=set(departments)
    )


def parse_files(paths: list[Path] | None = None) -> tuple[list[ParsedDefinition], list[str]]:
    """Every definition file parsed; the errors of all the files that failed, each with its place."""
    paths = paths or sorted(definitions_dir().glob("*.yaml"))
    departments = city_department_codes()
    parsed, errors = [], []
    for path in paths:
        try:
            relative = path.relative_to(settings.BASE_DIR)
        except ValueError:
            relative = path
        try:
            stat = path.stat()
            definition = _parse_cached(
                str(path), str(relative), stat.st_mtime_ns, stat.st_size, frozenset(departments)
            )
        except DefinitionError as exc:
            errors.extend(exc.errors)
            continue
        if definition.id != path.stem:
            errors.append(
                f"{relative}:1: id: the id {definition.id!r} must match the file name {path.stem!r}"
            )
            continue
        parsed.append(definition)
    return parsed, errors
