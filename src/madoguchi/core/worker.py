"""Recovery of background tasks whose worker died.

django-tasks-db marks a task RUNNING when a worker claims it and SUCCESSFUL or FAILED when the
worker finishes it. A worker killed in between (SIGKILL, out of memory, a lost host) leaves the task
RUNNING for ever: nothing retries it. So:

* ``manage.py worker`` (django-tasks-db's ``db_worker`` with the same options) keeps a
  ``WorkerHeartbeat`` row per worker id, touched every ``HEARTBEAT_SECONDS`` by a thread;
* ``tasks_requeue_lost`` puts back to READY every RUNNING task whose worker (the last id in its
  ``worker_ids``) has no heartbeat newer than ``LOST_AFTER_SECONDS`` and which started before that,
  and fails a task that has already been claimed ``MAX_CLAIMS`` times (a task that kills its worker
  must not kill every worker in turn). Each worker's heartbeat thread runs it every
  ``SWEEP_SECONDS``, and ``manage.py requeue_lost_tasks`` runs it by hand.

A requeued task runs again from the start, so every task must be idempotent: do its effect once
(claim a row, use a unique key, check a status) and tolerate having been cut off half-way.
A task claimed by a plain ``db_worker`` (no heartbeat) is requeued once it has run longer than
``LOST_AFTER_SECONDS``: run every worker with ``manage.py worker``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5
SWEEP_SECONDS = 30
MAX_CLAIMS = 5


def lost_after() -> timedelta:
    """How long a worker may stay silent before its tasks count as lost (setting, environment, or 60 s)."""
    seconds = getattr(settings, "MADOGUCHI_WORKER_LOST_AFTER_SECONDS", None)
    if seconds is None:
        seconds = os.environ.get("MADOGUCHI_WORKER_LOST_AFTER_SECONDS", "60")
    return timedelta(seconds=float(seconds))


def default_worker_id() -> str:
    """Readable and unique: host, process id and a random tail (at most 64 characters)."""
    host = socket.gethostname().split(".")[0][:30]
    return f"{host}-{os.getpid()}-{get_random_string(8)}"


def heartbeat_beat(*, worker_id: str) -> None:
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen=now)
    if not updated:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={"last_seen": now, "hostname": socket.gethostname()[:255], "pid": os.getpid()},
        )


def heartbeat_end(*, worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def tasks_requeue_lost(*, older_than: timedelta | None = None) -> dict[str, int]:
    """Put back to READY the RUNNING tasks of workers that stopped beating; returns the counts."""
    from django_tasks_db.models import DBTaskResult

    older_than = lost_after() if older_than is None else older_than
    cutoff = timezone.now() - older_than
    alive = set(WorkerHeartbeat.objects.filter(last_seen__gte=cutoff).values_list("worker_id", flat=True))
    requeued = failed = 0
    with transaction.atomic():
        running = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
            status="RUNNING", started_at__lt=cutoff
        )
        for task in running:
            worker_ids = task.worker_ids or []
            if worker_ids and worker_ids[-1] in alive:
                continue
            if len(worker_ids) >= MAX_CLAIMS:
                task.status = "FAILED"
                task.finished_at = timezone.now()
                task.exception_class_path = "madoguchi.core.worker.WorkerLost"
                task.traceback = f"the worker was lost {len(worker_ids)} times while running this task\n"
                task.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
                failed += 1
                logger.error("task failed after lost workers task_id=%s task=%s claims=%s", task.pk,
                             task.task_path, len(worker_ids))  # fmt: skip
            else:
                task.status = "READY"
                task.started_at = None
                task.save(update_fields=["status", "started_at"])
                requeued += 1
                logger.warning("task requeued, its worker was lost task_id=%s task=%s worker=%s", task.pk,
                               task.task_path, worker_ids[-1] if worker_ids else "")  # fmt: skip
        gone = WorkerHeartbeat.objects.filter(last_seen__lt=cutoff).exclude(worker_id__in=alive)
        forgotten = gone.count()
        gone.delete()
    return {"requeued": requeued, "failed": failed, "forgotten_workers": forgotten}


ANALYZE_AFTER_CHANGES = 1000


def tasks_table_analyze_if_stale(*, after_changes: int = ANALYZE_AFTER_CHANGES) -> bool:
    """ANALYZE the task table once this many rows changed since its last analysis (PostgreSQL).

    A surge adds thousands of tasks a minute; with stale statistics the planner turns each claim
    into a sort of every waiting task (48 ms instead of 0.5 ms per claim with 16,000 waiting,
    docs/performance.md). Autovacuum does this when it runs (core migration 0003 lowers its
    threshold for this table); the sweep does it too, for clusters where autovacuum is off or slow.
    """
    from django_tasks_db.models import DBTaskResult

    if connection.vendor != "postgresql":
        return False
    table = DBTaskResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = %s", [table])
        row = cursor.fetchone()
        if row is None or (row[0] or 0) < after_changes:
            return False
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return True


class Heartbeat(threading.Thread):
    """Daemon thread of a worker process: beat every few seconds, sweep lost tasks now and then."""

    def __init__(self, worker_id: str, *, beat_seconds: float = HEARTBEAT_SECONDS,
                 sweep_seconds: float = SWEEP_SECONDS):  # fmt: skip
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.beat_seconds = beat_seconds
        self.sweep_seconds = sweep_seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        since_sweep = self.sweep_seconds  # sweep at start-up: a restarted host picks up its own tasks
        while not self.stopping.is_set():
            try:
                close_old_connections()
                heartbeat_beat(worker_id=self.worker_id)
                if since_sweep >= self.sweep_seconds:
                    since_sweep = 0
                    counts = tasks_requeue_lost()
                    from madoguchi.submissions.services import accepted_requeue_stalled

                    accepted_requeue_stalled()  # online filings whose task failed (issue 11)
                    if counts["requeued"] or counts["failed"]:
                        logger.info(
                            "lost tasks swept requeued=%s failed=%s", counts["requeued"], counts["failed"]
                        )
                tasks_table_analyze_if_stale()  # at every beat: one look at the table's counters
            except Exception:  # the database is down or restarting: try again at the next beat
                logger.warning("worker heartbeat failed worker=%s", self.worker_id, exc_info=True)
                connection.close()
            self.stopping.wait(self.beat_seconds)
            since_sweep += self.beat_seconds
        try:
            heartbeat_end(worker_id=self.worker_id)
        except Exception:
            logger.warning("worker heartbeat could not be removed worker=%s", self.worker_id, exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=self.beat_seconds + 5)


# --- stepping back while the host is busy ---------------------------------------------------------


def _cpu_ticks() -> tuple[int, int] | None:
    """(busy at normal priority, total) in clock ticks since boot, from /proc/stat; None elsewhere.

    Time of processes at a raised nice value (the workers at nice 10) is its own column, ``nice``,
    and is not counted as busy."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(x) for x in handle.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return user + system + irq + softirq + steal, user + nice + system + idle + iowait + irq + softirq + steal


