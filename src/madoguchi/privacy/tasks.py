"""Background work of the privacy core."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import task

from .services import retention_purge, stored_file_scan

logger = logging.getLogger(__name__)

SCAN_RETRY = timedelta(minutes=5)
PURGE_HOUR_JST = 3  # the daily purge runs at 03:00 Asia/Tokyo


@task()
def scan_stored_file(*, file_id: str, attempt: int = 1) -> None:
    status = stored_file_scan(file_id=file_id)
    if (
        status is None and attempt < 288
    ):  # scanner down: try again every 5 minutes for a day, stay quarantined
        scan_stored_file.using(run_after=timezone.now() + SCAN_RETRY).enqueue(
            file_id=file_id, attempt=attempt + 1
        )


def next_purge_time(now: datetime) -> datetime:
    local = timezone.localtime(now)
    target = local.replace(hour=PURGE_HOUR_JST, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return target


@task()
def purge_expired_daily() -> None:
    """Erase what passed its retention, then schedule tomorrow's run."""
    try:
        retention_purge()
    finally:
        schedule_purge()


def schedule_purge() -> bool:
    """Queue the next daily purge unless one is already waiting. Returns whether one was queued."""
    from django_tasks_db.models import DBTaskResult

    from madoguchi.privacy.tasks import purge_expired_daily as task_ref

    backend = task_ref.get_backend()
    if backend.__class__.__name__ == "DatabaseBackend":
        waiting = DBTaskResult.objects.filter(task_path=task_ref.module_path, status="READY").exists()
        if waiting:
            return False
    task_ref.using(run_after=next_purge_time(timezone.now())).enqueue()
    return True
