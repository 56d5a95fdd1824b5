"""Background work of the counter: the booking e-mails (made, moved, cancelled).

The task holds only the booking's id and the kind: the e-mail is built when it runs, in the citizen's
language, so the queue holds no addresses. A failure to reach the mail server is tried again later
(with a worker that can wait) and logged without the address."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from madoguchi.organisations.selectors import municipality_get_current

from . import display
from .models import Booking

logger = logging.getLogger(__name__)

KINDS = ("booked", "moved", "cancelled")
RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600)


def booking_email(booking: Booking, kind: str) -> EmailMessage:
    user = booking.user
    language = "en" if (user.preferred_language or "").startswith("en") else "ja"
    with translation.override(language):
        definition = booking.procedure.current_version.definition
        context = {
            "booking": booking,
            "kind": kind,
            "user_name": user.display_name,
            "procedure_name": definition["name"]["en" if language == "en" else "ja"],
            "when": display.when(booking.slot, language),
            "place": display.place(booking.department, language),
            "to_bring": display.to_bring(booking.procedure, language),
            "municipality": municipality_get_current(),
            "department_phone": booking.department.phone,
            "link": settings.MADOGUCHI_SITE_URL.rstrip("/")
            + reverse("counter:booking_detail", kwargs={"booking_id": booking.pk}),
        }
        subject = " ".join(render_to_string("counter/email/booking_subject.txt", context).split())
        body = render_to_string("counter/email/booking.txt", context)
    return EmailMessage(subject=subject, body=body, to=[user.email])


@task()
def send_booking_email(*, booking_id: str, kind: str, attempt: int = 1) -> None:
    booking = (
        Booking.objects.select_related("user", "procedure__current_version", "department", "slot")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None or kind not in KINDS or not (booking.user.is_active and booking.user.email):
        return
    try:
        booking_email(booking, kind).send()
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("booking e-mail not sent booking_id=%s kind=%s attempt=%s error=%s", booking_id, kind,
                       attempt, type(exc).__name__)  # fmt: skip
        backend = send_booking_email.get_backend()
        if attempt <= len(RETRY_DELAYS) and backend.supports_defer:
            when = timezone.now() + timedelta(seconds=RETRY_DELAYS[attempt - 1])
            send_booking_email.using(run_after=when).enqueue(
                booking_id=booking_id, kind=kind, attempt=attempt + 1
            )
        return
    logger.info("booking e-mail sent booking_id=%s kind=%s", booking_id, kind)
