"""Issue 11 (docs/decisions/0008): an online filing is accepted in the request (a receipt number at
once) and made into its submission, case and triage row by the worker; exactly once, never lost."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from madoguchi.cases.models import Case
from madoguchi.core.worker import HostLoad, _cpu_ticks, yield_while_busy
from madoguchi.procedures.services import procedures_load_from_files
from madoguchi.submissions import services
from madoguchi.submissions.models import Draft, Submission
from madoguchi.submissions.receipts import is_valid_receipt
from tests.support.formfill import start, submit, walk_to_check

RISAI = "risai_shomei"
QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def procedures(city):
    procedures_load_from_files()


@pytest.fixture
def queued(settings):
    """Tasks wait in the database queue, as in production, instead of running at once."""
    settings.TASKS = QUEUE


def _ready(client, slug=RISAI):
    from madoguchi.procedures.files import parse_files

    definition = next(p.data for p in parse_files()[0] if p.id == slug)
    return walk_to_check(client, definition, start(client, slug))


def _submission_id(response) -> str:
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    assert location.endswith("?sent=1")
    return location.split("/")[-2]


@pytest.mark.django_db
def test_the_citizen_is_answered_with_a_receipt_before_the_worker_made_the_submission(
    procedures, queued, as_user, citizen_erin
):
    client = as_user(citizen_erin)
    check_url = _ready(client)
    response, token = submit(client, check_url)
    submission_id = _submission_id(response)

    assert Submission.objects.count() == 0 and Case.objects.count() == 0
    draft = Draft.objects.get()
    assert str(draft.submission_id) == submission_id and draft.accepted_at is not None
    assert is_valid_receipt(draft.receipt_number)
    # The request wrote no task: a worker's dispatcher queues it, once.
    assert not DBTaskResult.objects.exists() and draft.dispatched_at is None
    assert services.accepted_dispatch() == 1
    assert services.accepted_dispatch() == 0
    task = DBTaskResult.objects.get(task_path="madoguchi.submissions.tasks.submission_materialize")
    assert task.status == "READY" and task.args_kwargs["kwargs"] == {"draft_id": str(draft.pk)}

    page = client.get(response["Location"]).content.decode()
    assert draft.receipt_number in page and 'id="pending-note"' in page
    assert "submissions/receipt" not in page  # no PDF before the submission exists
    mine = client.get(reverse("submissions:mine")).content.decode()
    assert draft.receipt_number in mine and "受付済み（担当課へ届ける処理中）" in mine
    assert "続きを入力する" not in mine  # no longer a draft to finish
    # The draft can no longer be changed, and a second click answers with the same receipt.
    assert client.get(check_url).status_code == 404
    again = client.post(check_url, {"token": token})
    assert _submission_id(again) == submission_id
    assert DBTaskResult.objects.count() == 1

    made = services.submission_materialize(draft_id=draft.pk)
    assert str(made.pk) == submission_id and made.receipt_number == draft.receipt_number
    assert made.submitted_at == draft.accepted_at  # filed when accepted, not when the worker ran
    assert Case.objects.filter(submission=made, department__code="shisanzei").count() == 1
    assert not Draft.objects.exists()
    assert services.submission_materialize(draft_id=draft.pk) is None  # run twice: nothing more
    assert Submission.objects.count() == 1 and Case.objects.filter(submission=made).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert 'id="pending-note"' not in page and made.receipt_number in page
    # A click after the worker made it still answers with the same receipt.
    assert _submission_id(client.post(check_url, {"token": token})) == submission_id


@pytest.mark.django_db
def test_an_accepted_filing_is_someone_elses_404_and_is_never_purged_as_a_draft(
    procedures, queued, as_user, citizen_erin, citizen_frank
):
    from madoguchi.privacy.registry import files_for

    client = as_user(citizen_erin)
    response, _token = submit(client, _ready(client))
    url = response["Location"]
    assert as_user(citizen_frank).get(url).status_code == 404
    draft = Draft.objects.get()
    Draft.objects.filter(pk=draft.pk).update(expires_at=timezone.now() - timedelta(days=400))
    (file,) = files_for("submissions.draft")
    assert not file.retention.expired(timezone.now()).filter(pk=draft.pk).exists()


@pytest.mark.django_db
def test_nothing_is_accepted_when_the_answers_break_the_schema(procedures, queued, as_user, citizen_erin):
    client = as_user(citizen_erin)
    check_url = _ready(client)
    draft = Draft.objects.get()
    data = dict(draft.data)
    data.pop(next(iter(data)))  # a required answer gone (as if the form had been tampered with)
    Draft.objects.filter(pk=draft.pk).update(data=data)
    response = client.post(check_url, {"token": str(draft.submission_token)})
    assert response.status_code == 302 and response["Location"] == check_url
    draft.refresh_from_db()
    assert draft.accepted_at is None and draft.submission_id is None and draft.receipt_number == ""
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_makes_it_and_a_failed_task_is_queued_again_by_the_sweep(
    procedures, queued, as_user, citizen_erin
):
    client = as_user(citizen_erin)
    response, _token = submit(client, _ready(client))
    submission_id = _submission_id(response)
    draft = Draft.objects.get()
    assert services.accepted_dispatch() == 1
    # The task failed (say the database restarted under it): the filing must not stay stuck.
    DBTaskResult.objects.update(status="FAILED", finished_at=timezone.now())
    assert services.accepted_requeue_stalled() == 0  # too recent: it may still be on its way
    accepted_at = timezone.now() - timedelta(minutes=11)
    Draft.objects.update(accepted_at=accepted_at, dispatched_at=accepted_at)
    assert services.accepted_requeue_stalled() == 1
    assert services.accepted_requeue_stalled() == 0  # queued once, not at every sweep
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    submission = Submission.objects.get()
    assert str(submission.pk) == submission_id and not Draft.objects.exists()
    assert Case.objects.filter(submission=submission).count() == 1
    assert submission.submitted_at == accepted_at and draft.receipt_number == submission.receipt_number


def test_a_worker_waits_while_the_host_is_busy_but_not_for_ever():
    class Busy:
        every = 0.05
        busy = 1.0

    assert 0.18 <= yield_while_busy(load=Busy(), threshold=0.5, max_seconds=0.2) < 0.5
    Busy.busy = 0.2
    assert yield_while_busy(load=Busy(), threshold=0.5, max_seconds=5) == 0
    assert yield_while_busy(load=Busy(), threshold=0, max_seconds=5) == 0  # switched off


def test_the_host_load_is_read_from_proc_stat():
    ticks = _cpu_ticks()
    assert ticks is not None and 0 <= ticks[0] <= ticks[1]
    load = HostLoad(every=0.05)
    before, own = _cpu_ticks(), __import__("os").times()
    sum(i * i for i in range(300_000))  # this process's own work is not counted as the host's
    load.sample(before, own)
    assert 0.0 <= load.busy <= 1.0


@pytest.mark.django_db
def test_the_task_table_keeps_fresh_statistics_on_postgresql():
    """A worker's claim stays an index scan while thousands of tasks wait (core migration 0003)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's autovacuum settings")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'django_tasks_database_dbtaskresult'")
        (options,) = cursor.fetchone()
    assert "autovacuum_analyze_threshold=1000" in options and "autovacuum_analyze_scale_factor=0" in options


@pytest.mark.django_db
def test_the_workers_sweep_analyzes_the_task_table_once_it_changed_enough():
    from django.db import connection

    from madoguchi.core.worker import tasks_table_analyze_if_stale

    if connection.vendor != "postgresql":
        assert tasks_table_analyze_if_stale(after_changes=0) is False
        return
    assert tasks_table_analyze_if_stale(after_changes=10**9) is False  # not changed enough
    assert tasks_table_analyze_if_stale(after_changes=0) is True
