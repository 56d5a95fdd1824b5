"""Writes for notices: creating them (their e-mail queued for the worker), delivering the e-mail with
retries, the message templates staff edit, the reminders' switches and opt-outs, and the reminders' run.

``notify`` is what every sender calls: it renders the kind's template in the user's language, stores
the notice (the citizen's message box) and queues the e-mail when the transaction commits. Nothing
here talks to the mail server inside a request.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from .kinds import CORRECTION, RECEIPT, is_known
from .models import MessageTemplate, Notice, ReminderOptOut, ReminderSent, ReminderSetting
from .rendering import localise, render_message, validate

logger = logging.getLogger(__name__)

# Seconds to wait after each failed attempt: 10 attempts over about 26 hours, then the notice is
# marked failed (shown to the ICT office, who can send the failed ones again).
DEFAULT_RETRY_DELAYS = (60, 5 * 60, 15 * 60, 30 * 60, 3600, 2 * 3600, 4 * 3600, 6 * 3600, 12 * 3600)
CLAIM = timedelta(minutes=5)  # a worker sending a notice holds it this long


def retry_delays() -> tuple[int, ...]:
    return tuple(getattr(settings, "MADOGUCHI_EMAIL_RETRY_DELAYS", DEFAULT_RETRY_DELAYS))


def _language(user) -> str:
    return "en" if (user.preferred_language or "").startswith("en") else "ja"


def site_url(path: str) -> str:
    return settings.MADOGUCHI_SITE_URL.rstrip("/") + (path or "/")


def _common(user) -> dict:
    from madoguchi.organisations.selectors import municipality_get_current

    city = municipality_get_current()
    return {
        "user_name": user.display_name if user is not None else "",
        "city_name": city.display_name if city else "",
        "city_phone": city.phone if city else "",
    }


def _enqueue_delivery(notice_id: str) -> None:
    from .tasks import send_notice_email

    try:
        send_notice_email.enqueue(notice_id=notice_id)
    except Exception:  # the queue is unavailable: the sweep sends it (the page must not fail for it)
        logger.exception("could not queue the notice e-mail notice_id=%s", notice_id)


def notify(*, user, kind: str, context: dict, submission=None, case=None, link: str | None = None) -> Notice:
    """Store a notice for ``user`` and queue its e-mail (sent by the worker after the commit).

    ``context`` holds the kind's variables (kinds.py); a value given as {"ja": ..., "en": ...} is
    used in the user's language. ``link`` is a path inside the site (default: the submission's page).
    """
    if not is_known(kind):
        raise ValueError(f"unknown kind of notice: {kind}")
    if link is None:
        link = reverse("submissions:detail", kwargs={"submission_id": submission.pk}) if submission else ""
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError("a notice links to a path inside the site")
    language = _language(user)
    with translation.override(language):
        values = {**_common(user), **{k: localise(v, language) for k, v in context.items()}}
        values["link"] = site_url(link)
        subject, body = render_message(kind, language, values)
    deliverable = bool(user.is_active and user.email)
    notice = Notice.objects.create(
        user=user, kind=kind, subject=subject, body=body, link=link, submission=submission, case=case,
        email_status=Notice.EmailStatus.PENDING if deliverable else Notice.EmailStatus.SKIPPED,
        next_attempt_at=timezone.now() if deliverable else None,
    )  # fmt: skip
    if deliverable:
        notice_id = str(notice.pk)
        transaction.on_commit(lambda: _enqueue_delivery(notice_id))
    logger.info("notice created kind=%s notice_id=%s user_id=%s", kind, notice.pk, user.pk)
    return notice


# --- the senders: receipts and case events ------------------------------------------------------------


def _names(obj) -> dict:
    return {"ja": obj.name, "en": getattr(obj, "name_en", "") or obj.name}


def submission_context(submission) -> dict:
    department = submission.department
    return {
        "procedure_name": submission.version.definition["name"],
        "receipt_number": submission.receipt_number,
        "submitted_at": submission.submitted_at,
        "department_name": _names(department),
        "department_phone": department.phone,
    }


def _answer_address(submission) -> str | None:
    """An e-mail address the applicant gave in the answers (filings without an account)."""
    for key, value in submission.data.items():
        if key.endswith("email") and isinstance(value, str) and "@" in value:
            return value
    return None


def receipt_notify(*, submission) -> None:
    """The receipt: a notice to the account that filed; without one, an e-mail to an address in the answers.

    Called inside the submission's transaction. The notice is made by the worker: its task row is
    written in this transaction, so it commits with the submission or not at all (an outbox), and
    the request that files an application does one insert instead of rendering the message.
    """
    user = submission.user
    if user is not None and user.is_active:
        from madoguchi.submissions.tasks import send_submission_receipt

        send_submission_receipt.enqueue(submission_id=str(submission.pk))
        return None
    if _answer_address(submission):
        from .tasks import send_anonymous_receipt

        submission_id = str(submission.pk)
        transaction.on_commit(lambda: send_anonymous_receipt.enqueue(submission_id=submission_id))
    return None


def receipt_notice_make(*, submission) -> Notice | None:
    """The receipt notice of a submission, once: a task run again (a worker killed mid-way) makes no second."""
    user = submission.user
    if user is None or not user.is_active:
        return None
    existing = Notice.objects.filter(submission=submission, kind=RECEIPT).first()
    if existing is not None:
        return existing
    return _safely(lambda: notify(user=user, kind=RECEIPT, context=submission_context(submission),
                                  submission=submission))  # fmt: skip


def case_notify(*, case, kind: str) -> Notice | None:
    """A notice about a case (status, correction, message, decision) to the citizen who filed it."""
    from madoguchi.cases.workflows import workflow

    submission = case.submission
    user = submission.user
    if user is None or not user.is_active:
        return None
    context = {**submission_context(submission), "status": workflow(case.workflow).status(case.status).label}
    if kind == CORRECTION:
        correction = case.corrections.filter(resolved_at__isnull=True).first()
        context["reason"] = correction.reason if correction else ""
    return _safely(lambda: notify(user=user, kind=kind, context=context, submission=submission, case=case))


def _safely(make):
    """A failure to make a notice must not undo the work it reports (a decision, a receipt...)."""
    try:
        with transaction.atomic():
            return make()
    except Exception:
        logger.exception("could not make a notice")
        return None


# --- e-mail delivery --------------------------------------------------------------------------------------


def _permanent(exc: Exception) -> bool:
    """The server refused for good (5xx): trying again will not help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False  # our configuration: the operator fixes it, the retries then succeed
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _attempt_failed(attempts: int, exc: Exception) -> datetime | None:
    delays = retry_delays()
    if _permanent(exc) or attempts > len(delays):
        return None
    return timezone.now() + timedelta(seconds=delays[attempts - 1])


