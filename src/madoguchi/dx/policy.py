"""Reading and checking the DX policy data file (data/dx/<city code>-policy.yaml).

Every problem names the file, the line and the field, as the procedure definitions do
(``procedures/definitions.py``); nothing is loaded unless the whole file is right.
"""

from __future__ import annotations

import datetime

import yaml
from jsonschema import Draft202012Validator

from madoguchi.procedures.definitions import _line_map, _where

AUTO_KPI_KEYS = frozenset(
    {"online_share", "processing_days", "satisfaction", "priority_online", "open_datasets_fresh"}
)
INITIATIVE_CODES = ("A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5")
STATUSES = ("not_started", "planning", "migrating", "migrated")

_date = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_number = {"type": ["number", "null"]}

SCHEMA = {
    "type": "object",
    "required": ["municipality", "initiatives", "standardisation"],
    "additionalProperties": False,
    "properties": {
        "municipality": {"type": "string", "pattern": r"^\d{6}$"},
        "initiatives": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "name", "departments"],
                "additionalProperties": False,
                "properties": {
                    "code": {"enum": list(INITIATIVE_CODES)},
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "summary": {"type": "string"},
                    "all_departments": {"type": "boolean"},
                    "departments": {"type": "array", "items": {"type": "string"}},
                    "actions": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["text"],
                            "additionalProperties": False,
                            "properties": {
                                "department": {"type": ["string", "null"]},
                                "text": {"type": "string", "minLength": 1},
                            },
                        },
                    },
                    "kpis": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["key", "name", "kind"],
                            "additionalProperties": False,
                            "properties": {
                                "key": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,49}$"},
                                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                                "definition": {"type": "string"},
                                "unit": {"type": "string", "maxLength": 20},
                                "kind": {"enum": ["auto", "manual"]},
                                "baseline": _number,
                                "baseline_date": _date,
                                "target": _number,
                                "target_date": _date,
                                "compare": {"type": "boolean"},
                            },
                        },
                    },
                },
            },
        },
        "standardisation": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "name", "department"],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "pattern": r"^[a-z][a-z0-9-]{0,39}$"},
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "department": {"type": "string"},
                    "status": {"enum": list(STATUSES)},
                    "deadline": _date,
                    "note": {"type": "string"},
                    "milestones": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["date", "text"],
                            "additionalProperties": False,
                            "properties": {
                                "date": _date,
                                "text": {"type": "string", "minLength": 1, "maxLength": 300},
                                "done": {"type": "boolean"},
                            },
                        },
                    },
                },
            },
        },
    },
}


class PolicyError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def _dates_ok(data: dict) -> list[tuple[tuple, str]]:
    errors = []

    def check(value, path):
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            errors.append((path, f"not a date: {value!r}"))

    for i, initiative in enumerate(data["initiatives"]):
        for j, kpi in enumerate(initiative.get("kpis", [])):
            for field in ("baseline_date", "target_date"):
                if field in kpi:
                    check(kpi[field], ("initiatives", i, "kpis", j, field))
    for i, area in enumerate(data["standardisation"]):
        if "deadline" in area:
            check(area["deadline"], ("standardisation", i, "deadline"))
        for j, milestone in enumerate(area.get("milestones", [])):
            check(milestone["date"], ("standardisation", i, "milestones", j, "date"))
    return errors


def _semantic_errors(
    data: dict, known_departments: set[str], municipality: str | None
) -> list[tuple[tuple, str]]:
    errors: list[tuple[tuple, str]] = []
    if municipality and data["municipality"] != municipality:
        errors.append((("municipality",), f"this file is for {data['municipality']}, not {municipality}"))
    seen_codes: set[str] = set()
    seen_keys: set[str] = set()
    for i, initiative in enumerate(data["initiatives"]):
        if initiative["code"] in seen_codes:
            errors.append((("initiatives", i, "code"), f"{initiative['code']} appears twice"))
        seen_codes.add(initiative["code"])
        for j, code in enumerate(initiative["departments"]):
            if code not in known_departments:
                errors.append((("initiatives", i, "departments", j), f"unknown department {code!r}"))
        for j, action in enumerate(initiative.get("actions", [])):
            code = action.get("department")
            if code and code not in known_departments:
                errors.append(
                    (("initiatives", i, "actions", j, "department"), f"unknown department {code!r}")
                )
        for j, kpi in enumerate(initiative.get("kpis", [])):
            if kpi["key"] in seen_keys:
                errors.append((("initiatives", i, "kpis", j, "key"), f"{kpi['key']} appears twice"))
            seen_keys.add(kpi["key"])
            if kpi["kind"] == "auto" and kpi["key"] not in AUTO_KPI_KEYS:
                errors.append(
                    (
                        ("initiatives", i, "kpis", j, "key"),
                        f"an automatic KPI is one of {', '.join(sorted(AUTO_KPI_KEYS))}",
                    )
                )
    missing = [code for code in INITIATIVE_CODES if code not in seen_codes]
    if missing:
        errors.append((("initiatives",), f"missing initiatives: {', '.join(missing)}"))
    seen_areas: set[str] = set()
    for i, area in enumerate(data["standardisation"]):
        if area["code"] in seen_areas:
            errors.append((("standardisation", i, "code"), f"{area['code']} appears twice"))
        seen_areas.add(area["code"])
        if area["department"] not in known_departments:
            errors.append(
                (("standardisation", i, "department"), f"unknown department {area['department']!r}")
            )
    return errors


def parse_policy(
    text: str, *, source: str, known_departments: set[str], municipality: str | None = None
) -> dict:
    """Parse and check a policy file; raise PolicyError listing every problem with its place."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=_StringDates)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise PolicyError([f"{source}:{line}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from exc
    if not isinstance(data, dict) or node is None:
        raise PolicyError(
            [f"{source}:1: the policy file is a mapping (municipality, initiatives, standardisation)"]
        )
    lines = _line_map(node)
    validator = Draft202012Validator(SCHEMA)
    problems = [
        f"{_where(source, lines, tuple(error.absolute_path))}: {error.message}"
        for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    ]
    if problems:
        raise PolicyError(problems)
    semantic = _dates_ok(data) + _semantic_errors(data, known_departments, municipality)
    if semantic:
        raise PolicyError([f"{_where(source, lines, path)}: {message}" for path, message in semantic])
    return data


class _StringDates(yaml.SafeLoader):
    """Dates stay strings, so that the schema sees what was written."""


_StringDates.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)
