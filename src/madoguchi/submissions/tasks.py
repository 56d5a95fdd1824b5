"""Background work of submissions.

``send_submission_receipt`` makes the receipt notice of a submission filed from an account (its
e-mail is then the notifications app's task). It is queued inside the submission's transaction by
``madoguchi.notifications.services.receipt_notify``, so the task row commits with the submission;
run twice, it makes one notice. A filing without an account gets its receipt by e-mail only
(``send_anonymous_receipt`` in the notifications app).
"""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from .models import Submission


@task()
def send_submission_receipt(*, submission_id: str) -> None:
    from madoguchi.notifications.services import receipt_notice_make

    submission = (
        Submission.objects.select_related("department", "user", "version").filter(pk=submission_id).first()
    )
    if submission is None:
        return
    with transaction.atomic():
        receipt_notice_make(submission=submission)
