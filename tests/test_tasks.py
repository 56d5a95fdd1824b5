"""Background work goes through the database queue that `manage.py db_worker` drains."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

# The worker closes database connections between tasks, as it does in production,
# so this test runs outside a wrapping transaction.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_e_mail_waits_in_the_queue_until_a_worker_sends_it(client, citizen_erin, mailbox, database_queue):
    response = client.post(reverse("accounts:password_reset"), {"email": citizen_erin.email})
    assert response.status_code == 302  # the page did not wait for the mail server
    assert mailbox.messages == []
    task = DBTaskResult.objects.get()
    # The queue holds the user id and the kind of mail: no address, no token.
    stored = json.dumps(task.args_kwargs, ensure_ascii=False)
    assert citizen_erin.email not in stored and "user_id" in stored

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert mailbox.wait_for(1)[0]["To"] == citizen_erin.email
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
