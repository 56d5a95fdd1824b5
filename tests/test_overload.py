"""Overload: above capacity the service answers at once with 503 and Retry-After (never a hang), sheds
what waited too long in front of it, never sheds its probes, tells a citizen whose submit was shed or
failed in the database that nothing was sent and the draft is kept; /readyz tells a load balancer
whether this process can take traffic.

The concurrency tests run the application in a real threaded WSGI server (Django's, as `runserver`
and the live-server tests use) in this process, with a tiny limit and a view that holds its thread
until the test lets it go (tests/support/overload_urls.py).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone

from madoguchi.core import overload, readiness
from madoguchi.submissions.models import Draft, Submission
from tests.support.formfill import start, walk_to_check
from tests.support.overload_urls import gate

ROOT = Path(__file__).resolve().parent.parent
RISAI = "risai_shomei"
CITY_PHONE = "0225-95-1111"


# --- a real threaded server ---------------------------------------------------------------------


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serving():
    """The application (middleware loaded now, with the settings of the test) on a free port."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        gate.open.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def fetch(port: int, path: str, *, method: str = "GET", headers: dict | None = None, timeout: float = 10):
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        return {"status": response.status, "headers": dict(response.getheaders()), "body": body,
                "seconds": time.monotonic() - started}  # fmt: skip
    finally:
        conn.close()


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


@pytest.fixture
def tiny_limit(settings):
    settings.ROOT_URLCONF = "tests.support.overload_urls"
    settings.MADOGUCHI_MAX_CONCURRENT = 2
    settings.MADOGUCHI_ADMISSION_WAIT_MS = 200
    settings.MADOGUCHI_MAX_QUEUE_MS = 1000
    settings.MADOGUCHI_OVERLOAD_RETRY_AFTER = 30
    gate.reset()
    readiness.reset_storage_check()
    yield settings
    gate.open.set()


SLOW = "/test-overload/slow/"


@pytest.mark.django_db(transaction=True)
def test_above_the_limit_requests_get_503_at_once_while_admitted_ones_succeed(tiny_limit, city):
    with serving() as port, ThreadPoolExecutor(max_workers=12) as pool:
        admitted = [pool.submit(fetch, port, SLOW) for _ in range(2)]
        wait_until(lambda: gate.entered == 2)

        excess = [f.result() for f in [pool.submit(fetch, port, SLOW) for _ in range(6)]]
        for response in excess:
            assert response["status"] == 503
            assert response["headers"]["Retry-After"] == "30"
            assert response["headers"]["X-Madoguchi-Shed"] == "busy"
            assert "no-store" in response["headers"]["Cache-Control"]
            assert response["seconds"] < 1.5  # the 200 ms wait for a slot, then at once
            assert response["seconds"] >= 0.15  # it did wait for a slot before giving up
            assert "ただいま混み合っています" in response["body"]
            assert "30秒ほど待ってから" in response["body"]
            assert "The service is busy" in response["body"] and "about 30 seconds" in response["body"]
            assert CITY_PHONE in response["body"]  # from the city's file, without the database
        assert gate.entered == 2  # a shed request never reached the view

        # The probes and static files are never shed, however full the process is.
        assert fetch(port, "/healthz")["status"] == 200
        ready = fetch(port, "/readyz")
        assert ready["status"] == 200, ready["body"]
        assert json.loads(ready["body"])["admission"]["in_flight"] >= 2
        assert fetch(port, "/static/madoguchi/css/app.css")["status"] != 503

        gate.open.set()
        for future in admitted:
            response = future.result()
            assert (response["status"], response["body"]) == (200, "worked")
        assert fetch(port, SLOW)["status"] == 200  # the slots were given back


@pytest.mark.django_db(transaction=True)
def test_a_request_waiting_for_a_slot_gets_one_when_a_slot_frees_up(tiny_limit, city):
    tiny_limit.MADOGUCHI_ADMISSION_WAIT_MS = 3000
    with serving() as port, ThreadPoolExecutor(max_workers=4) as pool:
        held = [pool.submit(fetch, port, SLOW) for _ in range(2)]
        wait_until(lambda: gate.entered == 2)
        waiting = pool.submit(fetch, port, SLOW)
        time.sleep(0.3)
        assert gate.entered == 2 and not waiting.done()  # queued at the semaphore, not in the view
        gate.open.set()
        assert waiting.result()["status"] == 200
        assert all(f.result()["status"] == 200 for f in held)


