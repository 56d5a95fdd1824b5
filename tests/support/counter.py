"""Make counter sessions, counter filings and bookings the way the services do, without walking pages."""

from __future__ import annotations

from datetime import time, timedelta

from django.utils import timezone

from madoguchi.cases.calendar import is_closed
from madoguchi.counter import services
from madoguchi.counter.models import CounterSchedule
from madoguchi.forms.samples import sample_answers
from madoguchi.procedures.models import Procedure
from madoguchi.submissions.services import draft_save
from tests.conftest import department
from tests.support.cases import ensure_procedures


def next_business_day(after=None, skip: int = 0):
    day = after or timezone.localdate()
    found = -1
    while found < skip:
        day += timedelta(days=1)
        if not is_closed(day):
            found += 1
    return day


def open_hours(code: str, *, opens=time(9, 0), closes=time(12, 0), minutes: int = 30, capacity: int = 2):
    """Booking hours for a department (Monday to Friday), unless it has some."""
    dept = department(code)
    existing = CounterSchedule.objects.filter(department=dept).first()
    if existing is not None:
        return existing
    return services.schedule_add(by=None, department=dept, weekdays=[0, 1, 2, 3, 4], opens_at=opens,
                                 closes_at=closes, slot_minutes=minutes, capacity=capacity)  # fmt: skip


def slot_key(day=None, at=time(9, 0)) -> str:
    day = day or next_business_day()
    return f"{day.isoformat()}T{at:%H:%M}"


def book(user, slug: str = "kaigo_nintei_shinki", key: str | None = None, **kwargs):
    ensure_procedures()
    procedure = Procedure.objects.get(slug=slug)
    open_hours(procedure.department.code)
    return services.booking_create(user=user, procedure=procedure, key=key or slot_key(), **kwargs)


def counter_session(staff, code: str = "kaigo-hoken", *, visitor=None, identity: str = "", consent=None):
    session = services.session_start(staff=staff, department=department(code))
    if visitor is not None:
        services.session_visitor_find(by=staff, session=session, query=visitor.email)
    if identity:
        services.session_identity_set(by=staff, session=session, document=identity, secondary=[])
    if consent is not None:
        services.session_consent_set(by=staff, session=session, consent=consent)
    session.refresh_from_db()
    return session


def counter_draft(staff, session, slug: str = "kaigo_nintei_shinki", *, complete: bool = False, **answers):
    ensure_procedures()
    procedure = Procedure.objects.get(slug=slug)
    draft, _filled = services.counter_draft_start(by=staff, session=session, procedure=procedure)
    if complete:
        data = {**sample_answers(procedure.current_version.definition, given=answers), **answers}
        draft_save(draft=draft, values=data)
    draft.refresh_from_db()
    return draft


def file_at_counter(staff, code: str = "kaigo-hoken", slug: str = "kaigo_nintei_shinki", *, visitor=None,
                    identity: str = "driving_licence", confirmed_by: str = "sheet", **answers):  # fmt: skip
    """A submission filed at the counter (a session, a complete draft, identity checked); returns its filing."""
    session = counter_session(staff, code, visitor=visitor, identity=identity)
    draft = counter_draft(staff, session, slug, complete=True, **answers)
    submission = services.counter_submit(by=staff, session=session, draft=draft, token=str(draft.submission_token),
                                         confirmed_by=confirmed_by)  # fmt: skip
    return submission.counter_filing
