"""Reads of the DX policy data.

The first four functions are the stable interface the dashboards (``madoguchi.dashboards``) read;
they take no user: callers decide who may see them. The ``*_visible`` / ``*_get`` functions below
scope objects to a staff member and raise ``Http404`` for anything outside it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from madoguchi.accounts.models import StaffRole

from .models import Initiative, Kpi, KpiEntry, PdcaNote, RegisterEntry, StandardArea, StandardMilestone

# --- the interface for madoguchi.dashboards -------------------------------------------------------


def initiatives() -> list[dict]:
    """The ten initiatives in policy order.

    Each: ``{"code": "A1", "label": "A①", "name", "summary", "all_departments": bool,
    "departments": [{"code", "name"}], "actions": [{"department": code|None, "text"}],
    "kpis": [{"key", "name", "definition", "unit", "kind": "auto"|"manual", "baseline": Decimal|None,
    "baseline_date", "target": Decimal|None, "target_date", "compare": bool}]}``.
    """
    rows = Initiative.objects.prefetch_related(
        "departments", "kpis", Prefetch("actions", queryset=_actions())
    ).order_by("sort_order", "code")
    return [
        {
            "code": i.code,
            "label": i.label,
            "name": i.name,
            "summary": i.summary,
            "all_departments": i.all_departments,
            "departments": [
                {"code": d.code, "name": d.name} for d in sorted(i.departments.all(), key=_dept_key)
            ],
            "actions": [
                {"department": a.department.code if a.department else None, "text": a.text}
                for a in i.actions.all()
            ],
            "kpis": [_kpi_dict(k) for k in i.kpis.all()],
        }
        for i in rows
    ]


def manual_kpi_series(code: str) -> list[tuple[datetime.date, Decimal, object, datetime.datetime]]:
    """The current value of a manual KPI per period, oldest period first.

    ``code`` is the KPI's key (e.g. ``"mynumber_card_rate"``). Each item is
    ``(period, value, entered_by, entered_at)``; ``entered_by`` is a ``User`` (or None for loaded data).
    Superseded entries are left out: for each period the newest entry counts.
    """
    return [(e.period, e.value, e.entered_by, e.entered_at) for e in kpi_current_entries(key=code)]


def register_summary() -> dict:
    """Counts for the procedure register (手続台帳).

    ``{"total", "seal": {"required", "abolish", "continue", "reviewing", "reviewed_share"},
    "paper": {…same}, "in_person": {…same}, "review": {"abolish", "continue", "reviewing"},
    "online": {"madoguchi", "mynaportal", "elsewhere", "not_yet", "available", "available_share"},
    "online_volume_share"}``. ``reviewed_share`` is the share (Decimal, 0–100, 1 decimal) of the
    procedures needing 押印/書面/対面 whose review is decided (廃止 or 継続); ``available`` counts
    procedures online anywhere; ``online_volume_share`` weights by yearly volume (None without volumes).
    """
    qs = RegisterEntry.objects.all()
    total = qs.count()
    summary: dict = {"total": total}
    for label, field in (
        ("seal", "seal_required"),
        ("paper", "paper_required"),
        ("in_person", "in_person_required"),
    ):
        counts = qs.filter(**{field: True}).aggregate(
            required=Count("pk"),
            abolish=Count("pk", filter=Q(review=RegisterEntry.Review.ABOLISH)),
            continue_=Count("pk", filter=Q(review=RegisterEntry.Review.CONTINUE)),
            reviewing=Count("pk", filter=Q(review=RegisterEntry.Review.REVIEWING)),
        )
        counts["continue"] = counts.pop("continue_")
        counts["reviewed_share"] = _share(counts["abolish"] + counts["continue"], counts["required"])
        summary[label] = counts
    summary["review"] = {value: qs.filter(review=value).count() for value in RegisterEntry.Review.values}
    online = {value: qs.filter(online_status=value).count() for value in RegisterEntry.Online.values}
    online["available"] = total - online[RegisterEntry.Online.NOT_YET]
    online["available_share"] = _share(online["available"], total)
    summary["online"] = online
    volume_all = sum(qs.exclude(yearly_volume=None).values_list("yearly_volume", flat=True))
    volume_online = sum(
        qs.exclude(yearly_volume=None)
        .exclude(online_status=RegisterEntry.Online.NOT_YET)
        .values_list("yearly_volume", flat=True)
    )
    summary["online_volume_share"] = _share(volume_online, volume_all) if volume_all else None
    return summary


def standardisation_summary(today: datetime.date | None = None) -> dict:
    """The 20 business areas of 標準化 (B②).

    ``{"total", "deadline": date, "by_status": {"not_started", "planning", "migrating", "migrated"},
    "migrated_share": Decimal, "overdue": int, "areas": [{"code", "name", "department", "department_name",
    "status", "status_label", "deadline", "overdue": bool, "milestones_done", "milestones_total"}]}``.
    """
    today = today or timezone.localdate()
    areas = list(
        StandardArea.objects.select_related("department").annotate(
            ms_total=Count("milestones"), ms_done=Count("milestones", filter=Q(milestones__done=True))
        )
    )
    by_status = {value: 0 for value in StandardArea.Status.values}
    for area in areas:
        by_status[area.status] += 1
    rows = [
        {
            "code": a.code,
            "name": a.name,
            "department": a.department.code,
            "department_name": a.department.name,
            "status": a.status,
            "status_label": str(a.get_status_display()),
            "deadline": a.deadline,
            "overdue": a.is_overdue(today),
            "milestones_done": a.ms_done,
            "milestones_total": a.ms_total,
        }
        for a in areas
    ]
    return {
        "total": len(areas),
        "deadline": min((a.deadline for a in areas), default=None),
        "by_status": by_status,
        "migrated_share": _share(by_status[StandardArea.Status.MIGRATED], len(areas)),
        "overdue": sum(1 for r in rows if r["overdue"]),
        "areas": rows,
    }


# --- helpers ---------------------------------------------------------------------------------------


def _share(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _dept_key(d):
    return (d.sort_order, d.code)


def _actions():
    from .models import InitiativeAction

    return InitiativeAction.objects.select_related("department")


def _kpi_dict(k: Kpi) -> dict:
    return {
        "key": k.key,
        "name": k.name,
        "definition": k.definition,
        "unit": k.unit,
        "kind": k.kind,
        "baseline": k.baseline,
        "baseline_date": k.baseline_date,
        "target": k.target,
        "target_date": k.target_date,
        "compare": k.compare,
    }


# --- staff pages -----------------------------------------------------------------------------------


def is_dx_officer(user) -> bool:
    return user.has_global_role(StaffRole.Role.DX_OFFICER)


def initiative_list() -> list[Initiative]:
    return list(Initiative.objects.prefetch_related("departments", "kpis"))


def initiative_get(*, code: str) -> Initiative:
    try:
        return Initiative.objects.prefetch_related(
            "departments", "kpis", Prefetch("actions", queryset=_actions())
        ).get(code=code)
    except Initiative.DoesNotExist:
        raise Http404 from None


def pdca_notes(*, initiative: Initiative) -> list[PdcaNote]:
    return list(initiative.pdca_notes.select_related("author"))


def kpi_get(*, key: str, manual: bool = False) -> Kpi:
    qs = Kpi.objects.select_related("initiative")
    if manual:
        qs = qs.filter(kind=Kpi.Kind.MANUAL)
    try:
        return qs.get(key=key)
    except Kpi.DoesNotExist:
        raise Http404 from None


def kpi_manual_list() -> list[Kpi]:
    return list(Kpi.objects.filter(kind=Kpi.Kind.MANUAL).select_related("initiative"))


def kpi_history(*, kpi: Kpi) -> list[KpiEntry]:
    """Every entry, newest first, superseded ones included (marked by ``superseded_by``)."""
    return list(
        kpi.entries.select_related("entered_by", "supersedes", "superseded_by").order_by("-entered_at", "-pk")
    )


def kpi_current_entries(*, key: str) -> list[KpiEntry]:
    entries = (
        KpiEntry.objects.filter(kpi__key=key, superseded_by__isnull=True)
        .select_related("entered_by")
        .order_by("period", "entered_at", "pk")
    )
    latest: dict[datetime.date, KpiEntry] = {}
    for entry in entries:
        latest[entry.period] = entry  # the newest entry of a period wins
    return [latest[p] for p in sorted(latest)]


def register_queryset_visible(*, user):
    """Rows the user may edit: all for DX推進担当, else those of the user's departments."""
    qs = RegisterEntry.objects.select_related("department", "procedure")
    if is_dx_officer(user):
        return qs
    return qs.filter(department_id__in=user.department_ids)


def register_list(*, department_code: str = "", online_status: str = "", review: str = ""):
    qs = RegisterEntry.objects.select_related("department", "procedure")
    if department_code:
        qs = qs.filter(department__code=department_code)
    if online_status:
        qs = qs.filter(online_status=online_status)
    if review:
        qs = qs.filter(review=review)
    return qs


def register_entry_get_editable(*, user, pk: int) -> RegisterEntry:
    if not 0 < pk < 2**53:
        raise Http404
    try:
        return register_queryset_visible(user=user).get(pk=pk)
    except RegisterEntry.DoesNotExist:
        raise Http404 from None


def standard_area_list() -> list[StandardArea]:
    return list(StandardArea.objects.select_related("department").prefetch_related("milestones"))


def standard_area_get(*, code: str) -> StandardArea:
    try:
        return StandardArea.objects.select_related("department").prefetch_related("milestones").get(code=code)
    except StandardArea.DoesNotExist:
        raise Http404 from None


def milestone_get(*, area: StandardArea, pk: int) -> StandardMilestone:
    try:
        return area.milestones.get(pk=pk)
    except StandardMilestone.DoesNotExist:
        raise Http404 from None
