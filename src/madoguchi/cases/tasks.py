"""Background work of cases.

Notices to the citizen (status, correction request, message, decision) are made by
``madoguchi.notifications.services.case_notify`` in the case's own transaction; their e-mail is the
notifications app's task. ``send_case_notice`` stays for tasks queued before that change, so that
none is lost on the upgrade; remove it in a later release.
"""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from .models import Case
from .workflows import workflow


@task()
def send_case_notice(*, case_id: str, kind: str) -> None:
    from madoguchi.notifications.services import case_notify

    from .services import notice_kind

    case = Case.objects.select_related("submission__user", "submission__version").filter(pk=case_id).first()
    if case is None:
        return
    if kind == "status":
        kind = notice_kind(workflow(case.workflow).status(case.status))
    with transaction.atomic():
        case_notify(case=case, kind=kind)
