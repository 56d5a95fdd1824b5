"""Background work for submissions: the receipt e-mail (built from the id alone)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from madoguchi.organisations.selectors import municipality_get_current

from .models import Submission

logger = logging.getLogger(__name__)


def _recipient(submission: Submission) -> tuple[str | None, str]:
    if submission.user is not None and submission.user.is_active:
        return submission.user.email, submission.user.preferred_language
    for key, value in submission.data.items():
        if key.endswith("email") and isinstance(value, str):
            return value, settings.LANGUAGE_CODE
    return None, settings.LANGUAGE_CODE


@task()
def send_submission_receipt(*, submission_id: str) -> None:
    submission = (
        Submission.objects.select_related("procedure", "department", "user", "version")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        return
    address, language = _recipient(submission)
    if not address:
        logger.info("no address for the receipt e-mail submission_id=%s", submission_id)
        return
    with translation.override(language):
        context = {
            "submission": submission,
            "procedure_name": submission.version.definition["name"]["en" if language == "en" else "ja"],
            "municipality": municipality_get_current(),
            "link": settings.MADOGUCHI_SITE_URL.rstrip("/") + reverse("submissions:mine"),
        }
        subject = " ".join(render_to_string("submissions/email/receipt_subject.txt", context).split())
        body = render_to_string("submissions/email/receipt.txt", context)
    EmailMessage(subject=subject, body=body, to=[address]).send()
    logger.info("receipt e-mail sent submission_id=%s", submission_id)
