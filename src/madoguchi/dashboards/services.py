"""Writes of the dashboards app: the satisfaction answer and the KPI snapshot."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from madoguchi.cases.calendar import is_closed

from .models import KpiSnapshot, SatisfactionResponse

CHANNELS = ("online", "counter", "paper")
WITHDRAWN = "withdrawn"
COMMENT_MAX = 2000


class AlreadyAnswered(Exception):
    pass


@transaction.atomic
def satisfaction_submit(
    *, submission, easy: int, convenient: int, clear: int, comment: str = ""
) -> SatisfactionResponse:
    """Record the one answer of a submission (a second one raises ``AlreadyAnswered``). The answer after a bundle
    (one-stop filing) counts for each procedure of the bundle not yet answered."""
    for score in (easy, convenient, clear):
        if not 1 <= int(score) <= 5:
            raise ValueError("scores are 1 to 5")
    if SatisfactionResponse.objects.filter(submission=submission).exists():
        raise AlreadyAnswered
    targets = [submission]
    if submission.bundle_id:
        targets += list(
            submission.bundle.submissions.exclude(pk=submission.pk).filter(
                satisfaction__isnull=True, user=submission.user
            )
        )
    answers = []
    try:
        with transaction.atomic():
            for target in targets:
                answers.append(SatisfactionResponse.objects.create(
                    submission=target, procedure_id=target.procedure_id, department_id=target.department_id,
                    easy=easy, convenient=convenient, clear=clear, comment=comment.strip()[:COMMENT_MAX],
                ))  # fmt: skip
    except IntegrityError as exc:
        raise AlreadyAnswered from exc
    return answers[0]


# --- the KPI snapshot --------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def business_day_index(start: date, end: date) -> dict[date, int]:
    """For each day from ``start`` to ``end``: business days after ``start`` up to and including it, so that
    ``index[b] - index[a]`` is ``calendar.business_days_between(a, b)`` for a <= b."""
    index, count, day = {}, 0, start
    while day <= end:
        if day != start and not is_closed(day):
            count += 1
        index[day] = count
        day += timedelta(days=1)
    return index


def standard_days() -> dict[int, int]:
    """Each procedure's 標準処理期間 (business days), from its published definition."""
    from madoguchi.procedures.models import Procedure

    days = {}
    for pk, definition in Procedure.objects.filter(current_version__isnull=False).values_list(
        "pk", "current_version__definition"
    ):
        days[pk] = int((definition or {}).get("processing_days") or 0)
    return days


@transaction.atomic
def kpi_refresh(*, first: date | None = None, last: date | None = None, today: date | None = None) -> int:
    """Recompute the snapshot rows of the months from ``first`` to ``last`` (firsts of months; by default
    the twelve months up to the current one). Aggregate SQL for the counts; the processing days of the
    completed cases are counted in business days with a precomputed calendar. Returns the rows written."""
    from madoguchi.cases.models import Case, CorrectionRequest
    from madoguchi.procedures.models import Procedure

    today = today or timezone.localdate()
    last = month_start(last or today)
    first = month_start(first or add_months(last, -11))
    end = add_months(last, 1)
    rows: dict[tuple[date, int], KpiSnapshot] = {}
    departments = dict(Procedure.objects.values_list("pk", "department_id"))

    def row(month, procedure_id) -> KpiSnapshot:
        month = month.date() if isinstance(month, datetime) else month
        key = (month, procedure_id)
        if key not in rows:
            rows[key] = KpiSnapshot(
                month=month, procedure_id=procedure_id, department_id=departments[procedure_id]
            )
        return rows[key]

    # An application counts once: a procedure that opens several cases (cases: in its definition)
    # is counted by its first case, the one in its own department. The backlog counts every case.
    primary = Case.objects.filter(department_id=F("procedure__department_id"))
    received = primary.filter(received_on__gte=first, received_on__lt=end).annotate(
        m=TruncMonth("received_on")
    )
    for item in received.values("m", "procedure_id", "channel").annotate(n=Count("id")).order_by():
        snapshot = row(item["m"], item["procedure_id"])
        snapshot.received += item["n"]
        if item["channel"] in CHANNELS:
            setattr(snapshot, item["channel"], getattr(snapshot, item["channel"]) + item["n"])
    corrected = received.filter(Exists(CorrectionRequest.objects.filter(case=OuterRef("pk"))))
    for item in corrected.values("m", "procedure_id").annotate(n=Count("id")).order_by():
        row(item["m"], item["procedure_id"]).corrected += item["n"]

    tz = timezone.get_current_timezone()
    start_at = timezone.make_aware(datetime.combine(first, time.min), tz)
    end_at = timezone.make_aware(datetime.combine(end, time.min), tz)
    completed = (
        primary.filter(closed_at__gte=start_at, closed_at__lt=end_at)
        .exclude(status=WITHDRAWN)
        .values_list("procedure_id", "received_on", "closed_at")
    )
    standards = standard_days()
    index: dict[date, int] = {}
    for procedure_id, received_on, closed_at in completed.iterator(chunk_size=5000):
        closed_on = closed_at.astimezone(tz).date()
        if not index or received_on not in index or closed_on not in index:
            low = min(received_on, closed_on, first - timedelta(days=400))
            index = business_day_index(low, max(closed_on, end))
        days = max(0, index[closed_on] - index[received_on])
        snapshot = row(month_start(closed_on), procedure_id)
        snapshot.completed += 1
        snapshot.processing_days_sum += days
        if days <= standards.get(procedure_id, 0):
            snapshot.within_standard += 1

    answers = SatisfactionResponse.objects.filter(answered_at__gte=start_at, answered_at__lt=end_at).annotate(
        m=TruncMonth("answered_at", tzinfo=tz)
    )
    for item in (
        answers.values("m", "procedure_id")
        .annotate(n=Count("id"), easy=Sum("easy"), convenient=Sum("convenient"), clear=Sum("clear"))
        .order_by()
    ):
        snapshot = row(item["m"], item["procedure_id"])
        snapshot.satisfaction_n += item["n"]
        snapshot.easy_sum += item["easy"]
        snapshot.convenient_sum += item["convenient"]
        snapshot.clear_sum += item["clear"]

    if first <= month_start(today) < end:  # the backlog as it stands now, on this month's rows
        open_cases = (
            Case.objects.filter(closed_at__isnull=True)
            .values("procedure_id")
            .annotate(n=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
        )
        for item in open_cases.order_by():
            snapshot = row(month_start(today), item["procedure_id"])
            snapshot.open_cases, snapshot.overdue_cases = item["n"], item["overdue"]

    KpiSnapshot.objects.filter(month__gte=first, month__lt=end).delete()
    KpiSnapshot.objects.bulk_create(rows.values(), batch_size=1000)
    return len(rows)
