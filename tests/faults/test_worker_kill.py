"""Issue 11, faults: a worker killed (SIGKILL) during a task → the task is retried and done once.

Real ``manage.py worker`` processes on the test database (SQLite file, or PostgreSQL when
DATABASE_URL says so); the task records each attempt and does its side effect once."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from madoguchi.core.models import WorkerHeartbeat
from madoguchi.core.worker import MAX_CLAIMS, tasks_requeue_lost
from tests.faults.probe_tasks import record_then_block
from tests.faults.support import start_worker, stop, subprocess_env, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

LOST_AFTER = 3


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.MADOGUCHI_WORKER_LOST_AFTER_SECONDS = LOST_AFTER


def _lines(path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_a_task_whose_worker_is_killed_is_requeued_and_its_effect_happens_once(
    database_queue, tmp_path, capsys
):
    result = record_then_block.enqueue(directory=str(tmp_path))
    env = subprocess_env(MADOGUCHI_WORKER_LOST_AFTER_SECONDS=str(LOST_AFTER))
    first = start_worker(env, "fault-worker-1")
    second = None
    try:
        assert wait_until(lambda: len(_lines(tmp_path / "attempts.log")) == 1 or first.poll() is not None)
        assert first.poll() is None, first.stderr.read().decode()[-2000:]
        assert wait_until(lambda: WorkerHeartbeat.objects.filter(worker_id="fault-worker-1").exists())
        task = DBTaskResult.objects.get(pk=result.id)
        assert task.status == "RUNNING" and task.worker_ids == ["fault-worker-1"]

        # A live worker's long task is left alone, however long it runs.
        time.sleep(LOST_AFTER + 1)
        assert tasks_requeue_lost()["requeued"] == 0
        task.refresh_from_db()
        assert task.status == "RUNNING"

        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        task.refresh_from_db()
        assert task.status == "RUNNING"  # what django-tasks-db alone leaves for ever

        # Right after the kill the heartbeat is still fresh: not yet lost.
        call_command("requeue_lost_tasks")
        assert "requeued 0 task(s)" in capsys.readouterr().out
        time.sleep(LOST_AFTER + 0.5)
        call_command("requeue_lost_tasks")
        assert "requeued 1 task(s)" in capsys.readouterr().out
        task.refresh_from_db()
        assert task.status == "READY"
        assert not WorkerHeartbeat.objects.filter(worker_id="fault-worker-1").exists()

        (tmp_path / "gate").touch()
        second = start_worker(env, "fault-worker-2")
        assert wait_until(lambda: DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL")
    finally:
        for process in (first, second):
            if process is not None:
                stop(process)
    task.refresh_from_db()
    assert task.worker_ids == ["fault-worker-1", "fault-worker-2"]
    assert task.return_value == "done"
    assert len(_lines(tmp_path / "attempts.log")) == 2  # run twice...
    assert len(_lines(tmp_path / "effects.log")) == 1  # ...its effect done once
    # A worker stopped politely removes its heartbeat.
    assert not WorkerHeartbeat.objects.exists()


def test_a_restarted_worker_sweeps_lost_tasks_by_itself(database_queue, tmp_path):
    (tmp_path / "gate").touch()
    result = record_then_block.enqueue(directory=str(tmp_path))
    # As a worker killed a minute ago leaves it: claimed, its heartbeat stale.
    long_ago = timezone.now() - timedelta(seconds=LOST_AFTER * 10)
    DBTaskResult.objects.filter(pk=result.id).update(status="RUNNING", started_at=long_ago,
                                                     worker_ids=["gone-worker"])  # fmt: skip
    WorkerHeartbeat.objects.create(worker_id="gone-worker", last_seen=long_ago)
    worker = start_worker(subprocess_env(MADOGUCHI_WORKER_LOST_AFTER_SECONDS=str(LOST_AFTER)), "fresh-worker")
    try:
        assert wait_until(lambda: DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL")
    finally:
        stop(worker)
    assert DBTaskResult.objects.get(pk=result.id).worker_ids == ["gone-worker", "fresh-worker"]
    assert len(_lines(tmp_path / "effects.log")) == 1


def test_a_task_that_loses_its_worker_again_and_again_is_failed_not_requeued(database_queue, tmp_path):
    result = record_then_block.enqueue(directory=str(tmp_path))
    long_ago = timezone.now() - timedelta(minutes=5)
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING", started_at=long_ago, worker_ids=[f"w{i}" for i in range(MAX_CLAIMS)]
    )
    counts = tasks_requeue_lost()
    assert counts == {"requeued": 0, "failed": 1, "forgotten_workers": 0}
    task = DBTaskResult.objects.get(pk=result.id)
    assert task.status == "FAILED" and task.exception_class_path == "madoguchi.core.worker.WorkerLost"