def notice_deliver(*, notice_id) -> datetime | None:
    """Send a notice's e-mail if it is due; returns when to try again after a failure (None otherwise).

    A notice is claimed before sending (its next attempt moved a few minutes on), so that a retry and
    the sweep running at the same time send it once.
    """
    now = timezone.now()
    claimed = Notice.objects.filter(
        pk=notice_id, email_status=Notice.EmailStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + CLAIM)
    if not claimed:
        return None
    notice = Notice.objects.select_related("user").get(pk=notice_id)
    user = notice.user
    rows = Notice.objects.filter(pk=notice_id)
    if not (user.is_active and user.email):
        rows.update(email_status=Notice.EmailStatus.SKIPPED, next_attempt_at=None)
        return None
    attempts = notice.attempts + 1
    try:
        EmailMessage(subject=notice.subject, body=notice.body, to=[user.email]).send()
    except (smtplib.SMTPException, OSError) as exc:
        error = type(exc).__name__
        retry_at = _attempt_failed(attempts, exc)
        if retry_at is None:
            rows.update(email_status=Notice.EmailStatus.FAILED, attempts=attempts, last_error=error,
                        next_attempt_at=None)  # fmt: skip
            logger.warning("notice e-mail failed for good notice_id=%s attempts=%s error=%s", notice_id,
                           attempts, error)  # fmt: skip
        else:
            rows.update(attempts=attempts, last_error=error, next_attempt_at=retry_at)
            logger.warning("notice e-mail not sent, will retry notice_id=%s attempts=%s error=%s", notice_id,
                           attempts, error)  # fmt: skip
        return retry_at
    except Exception as exc:  # not the network: a fault of this e-mail that another try will not mend
        rows.update(email_status=Notice.EmailStatus.FAILED, attempts=attempts, last_error=type(exc).__name__,
                    next_attempt_at=None)  # fmt: skip
        logger.exception("notice e-mail could not be made notice_id=%s", notice_id)
        return None
    rows.update(email_status=Notice.EmailStatus.SENT, attempts=attempts, last_error="", sent_at=timezone.now(),
                next_attempt_at=None)  # fmt: skip
    logger.info("notice e-mail sent notice_id=%s kind=%s attempts=%s", notice_id, notice.kind, attempts)
    return None


