"""Reads for cases: the department queue, one case, and what a citizen sees of theirs."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import jaconv
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from madoguchi.accounts.models import StaffRole
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from .calendar import add_business_days
from .models import Case

CASEWORKER_ROLES = {StaffRole.Role.HANDLER, StaffRole.Role.APPROVER, StaffRole.Role.DEPT_ADMIN}
SORTS = {
    "due": ("due_on", "received_on"),
    "-due": ("-due_on", "-received_on"),
    "received": ("received_on", "due_on"),
    "-received": ("-received_on", "-due_on"),
    "status": ("status", "due_on"),
}


def caseworker_department_ids(user) -> set[int]:
    """Departments whose cases the user works: 担当者, 決裁者 or 課管理者 there. Nobody else."""
    return {d for d, role in user.role_set if role in CASEWORKER_ROLES}


def cases_visible(*, user) -> QuerySet[Case]:
    return Case.objects.filter(department_id__in=caseworker_department_ids(user))


@dataclass
class QueueFilter:
    status: str = ""
    procedure: str = ""
    channel: str = ""
    filed_as: str = ""  # self, proxy, agent
    received_from: date | None = None
    received_to: date | None = None
    assignee: str = ""  # "me", "none", or a user id
    overdue: bool = False
    due_soon: bool = False
    q: str = ""
    sort: str = "due"
    town: str = ""  # the disaster triage's 町字 ("-": none matched)
    estimate: str = ""  # the disaster triage's damage estimate ("-": not given)


def queue(*, user, department_id: int, filters: QueueFilter) -> QuerySet[Case]:
    if department_id not in caseworker_department_ids(user):
        raise Http404
    cases = Case.objects.filter(department_id=department_id).select_related("procedure", "assignee")
    today = timezone.localdate()
    if filters.status == "open":
        cases = cases.filter(closed_at__isnull=True)
    elif filters.status:
        cases = cases.filter(status=filters.status)
    if filters.procedure:
        cases = cases.filter(procedure__slug=filters.procedure)
    if filters.channel:
        cases = cases.filter(channel=filters.channel)
    if filters.filed_as:
        cases = cases.filter(submission__filed_as=filters.filed_as)
    if filters.received_from:
        cases = cases.filter(received_on__gte=filters.received_from)
    if filters.received_to:
        cases = cases.filter(received_on__lte=filters.received_to)
    if filters.assignee == "me":
        cases = cases.filter(assignee=user)
    elif filters.assignee == "none":
        cases = cases.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        cases = cases.filter(assignee_id=int(filters.assignee))
    if filters.overdue:
        cases = cases.filter(closed_at__isnull=True, paused_since__isnull=True, due_on__lt=today)
    if filters.due_soon:
        cases = cases.filter(closed_at__isnull=True, paused_since__isnull=True, due_on__gte=today,
                             due_on__lte=add_business_days(today, 3))  # fmt: skip
    if filters.q:
        cases = cases.filter(_search(filters.q))
    if filters.town:
        cases = cases.filter(triage__town="" if filters.town == "-" else filters.town)
    if filters.estimate:
        cases = cases.filter(triage__estimate="" if filters.estimate == "-" else filters.estimate)
    return cases.order_by(*SORTS.get(filters.sort, SORTS["due"]))


def _search(text: str) -> Q:
    normalised = unicodedata.normalize("NFKC", text).strip()
    digits = re.sub(r"\D", "", normalised)
    condition = Q()
    if len(digits) >= 8 and len(digits) == len(re.sub(r"[\s-]", "", normalised)):
        formatted = "-".join([digits[0:4], digits[4:8], digits[8:12], digits[12:16], digits[16:]]).strip("-")
        condition |= Q(receipt_number__startswith=formatted)
    kana = jaconv.hira2kata(normalised)
    condition |= Q(applicant_name__contains=normalised) | Q(applicant_kana__contains=kana)
    return condition


def case_get_for_staff(*, user, case_id, purpose: str = "") -> Case:
    """One case of the user's departments (404 otherwise); the read is audited."""
    case = (
        cases_visible(user=user)
        .select_related("submission__version", "procedure", "department", "assignee")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404
    audit_record(action=AuditEvent.Action.READ, object_type="cases.case", object_id=case.pk,
                 department_code=case.department.code, fields=["submission"], purpose=purpose, actor=user)  # fmt: skip
    return case


def case_of_submission(*, submission) -> Case | None:
    """The case the citizen deals with: the one waiting for their correction if any (a submission
    may have opened several cases), else the procedure's own (the first opened)."""
    cases = list(submission.cases.select_related("department").order_by("created_at"))
    for wanted in (
        lambda c: c.status == "correction",
        lambda c: c.department_id == submission.department_id,
        lambda c: True,
    ):
        for case in cases:
            if wanted(case):
                return case
    return None


def counts_for_home(*, user) -> dict:
    today = timezone.localdate()
    open_cases = cases_visible(user=user).filter(closed_at__isnull=True)
    return {
        "mine": open_cases.filter(assignee=user).count(),
        "overdue": open_cases.filter(paused_since__isnull=True, due_on__lt=today).count(),
        "due_soon": open_cases.filter(
            paused_since__isnull=True, due_on__gte=today, due_on__lte=add_business_days(today, 3)
        ).count(),
        "unassigned": open_cases.filter(assignee__isnull=True).count(),
    }


def related_cases(*, user, case: Case) -> list[dict]:
    """The other cases of the same filing (a bundle, or a submission that opened several cases).
    Staff see each one's procedure, department and status; they can open those in their departments."""
    from madoguchi.cases.workflows import workflow
    from madoguchi.core.i18n import current_language

    submission = case.submission
    others = Case.objects.exclude(pk=case.pk).select_related("procedure", "department")
    if submission.bundle_id:
        others = others.filter(submission__bundle_id=submission.bundle_id)
    else:
        others = others.filter(submission_id=submission.pk)
    visible = set(caseworker_department_ids(user))
    return [
        {
            "case": other,
            "status": workflow(other.workflow).status(other.status).display(current_language()),
            "title": other.title_in(current_language()),
            "can_open": other.department_id in visible,
        }
        for other in others.order_by("receipt_number")
    ]
