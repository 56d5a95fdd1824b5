"""The account e-mails. Each is built at sending time, from the user id alone,
so that neither addresses nor tokens sit in the task queue."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .tokens import email_verification_token, encode_uid, password_token

KINDS = {
    # kind: (template, url name, token generator)
    "verify_email": ("accounts/email/verify_email", "accounts:verify_email", email_verification_token),
    "already_registered": ("accounts/email/already_registered", "accounts:password_reset", None),
    "password_reset": ("accounts/email/password_reset", "accounts:password_reset_confirm", password_token),
    "staff_invitation": (
        "accounts/email/staff_invitation",
        "accounts:password_reset_confirm",
        password_token,
    ),
}


def build_account_email(*, user, kind: str) -> EmailMessage:
    template, url_name, generator = KINDS[kind]
    if generator is None:
        path = reverse(url_name)
    else:
        path = reverse(url_name, kwargs={"uidb64": encode_uid(user), "token": generator.make_token(user)})
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        from madoguchi.organisations.selectors import municipality_get_current

        context = {
            "user": user,
            "link": settings.MADOGUCHI_SITE_URL.rstrip("/") + path,
            "municipality": municipality_get_current(),
        }
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}.txt", context)
    return EmailMessage(subject=subject, body=body, to=[user.email])
