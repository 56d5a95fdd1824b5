"""The KPI snapshot job: daily at 05:00 (Asia/Tokyo) the twelve months up to today are recomputed; on the 1st
the public dashboard is also submitted as an update of its open-data dataset. ``manage.py schedule_periodic``
seeds it (``schedule_kpi_refresh``), and each run queues the next."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.apps import apps
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

RUN_HOUR_JST = 5


def next_run_time(now: datetime) -> datetime:
    local = timezone.localtime(now)
    target = local.replace(hour=RUN_HOUR_JST, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return target


@task()
def refresh_kpis_daily() -> None:
    from .services import kpi_refresh

    try:
        today = timezone.localdate()
        rows = kpi_refresh(today=today)
        # On the 1st the month that just closed is final (and in the twelve just computed): publish it.
        if today.day == 1 and apps.is_installed("madoguchi.opendata"):
            from .opendata import dashboard_publish

            dashboard_publish()
        logger.info("dashboards kpi refresh rows=%s", rows)
    except Exception:
        logger.exception("dashboards kpi refresh failed")
    finally:
        schedule_kpi_refresh()


def schedule_kpi_refresh() -> bool:
    """Queue the next daily run unless one is already waiting. Returns whether one was queued."""
    backend = refresh_kpis_daily.get_backend()
    if not backend.supports_defer:
        return False
    if backend.__class__.__name__ == "DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        if DBTaskResult.objects.filter(task_path=refresh_kpis_daily.module_path, status="READY").exists():
            return False
    refresh_kpis_daily.using(run_after=next_run_time(timezone.now())).enqueue()
    return True
