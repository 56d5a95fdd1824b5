"""Writes for the counter (書かない窓口) and its bookings (来庁予約).

Bookings: a slot's row (``CounterSlot``) is locked by every booking of it, and its count raised only
while below the capacity (a conditional UPDATE; a check constraint keeps the row within capacity), so
two requests for the last place never both get it, on SQLite (one writer at a time) and on PostgreSQL
(the row lock) alike.

Counter sessions: one open session per member of staff, bound to one visitor. Starting the next one
(or ending it) deletes every draft the previous visitor's session made; a draft typed in at the counter
belongs to its session only. Submissions made at the counter are the visitor's (``user``), record the
member of staff who typed them (``entered_by``) and how identity and the answers were confirmed.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.privacy.audit import audit_record, audited_atomic
from madoguchi.privacy.models import AuditEvent

from . import selectors
from .models import Booking, CounterDraft, CounterFiling, CounterSchedule, CounterSession, CounterSlot
from .references import new_reference
from .slots import Slot, parse_key

logger = logging.getLogger(__name__)

MAX_ACTIVE_BOOKINGS = 5


class CounterRefused(Exception):
    """A request the counter or the booking system cannot do; the message says why, for the page."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


# --- schedules ------------------------------------------------------------------------------------------


@transaction.atomic
def schedule_add(*, by, department, weekdays, opens_at, closes_at, slot_minutes: int, capacity: int):
    """Add opening hours (already checked field by field by ``forms.ScheduleForm``)."""
    schedule = CounterSchedule.objects.create(
        department=department, weekdays=sorted(set(weekdays)), opens_at=opens_at, closes_at=closes_at,
        slot_minutes=slot_minutes, capacity=capacity, created_by=by,
    )  # fmt: skip
    audit_record(action=AuditEvent.Action.CREATE, object_type="counter.counterschedule", object_id=schedule.pk,
                 department_code=department.code, fields=["weekdays", "hours", "capacity"], actor=by)  # fmt: skip
    return schedule


@transaction.atomic
def schedule_delete(*, by, schedule: CounterSchedule) -> None:
    """Remove opening hours. Bookings already made stay (staff tell the citizens if they must move)."""
    audit_record(action=AuditEvent.Action.DELETE, object_type="counter.counterschedule", object_id=schedule.pk,
                 department_code=schedule.department.code, fields=["weekdays", "hours", "capacity"], actor=by)  # fmt: skip
    schedule.delete()


# --- bookings -------------------------------------------------------------------------------------------


def _slot_to_book(department, key: str, now) -> Slot:
    parsed = parse_key(key)
    if parsed is None:
        raise CounterRefused(_("予約する日時を選んでください。"), "slot")
    slot = selectors.slot_get(department=department, day=parsed[0], start=parsed[1])
    if slot is None or not slot.open_for_booking(now):
        raise CounterRefused(_("その日時は予約できません。ほかの日時を選んでください。"), "slot")
    return slot


def _take(department, slot: Slot) -> CounterSlot:
    """One place in the slot, or CounterRefused when it is full. Inside the caller's transaction."""
    row, _created = CounterSlot.objects.get_or_create(
        department=department, day=slot.day, start=slot.start, defaults={"end": slot.end, "capacity": slot.capacity}
    )  # fmt: skip
    # Lock the slot's row (PostgreSQL; on SQLite the IMMEDIATE transaction already holds the database)...
    CounterSlot.objects.select_for_update().filter(pk=row.pk).first()
    # ... and take a place only while there is one, in one statement.
    taken = CounterSlot.objects.filter(pk=row.pk, booked__lt=slot.capacity).update(
        booked=F("booked") + 1, capacity=slot.capacity
    )
    if not taken:
        raise CounterRefused(_("その時間は予約がいっぱいになりました。ほかの日時を選んでください。"), "slot")
    return row


