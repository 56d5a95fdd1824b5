"""Reads for the counter and its bookings, always scoped to the user: anything else is 404.

Who works the counter: a 担当者, 決裁者 or 課管理者 of a department (``caseworker_department_ids``).
They start applications of their own department's procedures; staff of a department marked
``general_counter`` in the city file (総合窓口) start those of every department and see every
department's bookings. A counter session and its drafts belong to the member of staff who opened
it, and only while it is open.
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from madoguchi.cases.selectors import caseworker_department_ids
from madoguchi.organisations.models import Department
from madoguchi.procedures.models import Procedure

from .models import Booking, CounterDraft, CounterFiling, CounterSchedule, CounterSession, CounterSlot
from .slots import BOOKING_DAYS_AHEAD, DAYS_PER_PAGE, Slot, open_days, slots_of

# --- the counter's scope ----------------------------------------------------------------------------


def counter_department_ids(user) -> set[int]:
    """Departments where the user works the counter."""
    return caseworker_department_ids(user)


def works_general_counter(user) -> bool:
    return Department.objects.filter(pk__in=counter_department_ids(user), general_counter=True).exists()


def scope_department_ids(user) -> set[int]:
    """Departments whose bookings the user sees (all of them at a 総合窓口)."""
    if works_general_counter(user):
        return set(Department.objects.filter(is_active=True).values_list("pk", flat=True))
    return counter_department_ids(user)


def counter_departments(user) -> QuerySet[Department]:
    return Department.objects.filter(pk__in=counter_department_ids(user), is_active=True).order_by(
        "sort_order"
    )


def counter_procedures(*, session: CounterSession) -> list[Procedure]:
    """Published procedures that may be filed at this counter: those offered at the counter (``channels``
    includes ``counter``) of the session's department, or of every department at a 総合窓口."""
    procedures = Procedure.objects.filter(is_active=True, current_version__isnull=False).select_related(
        "department", "current_version"
    )
    if not session.department.general_counter:
        procedures = procedures.filter(department_id=session.department_id)
    return [p for p in procedures if "counter" in p.current_version.definition.get("channels", [])]


def counter_procedure_get(*, session: CounterSession, slug: str) -> Procedure:
    found = next((p for p in counter_procedures(session=session) if p.slug == slug), None)
    if found is None:
        raise Http404
    return found


# --- counter sessions ---------------------------------------------------------------------------------


def session_open_of(*, user) -> CounterSession | None:
    return (
        CounterSession.objects.filter(staff=user, ended_at__isnull=True)
        .select_related("department", "visitor", "booking__procedure", "booking__slot")
        .first()
    )


def session_get_current(*, user, session_id) -> CounterSession:
    """The user's open session (404 for an ended one, somebody else's, or a department they left)."""
    session = (
        CounterSession.objects.filter(pk=session_id, staff=user, ended_at__isnull=True)
        .select_related("department", "visitor", "booking__procedure", "booking__slot")
        .first()
    )
    if session is None or session.department_id not in counter_department_ids(user):
        raise Http404
    return session


def counter_draft_get(*, user, draft_id) -> CounterDraft:
    """A draft of the user's open session; 404 for any other (a previous visitor's is gone already)."""
    link = (
        CounterDraft.objects.filter(draft_id=draft_id, session__staff=user, session__ended_at__isnull=True)
        .select_related("draft__version__procedure__department", "session__department", "session__visitor")
        .first()
    )
    if (
        link is None
        or link.draft.expires_at < timezone.now()
        or link.session.department_id not in counter_department_ids(user)
    ):
        raise Http404
    return link


def session_drafts(*, session: CounterSession) -> list:
    return [
        link.draft
        for link in session.drafts.select_related("draft__version__procedure").order_by("draft__created_at")
    ]


def session_filings(*, session: CounterSession) -> QuerySet[CounterFiling]:
    return session.filings.select_related("submission__procedure").order_by("created_at")


def filing_get_current(*, user, submission_id) -> CounterFiling:
    """A filing made in the user's open session (404 once the next visitor's session started)."""
    filing = (
        CounterFiling.objects.filter(submission_id=submission_id, session__staff=user, session__ended_at__isnull=True)
        .select_related("submission__version", "submission__department", "submission__procedure", "session")
        .first()
    )  # fmt: skip
    if filing is None or filing.session.department_id not in counter_department_ids(user):
        raise Http404
    return filing