class HostLoad(threading.Thread):
    """Daemon thread: every ``every`` seconds, the share of the host's CPU that processes at normal
    priority used since the last sample, not counting this process itself (``busy``, 0 to 1)."""

    def __init__(self, every: float = 0.5):
        super().__init__(name="host-load", daemon=True)
        self.every = every
        self.busy = 0.0
        self.stopping = threading.Event()
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def sample(self, before, own_before) -> tuple:
        now, own_now = _cpu_ticks(), os.times()
        if before is not None and now is not None and now[1] > before[1]:
            own = ((own_now.user - own_before.user) + (own_now.system - own_before.system)) * self._tick
            busy = max(0.0, (now[0] - before[0]) - own)
            self.busy = min(1.0, busy / (now[1] - before[1]))
        return now, own_now

    def run(self) -> None:
        before, own = _cpu_ticks(), os.times()
        while not self.stopping.wait(self.every):
            before, own = self.sample(before, own)

    def stop(self) -> None:
        self.stopping.set()


def yield_while_busy(*, load: HostLoad, threshold: float, max_seconds: float, running=lambda: True) -> float:
    """Wait while the host is busier than ``threshold`` (at most ``max_seconds``); the seconds waited.

    Under a surge the web processes and their database work keep the CPU busy, and the queue's work
    (turning accepted filings into submissions, notices, e-mails) waits and drains afterwards
    (issue 11); ``max_seconds`` bounds how long any one task can be held back."""
    if threshold <= 0 or load is None:
        return 0.0
    waited = 0.0
    step = min(0.25, load.every)
    while load.busy > threshold and waited < max_seconds and running():
        threading.Event().wait(step)
        waited += step
    return waited


# --- queueing the accepted online filings -----------------------------------------------------------


class Dispatcher(threading.Thread):
    """Daemon thread of a worker process: every ``MADOGUCHI_ACCEPT_DISPATCH_SECONDS``, queue the
    tasks that make the accepted online filings into submissions (``accepted_dispatch``: a batch of
    drafts accepted and not queued yet). Like the worker's tasks it steps back while the host is
    busy, so under a surge the web answers first and the filings wait, accepted, in their drafts."""

    def __init__(self, *, load: HostLoad | None, every: float | None = None):
        super().__init__(name="accept-dispatcher", daemon=True)
        self.load = load
        self.every = settings.MADOGUCHI_ACCEPT_DISPATCH_SECONDS if every is None else every
        self.stopping = threading.Event()

    def dispatch(self) -> int:
        from madoguchi.submissions.services import accepted_dispatch

        try:
            close_old_connections()
            return accepted_dispatch()
        except Exception:  # the database is down or restarting: try again at the next turn
            logger.warning("accepted filings not dispatched this turn", exc_info=True)
            connection.close()
            return 0

    def run(self) -> None:
        try:
            while not self.stopping.wait(self.every):
                yield_while_busy(load=self.load, threshold=settings.MADOGUCHI_WORKER_YIELD_BUSY,
                                 max_seconds=settings.MADOGUCHI_WORKER_YIELD_MAX_SECONDS,
                                 running=lambda: not self.stopping.is_set())  # fmt: skip
                self.dispatch()
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=self.every + 5)
