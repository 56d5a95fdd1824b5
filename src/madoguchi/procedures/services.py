"""Writes for procedures: loading definition files, uploading, previewing and publishing versions."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass

import jaconv
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from madoguchi.accounts.models import StaffRole
from madoguchi.organisations.models import Department

from .definitions import DefinitionError, ParsedDefinition, parse_definition
from .files import parse_files
from .models import Procedure, ProcedureVersion

logger = logging.getLogger(__name__)


def search_normalise(text: str) -> str:
    """Lower-case NFKC text with both kana scripts, so that a search in either finds either."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return f"{jaconv.kata2hira(text)} {jaconv.hira2kata(text)}"


def _search_text(definition: dict) -> str:
    parts = [definition["name"]["ja"], definition["name"]["en"], *definition.get("keywords", [])]
    return search_normalise(" ".join(parts))


@dataclass(frozen=True)
class LoadResult:
    created: int
    unchanged: int


def _department(code: str) -> Department:
    return Department.objects.get(municipality__code=settings.MADOGUCHI_MUNICIPALITY_CODE, code=code)


def _new_version(procedure: Procedure, parsed: ParsedDefinition, *, source: str, by=None) -> ProcedureVersion:
    number = (procedure.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return ProcedureVersion.objects.create(
        procedure=procedure, number=number, definition=parsed.data, schema=parsed.schema,
        source_text=parsed.source_text, sha256=parsed.sha256, source=source, created_by=by,
    )  # fmt: skip


def _publish(version: ProcedureVersion, by=None) -> None:
    version.published_at = timezone.now()
    version.published_by = by
    version.save(update_fields=["published_at", "published_by"])
    procedure = version.procedure
    definition = version.definition
    procedure.current_version = version
    procedure.name = definition["name"]["ja"]
    procedure.name_en = definition["name"]["en"]
    procedure.search_text = _search_text(definition)
    procedure.life_events = definition.get("life_events", [])
    procedure.department = _department(definition["department"])
    procedure.save()


@transaction.atomic
def procedures_load_from_files() -> LoadResult:
    """Load every definition file. All or nothing: one bad file and nothing is loaded.

    A file whose content differs from its procedure's current version becomes a new
    version and is published; unchanged files change nothing.
    """
    parsed, errors = parse_files()
    if errors:
        raise DefinitionError(errors)
    created = unchanged = 0
    for definition in parsed:
        procedure = Procedure.objects.filter(slug=definition.id).first()
        if procedure is None:
            procedure = Procedure.objects.create(
                slug=definition.id, department=_department(definition.data["department"]),
                name=definition.data["name"]["ja"], name_en=definition.data["name"]["en"],
            )  # fmt: skip
        current = procedure.current_version
        if current is not None and current.sha256 == definition.sha256:
            unchanged += 1
            continue
        _publish(_new_version(procedure, definition, source=ProcedureVersion.Source.FILE))
        created += 1
    logger.info("procedures loaded created=%d unchanged=%d", created, unchanged)
    return LoadResult(created, unchanged)


def _check_can_manage(by, procedure: Procedure) -> None:
    if not (
        by.has_role(StaffRole.Role.DEPT_ADMIN, procedure.department_id)
        or by.has_global_role(StaffRole.Role.SYSADMIN)
    ):
        raise PermissionDenied


@transaction.atomic
def version_upload(*, by, procedure: Procedure, text: str, filename: str) -> ProcedureVersion:
    """A candidate version from an uploaded file: checked, stored, not yet published."""
    _check_can_manage(by, procedure)
    departments = set(
        Department.objects.filter(municipality=procedure.department.municipality).values_list(
            "code", flat=True
        )
    )
    parsed = parse_definition(text, source=filename, known_departments=departments)
    if parsed.id != procedure.slug:
        raise DefinitionError([f"{filename}:1: id: this file defines {parsed.id!r}, not {procedure.slug!r}"])
    if parsed.data["department"] != procedure.department.code:
        raise DefinitionError(
            [f"{filename}:1: department: a procedure cannot move to another department here"]
        )
    if procedure.current_version and procedure.current_version.sha256 == parsed.sha256:
        raise ValidationError("この内容は公開中の版と同じです。")
    version = _new_version(procedure, parsed, source=ProcedureVersion.Source.UPLOAD, by=by)
    logger.info(
        "procedure version uploaded procedure=%s version=%d by_user_id=%s",
        procedure.slug,
        version.number,
        by.pk,
    )
    return version


@transaction.atomic
def version_publish(*, by, version: ProcedureVersion) -> None:
    """Make a candidate the version new drafts use. Drafts already started keep theirs."""
    version = ProcedureVersion.objects.select_for_update().get(pk=version.pk)
    _check_can_manage(by, version.procedure)
    if version.is_published:
        raise ValidationError("この版はすでに公開されています。")
    _publish(version, by)
    logger.info("procedure version published procedure=%s version=%d by_user_id=%s",
                version.procedure.slug, version.number, by.pk)  # fmt: skip
