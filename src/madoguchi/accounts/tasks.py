"""Background work of the accounts app (run by `manage.py db_worker`)."""

from __future__ import annotations

import logging

from django_tasks import task

from .emails import build_account_email
from .models import User

logger = logging.getLogger(__name__)


@task()
def send_account_email(*, user_id: int, kind: str) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        logger.info("account e-mail skipped: user gone kind=%s user_id=%s", kind, user_id)
        return
    build_account_email(user=user, kind=kind).send()
    logger.info("account e-mail sent kind=%s user_id=%s", kind, user_id)
