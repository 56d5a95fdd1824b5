"""Background work of open data: e-mail to the owning department and the DX office, the daily freshness run.

Recipients are worked out when the e-mail is sent, from the roles held at that moment, so that a
reminder reaches whoever holds the role after April's personnel changes; the queue holds only the
dataset's id and the kind.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from madoguchi.accounts.models import StaffRole, User

from .freshness import escalation_date
from .models import Dataset

logger = logging.getLogger(__name__)

RUN_HOUR_JST = 8  # the daily freshness run, 08:00 Asia/Tokyo
KINDS = ("approval_requested", "light_path_published", "before", "overdue", "escalated")


def recipients(dataset: Dataset, kind: str) -> list[str]:
    staff = User.objects.filter(is_active=True, kind=User.Kind.STAFF)
    if kind == "escalated":
        staff = staff.filter(staff_roles__role=StaffRole.Role.DX_OFFICER)
    elif kind in ("approval_requested", "light_path_published"):
        staff = staff.filter(
            staff_roles__department_id=dataset.department_id, staff_roles__role=StaffRole.Role.APPROVER
        )
    else:
        staff = staff.filter(
            staff_roles__department_id=dataset.department_id,
            staff_roles__role__in=[
                StaffRole.Role.HANDLER,
                StaffRole.Role.APPROVER,
                StaffRole.Role.DEPT_ADMIN,
            ],
        )
    addresses = sorted(set(staff.values_list("email", flat=True)))
    if kind in ("before", "overdue") and dataset.contact_email and dataset.contact_email not in addresses:
        addresses.append(dataset.contact_email)  # the department's own address
    return addresses


def build_email(dataset: Dataset, kind: str, to: list[str]) -> EmailMessage:
    site = settings.MADOGUCHI_SITE_URL.rstrip("/")
    with translation.override("ja"):
        context = {
            "dataset": dataset,
            "kind": kind,
            "staff_link": site + reverse("opendata:staff_detail", kwargs={"name": dataset.name}),
            "public_link": site + reverse("opendata:dataset", kwargs={"name": dataset.name}),
            "coverage_link": site + reverse("opendata:staff_coverage"),
            "escalation_date": escalation_date(dataset.frequency, dataset.next_due),
        }
        subject = " ".join(render_to_string("opendata/email/subject.txt", context).split())
        body = render_to_string("opendata/email/body.txt", context)
    return EmailMessage(subject=subject, body=body, to=to)


@task()
def send_opendata_email(*, dataset_id: str, kind: str) -> None:
    dataset = Dataset.objects.select_related("department").filter(pk=dataset_id).first()
    if dataset is None or kind not in KINDS:
        return
    to = recipients(dataset, kind)
    if not to:
        logger.warning("opendata e-mail has no recipient dataset=%s kind=%s", dataset.name, kind)
        return
    build_email(dataset, kind, to).send()
    logger.info("opendata e-mail sent dataset=%s kind=%s recipients=%d", dataset.name, kind, len(to))


def next_run_time(now: datetime) -> datetime:
    local = timezone.localtime(now)
    target = local.replace(hour=RUN_HOUR_JST, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return target


@task()
def freshness_daily() -> None:
    """Send the reminders due today, then queue tomorrow's run."""
    from .services import freshness_reminders_run

    try:
        freshness_reminders_run(today=timezone.localdate())
    finally:
        schedule_freshness()


def schedule_freshness() -> bool:
    """Queue the next daily run unless one is already waiting. Returns whether one was queued."""
    from django_tasks_db.models import DBTaskResult

    backend = freshness_daily.get_backend()
    if (
        backend.__class__.__name__ == "DatabaseBackend"
        and DBTaskResult.objects.filter(task_path=freshness_daily.module_path, status="READY").exists()
    ):
        return False
    freshness_daily.using(run_after=next_run_time(timezone.now())).enqueue()
    return True
