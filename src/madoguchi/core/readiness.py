"""What /readyz checks: the database, the migrations, the file storage, and the task queue (reported only).

Every check is cheap enough for a load balancer probing every few seconds: one ``SELECT 1``, one
read of ``django_migrations`` (the migrations on disk are read once per process: code does not change
under a running process), one count over the partial index of waiting tasks, and a small file written
and deleted at most every ``STORAGE_CHECK_SECONDS``. No personal data: counts, ages and names of checks.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from functools import lru_cache

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Count, Min
from django.utils import timezone

logger = logging.getLogger(__name__)

STORAGE_CHECK_SECONDS = 30.0
_storage_lock = threading.Lock()
_storage_result: dict = {"checked_at": None, "ok": False}


@lru_cache(maxsize=1)
def expected_migrations() -> tuple[tuple[tuple[str, str], frozenset[tuple[str, str]]], ...]:
    """The migrations on disk, read once per process: (key, the migrations it replaces) each.

    A squashed migration counts as applied under its own name or when every migration it replaces
    is (Django records the replaced names when it applies a squash to a new database).
    """
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return tuple((key, frozenset(migration.replaces or ())) for key, migration in loader.graph.nodes.items())


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def check_migrations() -> dict:
    applied = set(MigrationRecorder(connection).applied_migrations())
    missing = [key for key, replaces in expected_migrations()
               if key not in applied and not (replaces and replaces <= applied)]  # fmt: skip
    return {"ok": not missing, "unapplied": len(missing)}


def check_storage(*, now: float | None = None) -> dict:
    """Write and delete a tiny file in the default storage; the result is kept for a short while."""
    now = time.monotonic() if now is None else now
    with _storage_lock:
        checked_at = _storage_result["checked_at"]
        if checked_at is not None and now - checked_at < STORAGE_CHECK_SECONDS:
            return {"ok": _storage_result["ok"]}
        storage = storages["default"]
        try:
            name = storage.save(f"readyz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
            storage.delete(name)
            ok = True
        except Exception as exc:  # any backend's failure means "cannot store uploads"
            logger.warning("readiness: the file storage refused a write (%s)", type(exc).__name__)
            ok = False
        _storage_result.update(checked_at=now, ok=ok)
        return {"ok": ok}


def reset_storage_check() -> None:
    with _storage_lock:
        _storage_result.update(checked_at=None, ok=False)


def task_queue() -> dict:
    """Tasks waiting for a worker: how many, and how long the oldest has waited (never a failure)."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.ready().order_by()
    summary = waiting.aggregate(count=Count("pk"), oldest=Min("enqueued_at"))
    count = summary["count"]
    oldest = summary["oldest"]
    age = round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0.0
    from madoguchi.submissions.models import Draft

    # Online filings received and not yet made into submissions (docs/decisions/0008).
    accepted = Draft.objects.filter(accepted_at__isnull=False).count()
    return {"ready": count, "oldest_ready_age_seconds": max(0.0, age), "filings_accepted_waiting": accepted}


def report() -> dict:
    """The readiness report: ``status`` is "ok" only when every check passed."""
    from madoguchi.core import overload

    checks: dict = {}
    try:
        checks["database"] = check_database()
    except DatabaseError as exc:
        logger.warning("readiness: the database did not answer (%s)", type(exc).__name__)
        checks["database"] = {"ok": False}
    if checks["database"]["ok"]:
        try:
            checks["migrations"] = check_migrations()
        except DatabaseError as exc:
            logger.warning("readiness: could not read the migrations (%s)", type(exc).__name__)
            checks["migrations"] = {"ok": False}
    else:
        checks["migrations"] = {"ok": False}
    checks["storage"] = check_storage()
    queue: dict
    if checks["migrations"]["ok"]:
        try:
            queue = task_queue()
        except DatabaseError:
            queue = {"ready": None, "oldest_ready_age_seconds": None, "filings_accepted_waiting": None}
    else:
        queue = {"ready": None, "oldest_ready_age_seconds": None, "filings_accepted_waiting": None}
    ok = all(check["ok"] for check in checks.values())
    return {"status": "ok" if ok else "unavailable", "checks": checks, "tasks": queue,
            "admission": overload.snapshot()}  # fmt: skip
