"""Background work of submissions.

The receipt is a notice made by ``madoguchi.notifications.services.receipt_notify`` in the
submission's own transaction (or, without an account, an e-mail to an address in the answers); its
e-mail is the notifications app's task. ``send_submission_receipt`` stays for tasks queued before
that change, so that none is lost on the upgrade; remove it in a later release.
"""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from .models import Submission


@task()
def send_submission_receipt(*, submission_id: str) -> None:
    from madoguchi.notifications.services import receipt_notify

    submission = (
        Submission.objects.select_related("department", "user", "version").filter(pk=submission_id).first()
    )
    if submission is None:
        return
    with transaction.atomic():
        receipt_notify(submission=submission)