def _release(slot_id: int) -> None:
    CounterSlot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _send(booking_id, kind: str) -> None:
    from .tasks import send_booking_email

    booking_id = str(booking_id)
    transaction.on_commit(lambda: send_booking_email.enqueue(booking_id=booking_id, kind=kind))


def booking_create(*, user, procedure, key: str, now=None, notify: bool = True) -> Booking:
    """Book a place in a slot of the procedure's department's counter; the confirmation e-mail follows.

    A second identical request (a double click) returns the booking the first one made."""
    now = now or timezone.now()
    department = procedure.department
    slot = _slot_to_book(department, key, now)
    try:
        with audited_atomic(action=AuditEvent.Action.CREATE, object_type="counter.booking",
                            department_code=department.code, fields=["slot", "procedure"], purpose="来庁予約",
                            actor=user) as audit:  # fmt: skip
            active = Booking.objects.filter(user=user, status=Booking.Status.BOOKED,
                                            slot__day__gte=timezone.localdate(now)).count()  # fmt: skip
            if active >= MAX_ACTIVE_BOOKINGS:
                raise CounterRefused(
                    _("予約は同時に%(n)d件までです。使わない予約を取り消してから予約してください。")
                    % {"n": MAX_ACTIVE_BOOKINGS}, "slot",
                )  # fmt: skip
            row = _take(department, slot)
            booking = Booking.objects.create(reference=_unique_reference(), user=user, procedure=procedure,
                                             department=department, slot=row)  # fmt: skip
            audit.success(object_id=booking.pk)
            if notify:
                _send(booking.pk, "booked")
    except IntegrityError:
        # The same citizen's other request for this slot won (a double click): that is the booking.
        existing = Booking.objects.filter(
            user=user, slot__department=department, slot__day=slot.day, slot__start=slot.start,
            status__in=Booking.ACTIVE,
        ).first()  # fmt: skip
        if existing is None:
            raise
        return existing
    logger.info("booking made booking_id=%s department=%s", booking.pk, department.code)
    return booking


def _unique_reference() -> str:
    for _attempt in range(10):
        reference = new_reference()
        if not Booking.objects.filter(reference=reference).exists():
            return reference
    return new_reference()  # the unique constraint decides


def _changeable(booking: Booking, now) -> None:
    from .slots import aware

    if booking.status != Booking.Status.BOOKED:
        raise CounterRefused(_("この予約は変更や取消しができません。"))
    if aware(booking.slot.day, booking.slot.start) <= now:
        raise CounterRefused(_("予約の時間を過ぎているため、変更や取消しはできません。"))


def booking_cancel(*, user, booking: Booking, now=None) -> Booking:
    now = now or timezone.now()
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type="counter.booking", object_id=booking.pk,
                        department_code=booking.department.code, fields=["status"], purpose="来庁予約の取消し",
                        actor=user) as audit:  # fmt: skip
        locked = Booking.objects.select_for_update().select_related("slot").get(pk=booking.pk)
        if locked.status == Booking.Status.CANCELLED:  # a second click
            audit.success(action=AuditEvent.Action.READ)
            return locked
        _changeable(locked, now)
        locked.status, locked.cancelled_at = Booking.Status.CANCELLED, now
        locked.save(update_fields=["status", "cancelled_at", "updated_at"])
        _release(locked.slot_id)
        audit.success()
        _send(locked.pk, "cancelled")
    return locked


def booking_move(*, user, booking: Booking, key: str, now=None) -> Booking:
    """Move the booking to another slot of the same counter (the old place is freed in the same transaction)."""
    now = now or timezone.now()
    slot = _slot_to_book(booking.department, key, now)
    if (slot.day, slot.start) == (booking.slot.day, booking.slot.start):
        return booking
    try:
        with audited_atomic(action=AuditEvent.Action.CHANGE, object_type="counter.booking", object_id=booking.pk,
                            department_code=booking.department.code, fields=["slot"], purpose="来庁予約の変更",
                            actor=user) as audit:  # fmt: skip
            locked = Booking.objects.select_for_update().select_related("slot").get(pk=booking.pk)
            _changeable(locked, now)
            row = _take(locked.department, slot)
            _release(locked.slot_id)
            locked.slot = row
            locked.save(update_fields=["slot", "updated_at"])
            audit.success()
            _send(locked.pk, "moved")
    except IntegrityError:
        raise CounterRefused(_("その日時には、すでに予約があります。"), "slot") from None
    return locked


