"""E-mails to the citizen about their case (status, correction request, message, decision)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from madoguchi.organisations.selectors import municipality_get_current

from .models import Case
from .workflows import workflow

logger = logging.getLogger(__name__)


@task()
def send_case_notice(*, case_id: str, kind: str) -> None:
    case = (
        Case.objects.select_related("submission__user", "submission__version", "department")
        .filter(pk=case_id)
        .first()
    )
    if case is None or case.submission.user is None or not case.submission.user.is_active:
        return
    user = case.submission.user
    language = user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "case": case,
            "kind": kind,
            "procedure_name": case.submission.version.definition["name"]["en" if language == "en" else "ja"],
            "status": workflow(case.workflow).status(case.status).display(language),
            "correction": case.corrections.filter(resolved_at__isnull=True).first(),
            "municipality": municipality_get_current(),
            "link": settings.MADOGUCHI_SITE_URL.rstrip("/")
            + reverse("submissions:detail", kwargs={"submission_id": case.submission_id}),
        }
        subject = " ".join(render_to_string("cases/email/notice_subject.txt", context).split())
        body = render_to_string("cases/email/notice.txt", context)
    EmailMessage(subject=subject, body=body, to=[user.email]).send()
    logger.info("case notice sent kind=%s case_id=%s", kind, case_id)
