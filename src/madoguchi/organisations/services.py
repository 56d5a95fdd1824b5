"""Writes for municipalities and departments."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Department, Municipality

logger = logging.getLogger(__name__)

_MUNICIPALITY_FIELDS = (
    "name",
    "name_en",
    "name_kana",
    "prefecture",
    "postal_code",
    "address",
    "address_en",
    "phone",
    "website",
    "opening_hours",
    "opening_hours_en",
    "password_words",
)
_DEPARTMENT_FIELDS = (
    "name",
    "name_en",
    "name_kana",
    "division",
    "phone",
    "location",
    "location_en",
    "floor",
    "counter",
)


class MunicipalityFileError(Exception):
    """The data file is not a valid municipality definition; the message names the place."""


@dataclass(frozen=True)
class LoadResult:
    municipality: Municipality
    created: int
    updated: int
    deactivated: int


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MunicipalityFileError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise MunicipalityFileError(f"{path}: the file must hold a mapping with code, name and departments")
    return data


@transaction.atomic
def municipality_load_from_file(*, path: Path) -> LoadResult:
    """Create or update a municipality and its departments from a YAML file.

    Idempotent: loading the same file twice changes nothing. Departments not
    in the file are deactivated, never deleted. Nothing is written unless the
    whole file is valid.
    """
    data = _read(path)
    missing = [
        key
        for key in ("code", "name", "prefecture", "postal_code", "address", "phone", "departments")
        if key not in data
    ]
    if missing:
        raise MunicipalityFileError(f"{path}: missing keys: {', '.join(missing)}")

    code = str(data["code"])
    municipality = Municipality.objects.filter(code=code).first() or Municipality(code=code)
    for field in _MUNICIPALITY_FIELDS:
        if field in data:
            setattr(municipality, field, data[field] if field == "password_words" else str(data[field] or ""))
    try:
        municipality.full_clean()
    except ValidationError as exc:
        raise MunicipalityFileError(f"{path}: {_describe(exc)}") from exc
    municipality.save()

    created = updated = 0
    seen: set[str] = set()
    for index, entry in enumerate(data["departments"]):
        where = f"{path}: departments[{index}]"
        if not isinstance(entry, dict) or "code" not in entry or "name" not in entry:
            raise MunicipalityFileError(f"{where}: each department needs code and name")
        dept_code = str(entry["code"])
        if dept_code in seen:
            raise MunicipalityFileError(f"{where}: the code {dept_code!r} is used twice")
        seen.add(dept_code)
        department = Department.objects.filter(municipality=municipality, code=dept_code).first()
        is_new = department is None
        department = department or Department(municipality=municipality, code=dept_code)
        before = {
            f: getattr(department, f)
            for f in (*_DEPARTMENT_FIELDS, "sort_order", "is_active", "my_number_affairs", "general_counter")
        }
        for field in _DEPARTMENT_FIELDS:
            setattr(department, field, str(entry.get(field, "") or ""))
        affairs = entry.get("my_number_affairs", [])
        if not isinstance(affairs, list) or not all(isinstance(a, str) for a in affairs):
            raise MunicipalityFileError(f"{where}: my_number_affairs must be a list of texts")
        department.my_number_affairs = affairs
        general_counter = entry.get("general_counter", False)
        if not isinstance(general_counter, bool):
            raise MunicipalityFileError(f"{where}: general_counter must be true or false")
        department.general_counter = general_counter
        department.sort_order = index
        department.is_active = True
        try:
            department.full_clean()
        except ValidationError as exc:
            raise MunicipalityFileError(f"{where}: {_describe(exc)}") from exc
        after = {f: getattr(department, f) for f in before}
        if is_new:
            department.save()
            created += 1
        elif before != after:
            department.save()
            updated += 1

    deactivated = (
        Department.objects.filter(municipality=municipality, is_active=True)
        .exclude(code__in=seen)
        .update(is_active=False)
    )
    logger.info(
        "municipality loaded code=%s created=%d updated=%d deactivated=%d",
        code,
        created,
        updated,
        deactivated,
    )
    return LoadResult(municipality, created, updated, deactivated)


def _describe(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(
            f"{field}: {' '.join(str(m) for m in msgs)}" for field, msgs in exc.message_dict.items()
        )
    return " ".join(str(m) for m in exc.messages)