def booking_check_in(*, by, booking: Booking) -> Booking:
    """The visitor has come: mark the booking 来庁済み (once)."""
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type="counter.booking", object_id=booking.pk,
                        department_code=booking.department.code, fields=["status"], purpose="来庁の受付",
                        actor=by):  # fmt: skip
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.status == Booking.Status.CANCELLED:
            raise CounterRefused(_("この予約は取り消されています。"))
        if locked.status == Booking.Status.BOOKED:
            locked.status, locked.checked_in_at, locked.checked_in_by = (
                Booking.Status.CHECKED_IN, timezone.now(), by,
            )  # fmt: skip
            locked.save(update_fields=["status", "checked_in_at", "checked_in_by", "updated_at"])
    return locked


# --- counter sessions ----------------------------------------------------------------------------------------


def _close(session: CounterSession, now) -> int:
    """End a session and delete every draft made in it (nothing of this visitor is left for the next)."""
    from madoguchi.submissions.models import Draft

    deleted, _rows = Draft.objects.filter(counter__session=session).delete()
    CounterSession.objects.filter(pk=session.pk).update(ended_at=now)
    session.ended_at = now
    return deleted


def session_start(*, staff, department, booking: Booking | None = None) -> CounterSession:
    """The next visitor: end the member of staff's open session (its drafts deleted) and open a new one."""
    now = timezone.now()
    try:
        with audited_atomic(action=AuditEvent.Action.CREATE, object_type="counter.countersession",
                            department_code=department.code, fields=["visitor", "booking"],
                            purpose="窓口受付の開始", actor=staff) as audit:  # fmt: skip
            for old in CounterSession.objects.select_for_update().filter(staff=staff, ended_at__isnull=True):
                _close(old, now)
            session = CounterSession.objects.create(
                staff=staff, department=department, booking=booking, visitor=booking.user if booking else None
            )
            if booking is not None:
                booking_check_in(by=staff, booking=booking)
            audit.success(object_id=session.pk)
    except IntegrityError:  # two clicks on 「次の方」 at once: the other one opened it
        session = selectors.session_open_of(user=staff)
        if session is None:
            raise
    logger.info("counter session started session_id=%s department=%s", session.pk, department.code)
    return session


def session_end(*, staff, session: CounterSession) -> None:
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type="counter.countersession",
                        object_id=session.pk, department_code=session.department.code, fields=["ended_at"],
                        purpose="窓口受付の終了", actor=staff):  # fmt: skip
        _close(session, timezone.now())


def session_end_stale(*, staff) -> None:
    """A session left open since yesterday (the member of staff went home) ends when they come back."""
    from .models import SESSION_ABANDONED

    for session in CounterSession.objects.filter(
        staff=staff, ended_at__isnull=True, started_at__lt=timezone.now() - SESSION_ABANDONED
    ):
        session_end(staff=staff, session=session)


def _visitor_fixed(session: CounterSession) -> None:
    if session.drafts.exists() or session.filings.exists():
        raise CounterRefused(
            _("入力を始めたあとは来庁者を変えられません。別の方なら「次の方を受け付ける」から始めてください。"), "visitor"
        )  # fmt: skip


