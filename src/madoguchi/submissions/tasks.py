"""Background work of submissions.

``submission_materialize`` turns an online filing the citizen was told is received (an accepted
draft, ``services.submission_accept``) into its submission, cases and receipt notice. It is queued
in the acceptance's own transaction; run twice it makes one submission; a filing whose task failed
is queued again by the workers' sweep (``services.accepted_requeue_stalled``).

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


@task()
def submission_materialize(*, draft_id: str) -> None:
    from .services import submission_materialize as materialize

    materialize(draft_id=draft_id)