@pytest.mark.django_db(transaction=True)
def test_three_times_the_slots_are_all_answered_within_two_seconds(tiny_limit, city):
    """Every request gets an answer (success or 503) quickly; none hangs, none is lost."""
    gate.open.set()  # the view answers at once: the limit, not the view, is what is tested

    with serving() as port, ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: fetch(port, SLOW), range(60)))
    assert len(results) == 60
    assert {r["status"] for r in results} <= {200, 503}
    assert max(r["seconds"] for r in results) < 2.0
    assert sum(r["status"] == 200 for r in results) >= 2


# --- the queue time set by the reverse proxy --------------------------------------------------


@pytest.mark.django_db
def test_a_request_that_waited_too_long_in_front_is_shed_before_any_work(tiny_limit, city):
    client = Client()
    now = time.time()
    for header in (f"t={now - 5:.3f}", str(int((now - 5) * 1000)), f"t={int((now - 5) * 1_000_000)}"):
        shed = client.get(SLOW, HTTP_X_REQUEST_START=header)
        assert shed.status_code == 503, header
        assert shed["X-Madoguchi-Shed"] == "queue" and shed["Retry-After"] == "30"
    assert gate.entered == 0

    gate.open.set()
    assert client.get(SLOW, HTTP_X_REQUEST_START=f"t={now:.3f}").status_code == 200
    assert client.get(SLOW, HTTP_X_REQUEST_START="not-a-time").status_code == 200
    assert client.get("/healthz", HTTP_X_REQUEST_START=f"t={now - 60:.3f}").status_code == 200
    assert client.get("/readyz", HTTP_X_REQUEST_START=f"t={now - 60:.3f}").status_code == 200
    tiny_limit.MADOGUCHI_MAX_QUEUE_MS = 0  # 0: the header is ignored
    assert Client().get(SLOW, HTTP_X_REQUEST_START=f"t={now - 60:.3f}").status_code == 200


def test_queue_time_is_read_in_seconds_milliseconds_or_microseconds():
    now = 1_800_000_000.0
    assert overload.queued_seconds("t=1799999998.500", now=now) == pytest.approx(1.5)
    assert overload.queued_seconds("1799999998500", now=now) == pytest.approx(1.5)
    assert overload.queued_seconds("t=1799999998500000", now=now) == pytest.approx(1.5)
    assert overload.queued_seconds("t=1800000005.0", now=now) == 0.0  # clocks apart: no wait
    assert overload.queued_seconds("", now=now) is None
    assert overload.queued_seconds("t=soon", now=now) is None


def test_a_shed_is_logged_at_most_once_per_interval_without_the_request(caplog):
    overload.stats.last_log = 0.0
    with caplog.at_level(logging.WARNING, logger="madoguchi.core.overload"):
        for _ in range(50):
            overload._count_shed("busy")
    lines = [r for r in caplog.records if r.name == "madoguchi.core.overload"]
    assert len(lines) == 1
    assert "/apply/" not in lines[0].getMessage()


# --- what a shed POST tells the citizen ---------------------------------------------------------


@pytest.fixture
def procedures(city):
    from madoguchi.procedures.services import procedures_load_from_files

    procedures_load_from_files()


def _ready_draft(client):
    from madoguchi.procedures.files import parse_files

    definition = next(p.data for p in parse_files()[0] if p.id == RISAI)
    check_url = walk_to_check(client, definition, start(client, RISAI))
    body = client.get(check_url).content.decode()
    token = body.split('name="token" value="')[1].split('"')[0]
    return Draft.objects.get(), check_url, token