def session_visitor_find(*, by, session: CounterSession, query: str) -> CounterSession:
    """Link the visitor's citizen account, found by its e-mail address or by today's booking reference.
    The consent asked for the previous account found (if any) does not carry over."""
    from madoguchi.accounts.models import User

    from .references import normalise_reference

    text = (query or "").strip()
    if not text:
        raise CounterRefused(_("メールアドレスか予約番号を入力してください。"), "visitor")
    _visitor_fixed(session)
    booking = None
    reference = normalise_reference(text)
    if reference:
        booking = selectors.booking_find_for_staff(user=by, reference=reference, day=timezone.localdate())
        if booking is None:
            raise CounterRefused(_("今日の予約に、その予約番号は見つかりませんでした。"), "visitor")
        visitor = booking.user
    elif "@" in text and len(text) <= 254:
        visitor = User.objects.filter(email__iexact=text, kind=User.Kind.CITIZEN, is_active=True).first()
        if visitor is None:
            raise CounterRefused(_("そのメールアドレスのアカウントは見つかりませんでした。"), "visitor")
    else:
        raise CounterRefused(
            _("メールアドレス（例：hanako@example.jp）か予約番号（例：1234-5678）を入力してください。"), "visitor"
        )  # fmt: skip
    with audited_atomic(action=AuditEvent.Action.READ, object_type="accounts.user", object_id=visitor.pk,
                        department_code=session.department.code, fields=["email"],
                        purpose="窓口での来庁者の確認", actor=by):  # fmt: skip
        if session.visitor_id != visitor.pk:
            session.prefill_consent, session.consent_at = None, None
        session.visitor = visitor
        if booking is not None:
            session.booking = booking
            booking_check_in(by=by, booking=booking)
        session.save(update_fields=["visitor", "booking", "prefill_consent", "consent_at"])
    return session


def session_visitor_clear(*, by, session: CounterSession) -> CounterSession:
    _visitor_fixed(session)
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type="counter.countersession",
                        object_id=session.pk, department_code=session.department.code, fields=["visitor"],
                        actor=by):  # fmt: skip
        session.visitor, session.booking, session.prefill_consent, session.consent_at = None, None, None, None
        session.save(update_fields=["visitor", "booking", "prefill_consent", "consent_at"])
    return session


def session_identity_set(
    *, by, session: CounterSession, document: str, secondary: list[str]
) -> CounterSession:
    """Record which document the visitor showed (never its number). Checked by ``forms.IdentityForm``."""
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type="counter.countersession",
                        object_id=session.pk, department_code=session.department.code,
                        fields=["identity_document"], purpose="窓口での本人確認", actor=by):  # fmt: skip
        session.identity_document = document
        session.identity_secondary = sorted(secondary) if document == "two_documents" else []
        session.identity_checked_at = timezone.now()
        session.save(update_fields=["identity_document", "identity_secondary", "identity_checked_at"])
    return session


def session_consent_set(*, by, session: CounterSession, consent: bool) -> list[str]:
    """Record the visitor's answer; with a yes, fill the session's drafts from their earlier data.
    Returns the field ids filled."""
    from .prefill import counter_prefill

    if session.visitor_id is None:
        raise CounterRefused(_("先に来庁者のアカウントを確認してください。"), "consent")
    filled: list[str] = []
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type="counter.countersession",
                        object_id=session.pk, department_code=session.department.code,
                        fields=["prefill_consent"], purpose="窓口での同意の記録", actor=by):  # fmt: skip
        session.prefill_consent, session.consent_at = consent, timezone.now()
        session.save(update_fields=["prefill_consent", "consent_at"])
        if consent:
            for draft in selectors.session_drafts(session=session):
                filled += counter_prefill(draft=draft, session=session, by=by)
    return filled


def counter_draft_start(*, by, session: CounterSession, procedure) -> tuple:
    """A new draft of the procedure in the visitor's session, pre-filled if they agreed. Returns (draft, filled)."""
    from madoguchi.submissions.services import draft_start

    from .prefill import counter_prefill

    with transaction.atomic():
        draft = draft_start(procedure=procedure, user=None)
        CounterDraft.objects.create(draft=draft, session=session)
        filled = counter_prefill(draft=draft, session=session, by=by)
    return draft, filled