def visitor_submissions(*, session: CounterSession, limit: int = 10):
    """The visitor's earlier filings in the departments the session's member of staff works (their own
    queue), newest first: what staff may look at anyway, here for the conversation."""
    from madoguchi.submissions.models import Submission

    if session.visitor_id is None:
        return Submission.objects.none()
    return (
        Submission.objects.filter(user_id=session.visitor_id, department_id__in=counter_department_ids(session.staff))
        .select_related("procedure")
        .order_by("-submitted_at")[:limit]
    )  # fmt: skip


# --- schedules and slots --------------------------------------------------------------------------------


def schedules_of(department) -> list[CounterSchedule]:
    return list(CounterSchedule.objects.filter(department=department).order_by("opens_at"))


def bookable_procedures() -> list[Procedure]:
    """Published procedures of departments whose counter takes bookings."""
    with_schedule = CounterSchedule.objects.values("department_id")
    return list(
        Procedure.objects.filter(
            is_active=True, current_version__isnull=False, department__is_active=True,
            department_id__in=with_schedule,
        ).select_related("department", "current_version").order_by("department__sort_order", "slug")
    )  # fmt: skip


def procedure_get_bookable(*, slug: str) -> Procedure:
    found = next((p for p in bookable_procedures() if p.slug == slug), None)
    if found is None:
        raise Http404
    return found


def day_slots(*, department, day: date, schedules=None) -> list[Slot]:
    """The day's slots with how many are booked."""
    schedules = schedules_of(department) if schedules is None else schedules
    slots = slots_of(schedules, day)
    booked = {s.start: s.booked for s in CounterSlot.objects.filter(department=department, day=day)}
    return [Slot(s.day, s.start, s.end, s.capacity, booked.get(s.start, 0)) for s in slots]


def slot_get(*, department, day: date, start) -> Slot | None:
    """The slot of the schedules starting at ``start`` on ``day`` (None if none does)."""
    return next((s for s in day_slots(department=department, day=day) if s.start == start), None)


def booking_calendar(*, department, first: date | None = None, now=None) -> dict:
    """A page of days with their slots (only those still open for booking), and the pages around it."""
    from datetime import timedelta

    now = now or timezone.now()
    today = timezone.localdate(now)
    last = today + timedelta(days=BOOKING_DAYS_AHEAD)
    first = max(first or today, today)
    schedules = schedules_of(department)
    days = open_days(schedules, first, DAYS_PER_PAGE, last)
    result = []
    for day in days:
        slots = [
            s
            for s in day_slots(department=department, day=day, schedules=schedules)
            if s.open_for_booking(now)
        ]
        if slots:
            result.append({"day": day, "slots": slots})
    following = open_days(schedules, days[-1] + timedelta(days=1), 1, last) if days else []
    previous = None
    if first > today:
        earlier = open_days(schedules, today, 10_000, first - timedelta(days=1))
        previous = earlier[-DAYS_PER_PAGE] if len(earlier) >= DAYS_PER_PAGE else today
    return {"days": result, "next": following[0] if following else None, "previous": previous}


# --- bookings ----------------------------------------------------------------------------------------------


def bookings_of(*, user) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(user=user)
        .select_related("procedure", "department", "slot")
        .order_by("-slot__day", "-slot__start")
    )


def booking_get_owned(*, user, booking_id) -> Booking:
    booking = bookings_of(user=user).filter(pk=booking_id).first()
    if booking is None:
        raise Http404
    return booking


def bookings_for_day(*, user, department_id: int, day: date) -> QuerySet[Booking]:
    if department_id not in scope_department_ids(user):
        raise Http404
    return (
        Booking.objects.filter(department_id=department_id, slot__day=day, status__in=Booking.ACTIVE)
        .select_related("procedure", "user", "slot")
        .order_by("slot__start", "created_at")
    )