@pytest.mark.django_db
def test_a_shed_submit_says_not_sent_and_draft_kept_and_sending_again_works(
    procedures, as_user, citizen_erin, settings
):
    settings.MADOGUCHI_MAX_QUEUE_MS = 1000
    client = as_user(citizen_erin)
    draft, check_url, token = _ready_draft(client)
    late = f"t={time.time() - 10:.3f}"

    shed = client.post(check_url, {"token": token}, HTTP_X_REQUEST_START=late)
    assert shed.status_code == 503 and int(shed["Retry-After"]) > 0
    body = shed.content.decode()
    assert "申請はまだ送信されていません。" in body and "入力した内容は下書きとして保存されています。" in body
    assert "Your application has not been sent yet." in body
    assert Submission.objects.count() == 0
    assert Draft.objects.get(pk=draft.pk).data == draft.data

    # A form page's POST: the earlier pages are saved, that page is not. Never the draft promise.
    page_url = check_url.replace("/check/", "/disaster/")
    page = client.post(page_url, {"action": "continue"}, HTTP_X_REQUEST_START=late).content.decode()
    assert "このページで入力した内容は、まだ保存されていません。" in page
    assert "申請はまだ送信されていません" not in page
    # Anything else that was posted: nothing was processed.
    other = client.post("/account/login/", {"username": "x"}, HTTP_X_REQUEST_START=late).content.decode()
    assert "送信した内容は処理されていません。" in other and "下書き" not in other
    read = client.get("/procedures/", HTTP_X_REQUEST_START=late).content.decode()
    assert "何も送信も保存もされていません" in read and "下書き" not in read

    sent = client.post(check_url, {"token": token})
    assert sent.status_code == 302
    assert Submission.objects.count() == 1


@pytest.mark.django_db
def test_a_rate_limited_submit_answers_429_with_retry_after_and_a_plain_page(
    procedures, as_user, citizen_erin, settings
):
    settings.MADOGUCHI_RATE_LIMITS = {**settings.MADOGUCHI_RATE_LIMITS, "submission": "1/m"}
    client = as_user(citizen_erin)
    _draft, check_url, _token = _ready_draft(client)
    forged = {"token": "not-a-token"}
    assert client.post(check_url, forged).status_code == 400
    refused = client.post(check_url, forged)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "しばらくしてからお試しください" in refused.content.decode()
    assert Submission.objects.count() == 0


# --- a submit the database could not take ----------------------------------------------------


class _Signal(logging.Handler):
    def __init__(self, text: str):
        super().__init__()
        self.text, self.event = text, threading.Event()

    def emit(self, record):
        if self.text in record.getMessage():
            self.event.set()


@pytest.mark.django_db(transaction=True)
def test_a_submit_stuck_on_a_lock_answers_not_sent_keeps_the_draft_and_stores_nothing(
    procedures, as_user, citizen_erin, settings
):
    """Another transaction holds the draft (PostgreSQL: its row; SQLite: the write lock). The web
    lock timeout ends the wait: a clear page, no submission, the draft intact; sending again works."""
    settings.MADOGUCHI_DB_LOCK_TIMEOUT_MS = 300
    settings.MADOGUCHI_DB_STATEMENT_TIMEOUT_MS = 5000
    if connection.vendor == "sqlite":
        # SQLite's write lock also stops the rate-limit counters, which then refuse the request with
        # 429 (test_a_rate_limit_whose_counters_are_locked_refuses_with_429): count in memory here.
        settings.CACHES = {
            **settings.CACHES,
            "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        }
    client = as_user(citizen_erin)
    draft, check_url, token = _ready_draft(client)
    held, decided = threading.Event(), _Signal("submission not sent")
    logging.getLogger("madoguchi.core.overload").addHandler(decided)

    def hold_the_draft():
        try:
            with transaction.atomic():
                Draft.objects.select_for_update().get(pk=draft.pk)
                held.set()
                decided.event.wait(timeout=20)  # until the web request has given up
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_draft)
    holder.start()
    try:
        assert held.wait(timeout=10)
        connection.close()  # the request opens a new connection: a web one, with the timeouts
        started = time.monotonic()
        response = client.post(check_url, {"token": token})
        elapsed = time.monotonic() - started
    finally:
        decided.event.set()
        holder.join(timeout=20)
        logging.getLogger("madoguchi.core.overload").removeHandler(decided)
    assert response.status_code == 503, response.content.decode()[:500]
    assert int(response["Retry-After"]) > 0
    body = response.content.decode()
    assert "申請はまだ送信されていません" in body and "下書きとして保存されています" in body
    assert check_url in body
    assert elapsed < 4.0  # the lock timeout, not a hang
    assert Submission.objects.count() == 0
    assert Draft.objects.get(pk=draft.pk).data == draft.data

    again = client.post(check_url, {"token": token})
    assert again.status_code == 302
    assert Submission.objects.count() == 1