def counter_draft_discard(*, session: CounterSession, draft) -> None:
    draft.delete()


def counter_submit(*, by, session: CounterSession, draft, token: str, confirmed_by: str):
    """File the draft for the visitor: channel counter, typed in by ``by``, identity checked in person
    (no card signature: ``needs_signature`` is for online filings). Idempotent on the draft's token."""
    from madoguchi.submissions.services import submission_create

    if not session.identity_checked:
        raise CounterRefused(_("本人確認書類を記録してから受け付けてください。"), "identity")
    with transaction.atomic():
        submission = submission_create(
            draft_id=draft.pk, idempotency_key=token, user=session.visitor, channel="counter", entered_by=by,
            learn_profile=bool(session.prefill_consent),
        )  # fmt: skip
        CounterFiling.objects.get_or_create(submission=submission, defaults={
            "session": session, "booking": session.booking, "identity_document": session.identity_document,
            "identity_secondary": session.identity_secondary, "confirmed_by": confirmed_by,
            "prefill_consent": bool(session.prefill_consent and session.visitor_id),
        })  # fmt: skip
    return submission


# --- kiosks (shelter tablets) --------------------------------------------------------------------------------
# A kiosk files as a guest at a place staffed by the city (a shelter), so its filings take the counter's
# channel (``counter``: the dashboards and the queue count it there) with the place in ``KioskFiling``.
# Nothing is kept in a process's memory: the kiosk is a row and a signed cookie, the applicant's visit a
# row bound to the browser's database session.


def kiosk_idle_seconds() -> int:
    from django.conf import settings

    return max(40, int(getattr(settings, "MADOGUCHI_KIOSK_IDLE_SECONDS", 180)))


