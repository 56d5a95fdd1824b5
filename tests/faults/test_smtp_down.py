"""Issue 11, faults: the mail server is down when a citizen files → the citizen gets the receipt
page (no error), the receipt notice waits, pending, nothing lost; when the server is back the sweep
sends it, once. A real aiosmtpd server, the real database queue and ``manage.py worker``.
(tests/test_notifications.py shows the same for a staff message and for the retry task alone.)"""

from __future__ import annotations

import re
import time

import pytest
from django.core.management import call_command
from django.test import Client

from madoguchi.notifications.models import Notice
from madoguchi.notifications.services import notices_sweep
from madoguchi.procedures.models import Procedure
from madoguchi.submissions.models import Submission
from tests.support.cases import ensure_procedures
from tests.support.formfill import start, walk_to_check
from tests.test_notifications import RestartableSMTP

pytestmark = pytest.mark.django_db(transaction=True)


def worker() -> None:
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_with_the_mail_server_down_the_receipt_waits_and_goes_out_once(settings, mailbox, citizen_erin):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.MADOGUCHI_EMAIL_RETRY_DELAYS = [1, 1, 1]
    smtp = RestartableSMTP(settings)
    try:
        ensure_procedures()
        client = Client()
        client.force_login(citizen_erin)
        definition = Procedure.objects.get(slug="risai_shomei").current_version.definition
        check_url = walk_to_check(client, definition, start(client, "risai_shomei"))
        token = re.search(r'name="token" value="([^"]+)"', client.get(check_url).content.decode()).group(1)

        smtp.stop()
        response = client.post(check_url, {"token": token})
        assert response.status_code == 302
        assert client.get(response["Location"]).status_code == 200  # the citizen sees the receipt
        worker()  # the e-mail is tried: refused connection
        notice = Notice.objects.get(user=citizen_erin)
        assert notice.email_status == Notice.EmailStatus.PENDING and notice.attempts == 1
        assert notice.last_error == "ConnectionRefusedError"
        assert Submission.objects.count() == 1

        smtp.start()
        time.sleep(1.2)
        assert notices_sweep() == 1  # the sweep queues it (beside the retry queued by the failed try)
        worker()
        messages = smtp.mailbox.wait_for(1)
        assert [m["To"] for m in messages] == [citizen_erin.email]
        notice.refresh_from_db()
        assert notice.email_status == Notice.EmailStatus.SENT and notice.attempts == 2
        time.sleep(1.2)
        assert notices_sweep() == 0
        worker()
        time.sleep(0.3)
        assert len(smtp.mailbox.messages) == 1  # once, not once per queued task
    finally:
        if smtp.controller is not None:
            smtp.stop()
