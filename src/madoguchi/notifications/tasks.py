"""Background work for notices: the e-mail of each notice (retried with backoff while the mail server
is unreachable), receipts to an address from the answers, the sweep of pending e-mails every ten
minutes, and the daily reminders at 09:00. ``manage.py schedule_periodic`` seeds the periodic ones."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import task

from . import services

logger = logging.getLogger(__name__)

SWEEP_INTERVAL = timedelta(minutes=10)
REMINDER_HOUR_JST = 9  # reminders go out at 09:00 Asia/Tokyo, not at night


def _enqueue_later(task_ref, when: datetime, **kwargs) -> bool:
    """Queue a retry for later; a backend that cannot wait (the tests' immediate one) leaves it to the sweep."""
    if not task_ref.get_backend().supports_defer:
        return False
    task_ref.using(run_after=when).enqueue(**kwargs)
    return True


@task()
def send_notice_email(*, notice_id: str) -> None:
    retry_at = services.notice_deliver(notice_id=notice_id)
    if retry_at is not None:
        _enqueue_later(send_notice_email, retry_at, notice_id=notice_id)


@task()
def send_anonymous_receipt(*, submission_id: str, attempt: int = 1) -> None:
    retry_at = services.anonymous_receipt_deliver(submission_id=submission_id, attempt=attempt)
    if retry_at is not None:
        _enqueue_later(send_anonymous_receipt, retry_at, submission_id=submission_id, attempt=attempt + 1)


def _schedule_once(task_ref, when: datetime) -> bool:
    """Queue a periodic task unless one is already waiting. Returns whether one was queued."""
    backend = task_ref.get_backend()
    if not backend.supports_defer:
        return False
    if backend.__class__.__name__ == "DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        if DBTaskResult.objects.filter(task_path=task_ref.module_path, status="READY").exists():
            return False
    task_ref.using(run_after=when).enqueue()
    return True


def next_reminder_time(now: datetime) -> datetime:
    local = timezone.localtime(now)
    target = local.replace(hour=REMINDER_HOUR_JST, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return target


@task()
def sweep_notices() -> None:
    """Queue the pending e-mails that are due, then come back in ten minutes."""
    try:
        services.notices_sweep()
    finally:
        _schedule_once(sweep_notices, timezone.now() + SWEEP_INTERVAL)


@task()
def send_reminders_daily() -> None:
    """Today's reminders, then tomorrow's run."""
    try:
        services.reminders_run()
    finally:
        _schedule_once(send_reminders_daily, next_reminder_time(timezone.now()))


def schedule_notification_work() -> dict[str, bool]:
    """Seed the sweep and the daily reminders (idempotent; `schedule_periodic` calls it)."""
    now = timezone.now()
    return {
        "notice e-mail sweep": _schedule_once(sweep_notices, now + SWEEP_INTERVAL),
        "daily reminders": _schedule_once(send_reminders_daily, next_reminder_time(now)),
    }