def kiosk_warning_seconds() -> int:
    """How long the warning before the idle end stays (at least 20 seconds to press 「続ける」: WCAG 2.2.1)."""
    return max(20, min(60, kiosk_idle_seconds() // 2))


def kiosk_enrol(*, by, department, place: str, procedures: list[str]):
    """Enrol a browser as a kiosk; returns (kiosk, key). The key goes into the browser's signed cookie only."""
    import hashlib
    import secrets

    from .models import Kiosk

    eligible = {p.slug for p in selectors.kiosk_eligible_procedures(department=department)}
    chosen = [slug for slug in dict.fromkeys(procedures) if slug in eligible]
    if not chosen:
        raise CounterRefused(_("受け付ける手続を一つ以上選んでください。"), "procedures")
    key = secrets.token_urlsafe(32)
    with audited_atomic(action=AuditEvent.Action.CREATE, object_type="counter.kiosk",
                        department_code=department.code, fields=["place", "procedures"],
                        purpose="受付端末の登録", actor=by) as audit:  # fmt: skip
        kiosk = Kiosk.objects.create(
            department=department, place=place, procedures=chosen, enrolled_by=by,
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
        )  # fmt: skip
        audit.success(object_id=kiosk.pk)
    logger.info("kiosk enrolled kiosk_id=%s department=%s", kiosk.pk, department.code)
    return kiosk, key


def kiosk_revoke(*, by, kiosk) -> None:
    """Revoke a kiosk: its cookie is refused from the next request, and an applicant's open visit ends
    (their drafts deleted)."""
    from .models import Kiosk, KioskVisit

    now = timezone.now()
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type="counter.kiosk", object_id=kiosk.pk,
                        department_code=kiosk.department.code, fields=["revoked_at"],
                        purpose="受付端末の登録取消し", actor=by):  # fmt: skip
        Kiosk.objects.filter(pk=kiosk.pk, revoked_at__isnull=True).update(revoked_at=now, revoked_by=by)
        for visit in KioskVisit.objects.select_for_update().filter(kiosk=kiosk, ended_at__isnull=True):
            _visit_close(visit, now, KioskVisit.EndReason.REVOKED)
    logger.info("kiosk revoked kiosk_id=%s", kiosk.pk)


def _visit_close(visit, now, reason: str) -> None:
    from madoguchi.submissions.models import Draft

    from .models import KioskVisit

    Draft.objects.filter(kiosk__visit=visit).delete()
    KioskVisit.objects.filter(pk=visit.pk, ended_at__isnull=True).update(ended_at=now, end_reason=reason)
    visit.ended_at, visit.end_reason = now, reason


def kiosk_visit_start(*, kiosk):
    from .models import KioskVisit

    return KioskVisit.objects.create(kiosk=kiosk, last_seen_at=timezone.now())


@transaction.atomic
def kiosk_visit_end(*, visit, reason: str) -> None:
    """End an applicant's visit: every draft of it is deleted, in one transaction."""
    from .models import KioskVisit

    locked = KioskVisit.objects.select_for_update().filter(pk=visit.pk).first()
    if locked is not None and locked.ended_at is None:
        _visit_close(locked, timezone.now(), reason)
    logger.info("kiosk visit ended visit_id=%s reason=%s", visit.pk, reason)


def kiosk_visit_resume(*, kiosk, visit_id, now=None) -> tuple:
    """The applicant's open visit on this kiosk, touched; (visit, None), or (None, reason) when there is
    none: 'idle' when it was left longer than the idle time (it is ended now, drafts deleted)."""
    import uuid
    from datetime import timedelta

    from .models import KioskVisit

    now = now or timezone.now()
    try:
        visit_id = uuid.UUID(str(visit_id))
    except ValueError:
        return None, "none"
    visit = KioskVisit.objects.filter(pk=visit_id, kiosk=kiosk, ended_at__isnull=True).first()
    if visit is None:
        return None, "none"
    if visit.last_seen_at < now - timedelta(seconds=kiosk_idle_seconds()):
        kiosk_visit_end(visit=visit, reason=KioskVisit.EndReason.IDLE)
        return None, "idle"
    KioskVisit.objects.filter(pk=visit.pk).update(last_seen_at=now)
    visit.last_seen_at = now
    return visit, None


def kiosk_draft_start(*, visit, procedure):
    """A new draft of the procedure in the applicant's visit (no account, no session key: only the visit
    reaches it)."""
    from madoguchi.submissions.services import draft_start

    from .models import KioskDraft

    with transaction.atomic():
        draft = draft_start(procedure=procedure, user=None)
        KioskDraft.objects.create(draft=draft, visit=visit)
    return draft


def kiosk_submit(*, visit, draft, token: str):
    """File the draft as a guest at the kiosk's place: channel counter, no account, no member of staff
    typing; the place is recorded with the submission (``KioskFiling``) and in the audit trail.
    Idempotent on the draft's token."""
    from madoguchi.procedures.definitions import filer_kind
    from madoguchi.submissions.services import submission_create

    from .models import KioskFiling

    kiosk = visit.kiosk
    if not selectors.kiosk_eligible(draft.version.procedure):
        raise CounterRefused(_("この手続は、この端末では申請できません。"))
    if filer_kind(draft.version.definition, draft.data) == "agent":
        raise CounterRefused(_("提出代行者としての申請は、この端末ではできません。窓口でお申し出ください。"))
    with transaction.atomic():
        submission = submission_create(
            draft_id=draft.pk, idempotency_key=token, user=None, channel="counter", entered_by=None,
            learn_profile=False,
        )  # fmt: skip
        _filing, created = KioskFiling.objects.get_or_create(
            submission=submission, defaults={"kiosk": kiosk, "visit": visit, "place": kiosk.place}
        )
        if created:
            audit_record(action=AuditEvent.Action.CREATE, object_type="counter.kioskfiling", object_id=submission.pk,
                         department_code=submission.department.code, fields=["place"],
                         purpose="避難所の受付端末での申請", detail=f"kiosk={kiosk.pk}")  # fmt: skip
    return submission
