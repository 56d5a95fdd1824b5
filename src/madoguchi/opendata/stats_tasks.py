"""The monthly statistics job: on the 1st of each month at 06:00 (Asia/Tokyo) the past month's figures
are computed and submitted as an update of the statistics dataset (``stats.statistics_publish``);
``manage.py schedule_periodic`` seeds it, and each run queues the next."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

RUN_HOUR_JST = 6


def next_run_time(now: datetime) -> datetime:
    local = timezone.localtime(now)
    target = local.replace(day=1, hour=RUN_HOUR_JST, minute=0, second=0, microsecond=0)
    if target <= local:
        following = (target.replace(day=28) + timedelta(days=4)).replace(day=1)
        target = following
    return target


@task()
def publish_statistics_monthly() -> None:
    """Last month's statistics (and any month missed since the last one published), then next month's run."""
    from .stats import statistics_publish

    try:
        result = statistics_publish()
        logger.info("opendata statistics months=%s result=%s", ",".join(result.months), result.message)
    except Exception:
        logger.exception("opendata statistics failed")
    finally:
        schedule_statistics()


def schedule_statistics() -> bool:
    """Queue the next monthly run unless one is already waiting. Returns whether one was queued."""
    backend = publish_statistics_monthly.get_backend()
    if not backend.supports_defer:
        return False
    if backend.__class__.__name__ == "DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        if DBTaskResult.objects.filter(
            task_path=publish_statistics_monthly.module_path, status="READY"
        ).exists():
            return False
    publish_statistics_monthly.using(run_after=next_run_time(timezone.now())).enqueue()
    return True