def _counter_table() -> str:
    """The table the rate limits count in (whichever database-backed cache they use)."""
    from django.conf import settings

    cache = settings.CACHES["ratelimit"]
    if cache["BACKEND"].endswith("CounterCache"):
        from madoguchi.core.models import RateCounter

        return connection.ops.quote_name(RateCounter._meta.db_table)
    return connection.ops.quote_name(cache["LOCATION"])


@pytest.mark.django_db(transaction=True)
def test_a_rate_limit_whose_counters_are_locked_refuses_with_429_not_500(
    procedures, as_user, citizen_erin, settings
):
    """The counters live in the database; when it cannot answer in time the limit fails closed with a
    plain 429 and Retry-After, and the submit is not run."""
    settings.MADOGUCHI_DB_LOCK_TIMEOUT_MS = 300
    client = as_user(citizen_erin)
    _draft, check_url, token = _ready_draft(client)
    held, refused = threading.Event(), _Signal("rate limit reached")
    logging.getLogger("madoguchi.core.ratelimit").addHandler(refused)

    def lock_the_counters():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(f"LOCK TABLE {_counter_table()} IN ACCESS EXCLUSIVE MODE")
                held.set()  # on SQLite the transaction itself holds the write lock
                refused.event.wait(timeout=20)
        finally:
            connection.close()

    holder = threading.Thread(target=lock_the_counters)
    holder.start()
    try:
        assert held.wait(timeout=10)
        connection.close()
        response = client.post(check_url, {"token": token})
    finally:
        refused.event.set()
        holder.join(timeout=20)
        logging.getLogger("madoguchi.core.ratelimit").removeHandler(refused)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "しばらくしてからお試しください" in response.content.decode()
    assert Submission.objects.count() == 0
    assert client.post(check_url, {"token": token}).status_code == 302
    assert Submission.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_web_connections_carry_the_timeouts_and_commands_do_not(settings):
    settings.MADOGUCHI_DB_LOCK_TIMEOUT_MS = 1234
    settings.MADOGUCHI_DB_STATEMENT_TIMEOUT_MS = 4321
    overload.install_web_db_timeouts()  # what loading the middleware does in a web process
    connection.close()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')")
            assert cursor.fetchone() == ("4321ms", "1234ms")
        else:
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 1234
    connection.close()

    # A management command (or a worker) never loads the middleware: no limit on its statements.
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "c = connection.cursor()\n"
        "if connection.vendor == 'postgresql':\n"
        "    c.execute(\"SELECT current_setting('statement_timeout'), current_setting('lock_timeout')\")\n"
        "    print(*c.fetchone())\n"
        "else:\n"
        "    c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0])\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "madoguchi.settings", "MADOGUCHI_PROFILE": "production",
           "MADOGUCHI_SECRET_KEY": "x" * 60, "MADOGUCHI_ALLOWED_HOSTS": "localhost",
           "MADOGUCHI_FIELD_KEYS": settings.MADOGUCHI_FIELD_KEYS, "MADOGUCHI_INDEX_KEYS": settings.MADOGUCHI_INDEX_KEYS,
           "MADOGUCHI_DB_STATEMENT_TIMEOUT_MS": "4321", "MADOGUCHI_DB_LOCK_TIMEOUT_MS": "1234",
           "PYTHONPATH": str(ROOT / "src")}  # fmt: skip
    db = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        expected = "0 0"
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
        expected = "5000"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == expected


# --- readiness ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_readyz_reports_ready_with_the_queue_and_is_never_cached(client, city):
    from django_tasks_db.models import DBTaskResult

    readiness.reset_storage_check()
    waiting = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}}, task_path="madoguchi.accounts.tasks.send_account_email",
        backend_name="default", queue_name="default", run_after=timezone.now() - timedelta(minutes=3),
    )  # fmt: skip
    DBTaskResult.objects.filter(pk=waiting.pk).update(enqueued_at=timezone.now() - timedelta(minutes=3))

    response = client.get("/readyz")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    report = response.json()
    assert report["status"] == "ok"
    assert {name: check["ok"] for name, check in report["checks"].items()} == {
        "database": True, "migrations": True, "storage": True,
    }  # fmt: skip
    assert report["checks"]["migrations"]["unapplied"] == 0
    # A backlog is reported, never a reason to take the process out of service.
    assert report["tasks"]["ready"] == 1
    assert report["tasks"]["oldest_ready_age_seconds"] >= 170
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_readyz_is_503_while_a_migration_is_not_applied(client, city):
    MigrationRecorder.Migration.objects.filter(app="core").order_by("-id")[:1].get().delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Retry-After"]
    report = response.json()
    assert report["status"] == "unavailable"
    assert report["checks"]["migrations"] == {"ok": False, "unapplied": 1}
    assert report["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_readyz_is_503_while_the_file_storage_refuses_writes(client, city, settings, tmp_path):
    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("x")
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(not_a_directory / "files")},
    }}  # fmt: skip
    readiness.reset_storage_check()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["storage"] == {"ok": False}
    finally:
        readiness.reset_storage_check()


