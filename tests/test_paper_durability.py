"""Done-when (issue 9, item 7): "A batch of 100 pages with 10 random `kill -9` of the worker ends with
every page processed exactly once."

Real `manage.py db_worker` processes drain the real database queue (the test's SQLite file, or
PostgreSQL when DATABASE_URL is set); the test kills them with SIGKILL at random moments, starts new
ones, and then checks every page job and result."""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pypdf
import pytest
from django.db import connection
from django.test import Client

from madoguchi.paper.forms_pdf import render_form_pdf
from madoguchi.paper.models import PageJob, PaperApplication, ScanPage
from madoguchi.procedures.models import Procedure
from tests.conftest import login_verified
from tests.faults.support import stop
from tests.support.cases import ensure_procedures
from tests.support.paper import ENGINE

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
PAGES = 100
KILLS = 10
LEASE = 2


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def _worker(env: dict, number: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "src" / "manage.py"), "db_worker", "--queue-name", "default", "--interval", "0.2",
         "--no-startup-delay", "--no-reload", "--worker-id", f"paper-test-{number}", "-v", "0"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def test_a_batch_of_100_pages_survives_10_kill_9_of_the_worker(settings, kaigo_alice):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.MADOGUCHI_OCR_ENGINES = ENGINE
    settings.MADOGUCHI_PAPER_LEASE_SECONDS = LEASE
    ensure_procedures()
    version = Procedure.objects.get(slug="kaigo_hihokenshasho_saikofu").current_version
    blank = pypdf.PdfReader(io.BytesIO(render_form_pdf(version.definition, version.number)))
    writer = pypdf.PdfWriter()
    while len(writer.pages) < PAGES:
        for page in blank.pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    login_verified(client, kaigo_alice)
    response = client.post("/staff/paper/", {"department": "kaigo-hoken",
                                             "scans": [SimpleUploadedFile("batch.pdf", out.getvalue())]})  # fmt: skip
    assert response.status_code == 302
    assert PageJob.objects.count() == PAGES and not ScanPage.objects.exists()

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": _database_url(),
           "MADOGUCHI_TASK_BACKEND": "django_tasks_db.DatabaseBackend", "MADOGUCHI_PAPER_LEASE_SECONDS": str(LEASE),
           "MADOGUCHI_PAPER_DPI": "100", "MADOGUCHI_OCR_ENGINES": ENGINE,
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}  # fmt: skip
    rng = random.Random(int(os.environ.get("PAPER_KILL_SEED", "9")))
    started = 0
    workers = []
    for _ in range(2):
        started += 1
        workers.append(_worker(env, started))
    kills, killed_mid_job = 0, 0
    deadline = time.monotonic() + 180  # about 30 s on an idle machine; the ceiling is for a busy one
    try:
        while kills < KILLS and time.monotonic() < deadline:
            # wait until some worker is reading a page, then kill it at a random moment of that page
            holder = None
            while holder is None and time.monotonic() < deadline:
                held = set(PageJob.objects.filter(status="running").values_list("locked_by", flat=True))
                holder = next(
                    (w for w in workers if w.poll() is None and any(f":{w.pid}:" in h for h in held)), None
                )
                time.sleep(0.1)
            if holder is None:
                break
            time.sleep(rng.uniform(0.0, 0.25))
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait()
            kills += 1
            killed_mid_job += PageJob.objects.filter(
                status="running", locked_by__contains=f":{holder.pid}:"
            ).exists()
            workers.remove(holder)
            started += 1
            workers.append(_worker(env, started))
        while time.monotonic() < deadline:
            if not PageJob.objects.exclude(status="done").exists() and PaperApplication.objects.exists():
                break
            time.sleep(0.3)
    finally:
        for worker in workers:
            stop(worker)
    assert kills == KILLS
    jobs = PageJob.objects.all()
    assert sorted(jobs.values_list("number", flat=True)) == list(range(1, PAGES + 1))
    assert set(jobs.values_list("status", flat=True)) == {"done"}, list(
        jobs.exclude(status="done").values("number", "status", "attempts")
    )
    # exactly once: one result per page, every page identified, none lost, none twice
    pages = ScanPage.objects.all()
    assert pages.count() == PAGES
    assert sorted(pages.values_list("number", flat=True)) == list(range(1, PAGES + 1))
    assert set(pages.values_list("state", flat=True)) == {"identified"}
    assert PaperApplication.objects.count() == PAGES // len(blank.pages)  # blank forms: pages 1..n in a row
    assert killed_mid_job >= 1  # at least one kill landed on a page being read, and its lease ran out
    assert jobs.filter(attempts__gt=1).exists()