def booking_get_for_staff(*, user, booking_id) -> Booking:
    booking = (
        Booking.objects.filter(pk=booking_id, department_id__in=scope_department_ids(user))
        .select_related("procedure", "department", "slot", "user")
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def booking_find_for_staff(*, user, reference: str, day: date) -> Booking | None:
    """A booking of the day by its reference, among the departments the user sees."""
    return (
        Booking.objects.filter(reference=reference, slot__day=day, status__in=Booking.ACTIVE,
                               department_id__in=scope_department_ids(user))
        .select_related("procedure", "user", "slot")
        .first()
    )  # fmt: skip


# --- kiosks (shelter tablets) ---------------------------------------------------------------------------

# Identity levels a kiosk may file: a guest filing at a place staffed by the city, like the counter. A
# procedure that needs a マイナンバーカード signature online ('jpki') is never offered at a kiosk.
KIOSK_IDENTITY_LEVELS = ("none", "email")


def kiosk_eligible(procedure: Procedure) -> bool:
    definition = procedure.current_version.definition if procedure.current_version_id else None
    return bool(
        definition
        and procedure.is_active
        and "counter" in definition.get("channels", [])
        and definition.get("identity") in KIOSK_IDENTITY_LEVELS
    )


def kiosk_eligible_procedures(*, department) -> list[Procedure]:
    """Procedures a kiosk of the department may offer: its own (every department's at a 総合窓口) that are
    offered at the counter and whose identity level allows a guest filing at a staffed place."""
    procedures = Procedure.objects.filter(is_active=True, current_version__isnull=False).select_related(
        "department", "current_version"
    )
    if not department.general_counter:
        procedures = procedures.filter(department_id=department.pk)
    return [p for p in procedures.order_by("department__sort_order", "slug") if kiosk_eligible(p)]


def kiosk_procedures(*, kiosk) -> list[Procedure]:
    """The kiosk's procedures that are still eligible (a procedure withdrawn since is no longer offered)."""
    chosen = set(kiosk.procedures)
    return [p for p in kiosk_eligible_procedures(department=kiosk.department) if p.slug in chosen]


def kiosk_procedure_get(*, kiosk, slug: str) -> Procedure | None:
    return next((p for p in kiosk_procedures(kiosk=kiosk) if p.slug == slug), None)


def kiosks_visible(*, user) -> QuerySet:
    from .models import Kiosk

    return (
        Kiosk.objects.filter(department_id__in=counter_department_ids(user))
        .select_related("department", "enrolled_by", "revoked_by")
        .order_by("revoked_at", "-enrolled_at")
    )


def kiosk_get_for_staff(*, user, kiosk_id):
    kiosk = kiosks_visible(user=user).filter(pk=kiosk_id).first()
    if kiosk is None:
        raise Http404
    return kiosk


def kiosk_by_credentials(*, kiosk_id, key: str):
    """The active kiosk whose cookie this is, or None (unknown, revoked, or a wrong key)."""
    import hashlib
    import uuid

    from django.utils.crypto import constant_time_compare

    from .models import Kiosk

    try:
        kiosk_id = uuid.UUID(str(kiosk_id))
    except ValueError:
        return None
    kiosk = Kiosk.objects.filter(pk=kiosk_id, revoked_at__isnull=True).select_related("department").first()
    if kiosk is None or not kiosk.department.is_active:
        return None
    if not constant_time_compare(kiosk.key_hash, hashlib.sha256(key.encode()).hexdigest()):
        return None
    return kiosk


def kiosk_draft_get(*, visit, draft_id):
    """A draft of the applicant's open visit; 404 for any other (a previous applicant's is gone already)."""
    from .models import KioskDraft

    link = (
        KioskDraft.objects.filter(draft_id=draft_id, visit=visit, visit__ended_at__isnull=True)
        .select_related("draft__version__procedure__department")
        .first()
    )
    if link is None or link.draft.expires_at < timezone.now():
        raise Http404
    return link


def kiosk_visit_drafts(*, visit) -> list:
    return [
        link.draft for link in visit.drafts.select_related("draft__version").order_by("draft__created_at")
    ]


def kiosk_filing_get(*, visit, submission_id):
    """A filing of the applicant's open visit (404 once they pressed 「終わる」 or the time ran out)."""
    from .models import KioskFiling

    filing = (
        KioskFiling.objects.filter(submission_id=submission_id, visit=visit, visit__ended_at__isnull=True)
        .select_related("submission__version", "submission__department", "submission__procedure")
        .first()
    )
    if filing is None:
        raise Http404
    return filing


def procedure_names(*, slugs: set[str], language: str) -> dict[str, str]:
    from madoguchi.forms.fieldtypes import localised

    found = Procedure.objects.filter(slug__in=slugs, current_version__isnull=False).select_related(
        "current_version"
    )
    return {p.slug: localised(p.current_version.definition["name"], language) for p in found}
