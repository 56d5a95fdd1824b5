"""Reads for procedures: the catalogue, and what staff may manage."""

from __future__ import annotations

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