def test_readyz_and_healthz_are_503_when_the_database_is_unreachable(tmp_path):
    code = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "c = Client()\n"
        "r = c.get('/readyz'); h = c.get('/healthz')\n"
        "print(json.dumps([r.status_code, r.json(), h.status_code]))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'missing-directory' / 'db.sqlite3'}",
           "MADOGUCHI_MEDIA_ROOT": str(tmp_path / "files")}  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-2000:]
    status, report, health = json.loads(out.stdout.strip().splitlines()[-1])
    assert (status, health) == (503, 503)
    assert report["checks"]["database"] == {"ok": False}
    assert report["checks"]["migrations"] == {"ok": False}
    assert report["status"] == "unavailable"


# --- log-ins: password hashing begun only while it can still be answered in time -----------------


@pytest.mark.django_db
def test_a_log_in_that_arrived_too_long_ago_is_shed_before_the_password_is_checked(
    client, citizen_erin, settings
):
    """A log-in hashes a password (PBKDF2, about half a second of a core). One that waited in front
    past MADOGUCHI_COSTLY_START_BY_MS gets 503 at once: nothing checked, no failed attempt counted."""
    from axes.models import AccessAttempt

    from tests.factories import PASSWORD

    settings.MADOGUCHI_MAX_QUEUE_MS = 5000  # the general queue limit lets it through …
    settings.MADOGUCHI_COSTLY_START_BY_MS = 800  # … the log-in's own does not
    login_url = "/account/login/"
    late = f"t={time.time() - 1.5:.3f}"
    wrong = {"username": citizen_erin.email, "password": "not-the-password"}
    shed = client.post(login_url, wrong, HTTP_X_REQUEST_START=late)
    assert shed.status_code == 503 and int(shed["Retry-After"]) > 0
    assert shed["X-Madoguchi-Shed"] == "costly"
    assert "送信した内容は処理されていません。" in shed.content.decode()
    assert not AccessAttempt.objects.exists()  # the password was never checked
    citizen_erin.refresh_from_db()
    assert citizen_erin.last_login is None
    assert overload.snapshot()["shed_costly"] >= 1

    # On time, the same log-in is worked as usual.
    fresh = f"t={time.time():.3f}"
    ok = client.post(
        login_url, {"username": citizen_erin.email, "password": PASSWORD}, HTTP_X_REQUEST_START=fresh
    )
    assert ok.status_code == 302
    citizen_erin.refresh_from_db()
    assert citizen_erin.last_login is not None


@pytest.mark.django_db
def test_log_ins_beyond_the_hashing_slots_wait_only_until_their_start_by_time(client, citizen_erin, settings):
    """With every hashing slot of the process taken, a log-in waits for one only until its start-by
    time, then gets 503; a GET of the log-in page is never held."""
    settings.MADOGUCHI_COSTLY_AT_ONCE = 1
    settings.MADOGUCHI_COSTLY_START_BY_MS = 300
    slots = overload._costly_semaphore()
    assert slots.acquire(timeout=1)  # another log-in is hashing
    try:
        started = time.monotonic()
        shed = client.post("/account/login/", {"username": citizen_erin.email, "password": "x"})
        waited = time.monotonic() - started
        assert client.get("/account/login/").status_code == 200
    finally:
        slots.release()
    assert shed.status_code == 503 and shed["X-Madoguchi-Shed"] == "costly"
    assert 0.25 <= waited < 2.0
    assert (
        client.post("/account/login/", {"username": citizen_erin.email, "password": "x"}).status_code == 200
    )
