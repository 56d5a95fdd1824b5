"""Reads for procedures: the catalogue, and what staff may manage."""

from __future__ import annotations

from functools import lru_cache

from django.db.models import Q, QuerySet
from django.http import Http404

from madoguchi.accounts.models import StaffRole

from .models import Procedure, ProcedureVersion
from .services import search_normalise

LIFE_EVENTS = ("moving", "birth", "childcare", "care", "disaster")


def catalogue(*, query: str = "", department: str = "", life_event: str = "") -> list[Procedure]:
    """Published procedures matching a search (kanji, either kana, or English), a department, a life event.

    The list needs names and departments only: the versions' definitions and schemas (large JSON,
    most of the page's cost when loaded) are left in the database."""
    procedures = Procedure.objects.filter(is_active=True, current_version__isnull=False).select_related(
        "department"
    )
    for word in query.split():
        condition = Q()
        for form in search_normalise(word).split():
            condition |= Q(search_text__contains=form)
        procedures = procedures.filter(condition)
    if department:
        procedures = procedures.filter(department__code=department)
    result = list(procedures)
    if life_event in LIFE_EVENTS:
        result = [p for p in result if life_event in p.life_events]
    return result


def _published() -> QuerySet[Procedure]:
    return Procedure.objects.filter(is_active=True, current_version__isnull=False).select_related(
        "department", "current_version"
    )


def procedure_get_public(*, slug: str) -> Procedure:
    procedure = _published().filter(slug=slug).first()
    if procedure is None:
        raise Http404
    return procedure


def procedures_manageable(*, user) -> QuerySet[Procedure]:
    procedures = Procedure.objects.select_related("department", "current_version")
    if user.has_global_role(StaffRole.Role.SYSADMIN):
        return procedures
    managed = [d for d, role in user.role_set if role == StaffRole.Role.DEPT_ADMIN]
    return procedures.filter(department_id__in=managed)


def procedure_get_manageable(*, user, slug: str) -> Procedure:
    procedure = procedures_manageable(user=user).filter(slug=slug).first()
    if procedure is None:
        raise Http404
    return procedure


def version_get_manageable(*, user, slug: str, number: int) -> ProcedureVersion:
    procedure = procedure_get_manageable(user=user, slug=slug)
    version = procedure.versions.filter(number=number).first()
    if version is None:
        raise Http404
    return version


# --- the rules of one version, parsed once per process ------------------------------------------


class VersionRules:
    """A published version's definition and schema, with its compiled validator.

    Versions never change once written (a change is a new version), and the cache is keyed by the
    version's content hash as well as its id, so a process may keep them: the online submit path
    then parses no JSON of the definition on each filing (issue 11's surge).
    """

    __slots__ = ("check", "definition", "schema", "validator")

    def __init__(self, definition: dict, schema: dict):
        from jsonschema import Draft202012Validator

        from madoguchi.forms.formats import FORMAT_CHECKER, compiled_check

        self.definition = definition
        self.schema = schema
        self.validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
        self.check = compiled_check(schema)

    def errors(self, data: dict) -> list[str]:
        """Every way the data breaks the schema, as 'path: message' (as ``forms.engine.schema_errors``).

        Valid answers, the usual case, are confirmed by the compiled check; anything it refuses is
        judged and worded by jsonschema (``forms.formats.compiled_check``)."""
        from madoguchi.forms.engine import validator_errors

        if self.check is not None:
            try:
                self.check(data)
            except Exception:  # refused, or a value it cannot handle: jsonschema decides below  # noqa: S110
                pass
            else:
                return []

        return validator_errors(self.validator, data)


def version_rules(*, version_id: int, sha256: str) -> VersionRules:
    return _version_rules(version_id, sha256)


@lru_cache(maxsize=512)
def _version_rules(version_id: int, sha256: str) -> VersionRules:
    version = ProcedureVersion.objects.only("definition", "schema").get(pk=version_id, sha256=sha256)
    return VersionRules(version.definition, version.schema)
