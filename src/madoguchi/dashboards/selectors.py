"""Reads of the dashboards app: the KPIs of the snapshot and of live aggregates, scoped and, for the public,
with small counts suppressed (counts from 1 to 9 never leave the building, as in the open-data statistics)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.apps import apps
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.formats import date_format

from madoguchi.opendata.stats import SMALLEST_SHOWN, suppress

from .models import KpiSnapshot, SatisfactionResponse
from .services import CHANNELS, add_months, month_start

MONTHS_SHOWN = 12
DIMENSIONS = ("easy", "convenient", "clear")


def shown(count: int | None, *, public: bool) -> int | None:
    """A count as published: ``None`` for 1 to 9 on the public dashboard."""
    if count is None or not public:
        return count
    return None if 0 < count < SMALLEST_SHOWN else count


def ratio(part: int, whole: int, *, public: bool) -> float | None:
    """part / whole, or ``None`` when there is nothing to divide or (public) it would reveal a count from 1 to 9
    (the part or the rest being small, with the whole published beside it)."""
    if not whole:
        return None
    if public and any(0 < n < SMALLEST_SHOWN for n in (part, whole, whole - part)):
        return None
    return part / whole


@dataclass
class Counts:
    online: int = 0
    counter: int = 0
    paper: int = 0
    received: int = 0
    corrected: int = 0
    completed: int = 0
    within_standard: int = 0
    processing_days_sum: int = 0
    satisfaction_n: int = 0
    easy_sum: int = 0
    convenient_sum: int = 0
    clear_sum: int = 0
    open_cases: int = 0
    overdue_cases: int = 0

    def add(self, other: dict) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + (other.get(name) or 0))

    @property
    def channels_total(self) -> int:
        return self.online + self.counter + self.paper


@dataclass
class Row:
    """One line of a table: a month, a procedure or a department, as shown (``None``: suppressed or none)."""

    key: str
    label: str
    counts: Counts
    public: bool
    channel_shown: dict[str, int | None] = field(default_factory=dict)  # online/counter/paper/total
    satisfaction: dict[str, float | None] = field(default_factory=dict)
    satisfaction_n: int = 0

    def share(self, channel: str) -> float | None:
        total = self.channel_shown.get("total")
        count = self.channel_shown.get(channel)
        if not total or count is None:
            return None
        return count / total

    @property
    def online_share(self) -> float | None:
        return self.share("online")

    @property
    def within_share(self) -> float | None:
        return ratio(self.counts.within_standard, self.counts.completed, public=self.public)

    @property
    def completed_shown(self) -> int | None:
        return shown(self.counts.completed, public=self.public)

    @property
    def mean_days(self) -> float | None:
        if not self.counts.completed or (self.public and self.counts.completed < SMALLEST_SHOWN):
            return None
        return self.counts.processing_days_sum / self.counts.completed

    @property
    def correction_rate(self) -> float | None:
        return ratio(self.counts.corrected, self.counts.received, public=self.public)

    @property
    def satisfaction_n_shown(self) -> int | None:
        return shown(self.satisfaction_n, public=self.public)


def _with_channels(rows: list[Row], *, public: bool) -> None:
    """Fill each row's published channel counts: all of them for staff; for the public, with primary and
    secondary suppression over the whole table (the open-data statistics' ``suppress``)."""
    matrix = [[getattr(r.counts, c) for c in CHANNELS] for r in rows]
    _table, hidden = suppress(matrix) if public and rows else (None, set())
    for i, r in enumerate(rows):
        values = [*matrix[i], sum(matrix[i])]
        r.channel_shown = {
            name: (None if (i, j) in hidden else values[j]) for j, name in enumerate([*CHANNELS, "total"])
        }


@dataclass
class Dashboard:
    public: bool
    months: list[Row]
    procedures: list[Row]
    total: Row
    satisfaction: dict[str, float | None]
    satisfaction_n: int | None
    open_cases: int | None
    overdue_cases: int | None
    priority_online: int
    priority_total: int
    datasets_published: int | None
    datasets_fresh: int | None
    computed_at: object
    first: date
    last: date
    departments: list[Row] = field(default_factory=list)


def months_shown(today: date | None = None) -> tuple[date, date]:
    last = month_start(today or timezone.localdate())
    return add_months(last, -(MONTHS_SHOWN - 1)), last


def _satisfaction(counts: Counts, *, public: bool) -> tuple[dict[str, float | None], int]:
    """The mean score of each dimension (``None`` with no answers, or fewer than 10 on the public dashboard)."""
    n = counts.satisfaction_n
    hidden = not n or (public and n < SMALLEST_SHOWN)
    return {d: (None if hidden else getattr(counts, f"{d}_sum") / n) for d in DIMENSIONS}, n


def dashboard(*, department_ids: set[int] | None = None, public: bool = False, today: date | None = None,
              by_department: bool = False) -> Dashboard:  # fmt: skip
    """The KPIs of the twelve months up to ``today``'s, for the given departments (``None``: the whole city)."""
    from madoguchi.organisations.models import Department
    from madoguchi.procedures.models import Procedure

    today = today or timezone.localdate()
    first, last = months_shown(today)
    snapshot = KpiSnapshot.objects.filter(month__gte=first, month__lte=last)
    procedures_qs = Procedure.objects.all()
    if department_ids is not None:
        snapshot = snapshot.filter(department_id__in=department_ids)
        procedures_qs = procedures_qs.filter(department_id__in=department_ids)
    sums = {name: Sum(name) for name in Counts.__dataclass_fields__}

    by_month = {r["month"]: r for r in snapshot.values("month").annotate(**sums).order_by()}
    months = []
    month = first
    while month <= last:
        counts = Counts()
        counts.add(by_month.get(month, {}))
        months.append(
            Row(
                key=f"{month:%Y-%m}",
                label=date_format(month, "YEAR_MONTH_FORMAT"),
                counts=counts,
                public=public,
            )
        )
        month = add_months(month, 1)
    _with_channels(months, public=public)

    names = dict(procedures_qs.values_list("pk", "name"))
    slugs = dict(procedures_qs.values_list("pk", "slug"))
    per_procedure = {
        r["procedure_id"]: r for r in snapshot.values("procedure_id").annotate(**sums).order_by()
    }
    procedures = []
    for pk in sorted(names, key=lambda p: slugs[p]):
        counts = Counts()
        counts.add(per_procedure.get(pk, {}))
        row = Row(key=slugs[pk], label=names[pk], counts=counts, public=public)
        row.satisfaction, row.satisfaction_n = _satisfaction(counts, public=public)
        procedures.append(row)
    _with_channels(procedures, public=public)

    total_counts = Counts()
    for r in months:
        total_counts.add(r.counts.__dict__)
    total = Row(key="all", label="計", counts=total_counts, public=public)
    _with_channels([total], public=public)

    departments = []
    if by_department:
        dept_names = dict(Department.objects.values_list("pk", "name"))
        for r in snapshot.values("department_id").annotate(**sums).order_by("department_id"):
            counts = Counts()
            counts.add(r)
            departments.append(Row(key=str(r["department_id"]), label=dept_names.get(r["department_id"], ""),
                                   counts=counts, public=public))  # fmt: skip
        _with_channels(departments, public=public)

    satisfaction, n = _satisfaction(total_counts, public=public)
    backlog = {"open": months[-1].counts.open_cases, "overdue": months[-1].counts.overdue_cases}
    datasets_published = datasets_fresh = None
    if apps.is_installed("madoguchi.opendata") and department_ids is None:
        from madoguchi.opendata.selectors import public_datasets

        counted = public_datasets().aggregate(
            n=Count("id"), fresh=Count("id", filter=Q(next_due__isnull=True) | Q(next_due__gte=today))
        )
        datasets_published, datasets_fresh = counted["n"], counted["fresh"]
    online = Procedure.objects.filter(is_active=True, current_version__isnull=False)
    return Dashboard(
        public=public, months=months, procedures=procedures, total=total, satisfaction=satisfaction,
        satisfaction_n=shown(n, public=public), open_cases=shown(backlog["open"], public=public),
        overdue_cases=shown(backlog["overdue"], public=public), priority_online=online.count(),
        priority_total=Procedure.objects.count(), datasets_published=datasets_published,
        datasets_fresh=datasets_fresh, computed_at=snapshot.aggregate(at=Max("computed_at"))["at"],
        first=first, last=last, departments=departments,
    )  # fmt: skip


# --- staff --------------------------------------------------------------------------------------


def own_department_ids(user) -> set[int]:
    """The departments where the user holds any role (their numbers come first)."""
    return {d for d, _role in user.role_set if d is not None}


def sees_all_departments(user) -> bool:
    return user.has_global_role("dx_officer") or user.has_global_role("sysadmin")


def comment_department_ids(user) -> set[int]:
    """Comments may hold personal data: only the owning department's caseworkers read them."""
    from madoguchi.cases.selectors import caseworker_department_ids

    return caseworker_department_ids(user)


def comments_for_staff(*, user, limit: int = 50) -> list[SatisfactionResponse]:
    """The latest comments of the user's departments; each one read is an audit row."""
    from madoguchi.privacy.audit import audit_record
    from madoguchi.privacy.models import AuditEvent

    comments = list(
        SatisfactionResponse.objects.filter(department_id__in=comment_department_ids(user))
        .exclude(comment="")
        .select_related("procedure", "department")
        .order_by("-answered_at")[:limit]
    )
    for comment in comments:
        audit_record(action=AuditEvent.Action.READ, object_type="dashboards.satisfactionresponse",
                     object_id=comment.pk, department_code=comment.department.code, fields=["comment"],
                     purpose="満足度アンケートの意見の確認", actor=user)  # fmt: skip
    return comments


def auto_kpis(board: Dashboard) -> dict[str, float | None]:
    """The automatic KPIs of the policy (keys of ``madoguchi.dx``), over the dashboard's twelve months."""
    t = board.total
    scores = [v for v in board.satisfaction.values() if v is not None]
    fresh = None
    if board.datasets_published:
        fresh = board.datasets_fresh / board.datasets_published * 100
    return {
        "online_share": None if t.online_share is None else t.online_share * 100,
        "processing_days": t.mean_days,
        "satisfaction": sum(scores) / len(scores) if scores else None,
        "priority_online": float(board.priority_online),
        "open_datasets_fresh": fresh,
        "backlog": None if board.open_cases is None else float(board.open_cases),
        "correction_rate": None if t.correction_rate is None else t.correction_rate * 100,
    }


def _figure(value, unit: str) -> str:
    if value is None:
        return "—"
    number = float(value)
    text = f"{number:.0f}" if number == int(number) else f"{number:.1f}"
    return f"{text}{unit}" if unit != "%" else f"{text}%"


def policy(board: Dashboard | None = None) -> list[dict] | None:
    """The policy's initiatives and their KPIs (app ``madoguchi.dx``, if present), each KPI with its latest value:
    computed here for the automatic ones, the newest entry for the manual ones."""
    if not apps.is_installed("madoguchi.dx"):
        return None
    try:
        from madoguchi.dx import selectors as dx
    except ImportError:
        return None
    auto = auto_kpis(board) if board is not None else {}
    result = []
    for item in dx.initiatives():
        kpis = []
        for kpi in item.get("kpis", []):
            unit = kpi.get("unit") or ""
            if kpi.get("kind") == "auto":
                latest = _figure(auto.get(kpi["key"]), unit)
            else:
                series = dx.manual_kpi_series(kpi["key"])
                latest = _figure(series[-1][1], unit) + f"（{series[-1][0]:%Y-%m}）" if series else "—"
            target = _figure(kpi.get("target"), unit) if kpi.get("target") is not None else "—"
            if kpi.get("target_date") and kpi.get("target") is not None:
                target += f"（{kpi['target_date']:%Y-%m}）" if hasattr(kpi["target_date"], "year") else ""
            kpis.append({"name": kpi.get("name", kpi["key"]), "kind": kpi.get("kind"), "latest": latest,
                         "target": target})  # fmt: skip
        result.append(
            {"label": item.get("label", item.get("code")), "name": item.get("name", ""), "kpis": kpis}
        )
    return result


def dashboard_dataset_url() -> str:
    """The open-data dataset of the public dashboard, once published."""
    if not apps.is_installed("madoguchi.opendata"):
        return ""
    from django.urls import reverse

    from madoguchi.opendata.models import Dataset

    from .opendata import DATASET_NAME

    if Dataset.objects.filter(name=DATASET_NAME, state=Dataset.State.PUBLISHED).exists():
        return reverse("opendata:dataset", kwargs={"name": DATASET_NAME})
    return ""
