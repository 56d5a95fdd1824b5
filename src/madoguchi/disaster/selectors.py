"""Reads for disaster mode: the active disaster (a database read, so every web process agrees),
the history, and the triage counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.http import Http404

from .models import Disaster, DisasterToken, TriageEntry


def active_disaster() -> Disaster | None:
    """The disaster in force now, or None. One indexed read; nothing is kept in the process."""
    return Disaster.objects.filter(is_active=True).first()


def disaster_history(*, limit: int = 50) -> list[Disaster]:
    return list(Disaster.objects.select_related("declared_by", "ended_by").order_by("-started_at")[:limit])


def disaster_tokens():
    return DisasterToken.objects.select_related("created_by").order_by("revoked_at", "-created_at")


def disaster_public_state() -> dict:
    """What ``GET /api/disaster/`` answers: no personal data (who switched is left out)."""
    disaster = active_disaster()
    if disaster is None:
        return {"active": False, "disaster": None}
    return {"active": True, "disaster": {
        "id": disaster.pk, "name": disaster.name, "kind": disaster.kind, "date": disaster.occurred_on.isoformat(),
        "area": disaster.area, "started_at": disaster.started_at.isoformat(),
    }}  # fmt: skip


@dataclass
class TriageSummary:
    estimates: list[str]
    rows: list[tuple[str, dict[str, int], int]] = field(default_factory=list)  # town, {estimate: n}, total
    column_totals: dict[str, int] = field(default_factory=dict)
    total: int = 0


def triage_department_for(*, user):
    """The department of 罹災証明, when the user works its cases (担当者, 決裁者, 課管理者); else 404."""
    from madoguchi.cases.selectors import caseworker_department_ids
    from madoguchi.procedures.models import Procedure

    from .services import RISAI_PROCEDURE

    procedure = Procedure.objects.filter(slug=RISAI_PROCEDURE).select_related("department").first()
    if procedure is None or procedure.department_id not in caseworker_department_ids(user):
        raise Http404
    return procedure.department


def _disaster_window(disaster: Disaster) -> Q:
    """Cases opened from this disaster's declaration until the next one's."""
    following = (
        Disaster.objects.filter(started_at__gt=disaster.started_at).order_by("started_at").values_list(
            "started_at", flat=True).first()
    )  # fmt: skip
    condition = Q(opened_at__gte=disaster.started_at)
    if following is not None:
        condition &= Q(opened_at__lt=following)
    return condition


def triage_summary(*, department, disaster: Disaster | None = None) -> TriageSummary:
    """Open 罹災証明 cases of the department counted by town × the applicant's estimate, in one
    GROUP BY over the triage rows alone (their ``open`` follows the case). ``disaster`` narrows to the cases opened since it was declared (until the next
    declaration). Towns are sorted by their total, largest first; "" (不明) last."""
    from .services import ESTIMATES

    entries = TriageEntry.objects.filter(department=department, open=True)
    if disaster is not None:
        entries = entries.filter(_disaster_window(disaster))
    counts: dict[str, dict[str, int]] = {}
    for town, estimate, n in entries.values_list("town", "estimate").annotate(n=Count("pk")).order_by():
        counts.setdefault(town, {})
        counts[town][estimate] = counts[town].get(estimate, 0) + n
    columns = [*ESTIMATES, ""] if any("" in row for row in counts.values()) else list(ESTIMATES)
    summary = TriageSummary(estimates=columns)
    for town, row in sorted(counts.items(), key=lambda kv: (kv[0] == "", -sum(kv[1].values()), kv[0])):
        total = sum(row.values())
        summary.rows.append((town, row, total))
        summary.total += total
        for estimate, n in row.items():
            summary.column_totals[estimate] = summary.column_totals.get(estimate, 0) + n
    return summary


def first_in_catalogue(procedures: list) -> list:
    """While a disaster is active, 罹災証明 first (the rest keep their order)."""
    from .services import RISAI_PROCEDURE

    if not any(p.slug == RISAI_PROCEDURE for p in procedures) or active_disaster() is None:
        return procedures
    return sorted(procedures, key=lambda p: p.slug != RISAI_PROCEDURE)