def notices_sweep(*, limit: int = 500) -> int:
    """Queue the e-mail of every pending notice that is due (its task lost, or the worker restarted)."""
    due = list(
        Notice.objects.filter(email_status=Notice.EmailStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for notice_id in due:
        _enqueue_delivery(str(notice_id))
    if due:
        logger.info("notice sweep queued %s e-mail(s)", len(due))
    return len(due)


@transaction.atomic
def notices_retry_failed(*, by) -> int:
    """Send again the e-mails that failed (after the mail server or its configuration was fixed)."""
    ids = list(
        Notice.objects.filter(email_status=Notice.EmailStatus.FAILED).values_list("pk", flat=True)[:1000]
    )
    Notice.objects.filter(pk__in=ids).update(email_status=Notice.EmailStatus.PENDING, attempts=0, last_error="",
                                             next_attempt_at=timezone.now())  # fmt: skip
    for notice_id in ids:
        transaction.on_commit(lambda notice_id=str(notice_id): _enqueue_delivery(notice_id))
    audit_record(action=AuditEvent.Action.CHANGE, object_type="notifications.notice", object_id="bulk",
                 fields=["email_status"], detail=f"{len(ids)} notice(s) sent again", actor=by)  # fmt: skip
    return len(ids)


def anonymous_receipt_deliver(*, submission_id, attempt: int) -> datetime | None:
    """The receipt to an address from the answers (no account, so no notice); returns when to retry."""
    from madoguchi.submissions.models import Submission

    submission = Submission.objects.select_related("department", "version").filter(pk=submission_id).first()
    address = _answer_address(submission) if submission is not None else None
    if not address:
        return None
    language = settings.LANGUAGE_CODE
    with translation.override(language):
        context = submission_context(submission)
        values = {**_common(None), **{k: localise(v, language) for k, v in context.items()}}
        values["link"] = site_url(reverse("submissions:mine"))
        subject, body = render_message(RECEIPT, language, values)
    try:
        EmailMessage(subject=subject, body=body, to=[address]).send()
    except (smtplib.SMTPException, OSError) as exc:
        retry_at = _attempt_failed(attempt, exc)
        logger.warning("receipt e-mail not sent submission_id=%s attempt=%s error=%s retry=%s", submission_id,
                       attempt, type(exc).__name__, retry_at is not None)  # fmt: skip
        return retry_at
    logger.info("receipt e-mail sent submission_id=%s", submission_id)
    return None


# --- the notices' own state ------------------------------------------------------------------------------


def notices_mark_read(*, user, notice_ids=None) -> int:
    """Mark the user's notices read (all of them, or those given)."""
    qs = Notice.objects.filter(user=user, read_at__isnull=True)
    if notice_ids is not None:
        qs = qs.filter(pk__in=list(notice_ids))
    return qs.update(read_at=timezone.now())


# --- templates staff edit -----------------------------------------------------------------------------------


def message_template_save(*, by, kind: str, language: str, subject: str, body: str) -> MessageTemplate:
    """Save an edited template; refused field by field (ValidationError) unless it renders with sample values."""
    if not is_known(kind) or language not in ("ja", "en"):
        raise ValueError("unknown template")
    errors = validate(kind=kind, language=language, subject=subject, body=body)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        template, _created = MessageTemplate.objects.update_or_create(
            kind=kind,
            language=language,
            defaults={"subject": subject.strip(), "body": body, "updated_by": by},
        )
        audit_record(action=AuditEvent.Action.CHANGE, object_type="notifications.messagetemplate",
                     object_id=f"{kind}.{language}", fields=["subject", "body"], actor=by)  # fmt: skip
    return template


@transaction.atomic
def message_template_reset(*, by, kind: str, language: str) -> bool:
    """Go back to the shipped default."""
    deleted, _rows = MessageTemplate.objects.filter(kind=kind, language=language).delete()
    if deleted:
        audit_record(action=AuditEvent.Action.DELETE, object_type="notifications.messagetemplate",
                     object_id=f"{kind}.{language}", fields=["subject", "body"], actor=by)  # fmt: skip
    return bool(deleted)


# --- reminders -------------------------------------------------------------------------------------------------


@transaction.atomic
def reminder_setting_set(*, by, kind: str, enabled: bool) -> ReminderSetting:
    from .reminders import reminder_config

    if kind not in reminder_config():
        raise ValueError("unknown reminder")
    setting, _created = ReminderSetting.objects.update_or_create(
        kind=kind, defaults={"enabled": enabled, "updated_by": by}
    )
    audit_record(action=AuditEvent.Action.CHANGE, object_type="notifications.remindersetting", object_id=kind,
                 fields=["enabled"], detail="on" if enabled else "off", actor=by)  # fmt: skip
    return setting


@transaction.atomic
def reminder_opt_outs_set(*, user, receiving: set[str], among: set[str] | None = None) -> None:
    """The citizen's choice among the kinds ``among`` (default: all): those in ``receiving`` are sent to
    them, the others not. Kinds outside ``among`` keep their setting."""
    from .reminders import reminder_config

    kinds = set(reminder_config()) if among is None else set(among) & set(reminder_config())
    off = kinds - set(receiving)
    ReminderOptOut.objects.filter(user=user, kind__in=kinds - off).delete()
    for kind in off:
        ReminderOptOut.objects.get_or_create(user=user, kind=kind)


def _send_once(kind: str, candidate) -> bool:
    with transaction.atomic():
        record, created = ReminderSent.objects.get_or_create(
            kind=kind, user=candidate.user, subject_key=candidate.key, period=candidate.period
        )
        if not created:
            return False
        record.notice = notify(user=candidate.user, kind=kind, context=candidate.context, link=candidate.link,
                               submission=candidate.submission, case=candidate.case)  # fmt: skip
        record.save(update_fields=["notice"])
    return True


def reminders_run(*, today: date | None = None, rules=None, dry_run: bool = False) -> dict[str, int]:
    """Send today's reminders of every kind switched on (in the data and by the city), once each,
    to citizens who did not switch that kind off. Returns how many were sent (or would be) per kind."""
    from .reminders import RULES, reminder_config
    from .selectors import reminder_city_switches

    today = today or timezone.localdate()
    rules = reminder_config() if rules is None else rules
    switches = reminder_city_switches()
    result = {}
    for kind, rule in rules.items():
        result[kind] = 0
        if not rule.enabled or not switches.get(kind, True):
            continue
        opted_out = set(ReminderOptOut.objects.filter(kind=kind).values_list("user_id", flat=True))
        for candidate in RULES[rule.type](rule, today):
            user = candidate.user
            if user.pk in opted_out or not user.is_citizen:
                continue
            if dry_run:
                already = ReminderSent.objects.filter(kind=kind, user=user, subject_key=candidate.key,
                                                      period=candidate.period).exists()  # fmt: skip
                result[kind] += 0 if already else 1
            elif _send_once(kind, candidate):
                result[kind] += 1
    logger.info("reminders %s for %s: %s", "counted" if dry_run else "sent", today.isoformat(),
                ", ".join(f"{k}={v}" for k, v in result.items()))  # fmt: skip
    return result
