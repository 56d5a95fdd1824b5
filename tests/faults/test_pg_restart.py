"""Issue 11, faults: PostgreSQL restarted during a submit → no partial record, the draft intact,
the retry creates exactly one submission, and the web process's next request works.

The shared cluster is never touched: the test makes a private one (initdb as the postgres user in a
temporary directory, on a free port), migrates a database there, and runs the scenario
(``pg_restart_scenario.py``) in a process of its own against it. The cluster is stopped and removed
even when the test fails."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.faults.support import ROOT

PG_BIN = Path(os.environ.get("MADOGUCHI_PG_BIN", "/usr/lib/postgresql/15/bin"))

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql"},
        reason="PostgreSQL restarts are tested only when DATABASE_URL is PostgreSQL",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(*command: str) -> list[str]:
    if os.geteuid() == 0:
        return [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--", *command]
    return list(command)


@pytest.fixture
def private_cluster():
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL server binaries in {PG_BIN} (set MADOGUCHI_PG_BIN)")
    if os.geteuid() == 0:
        try:
            subprocess.run(["id", "postgres"], check=True, capture_output=True)
        except subprocess.CalledProcessError:
            pytest.skip("no postgres OS user to run a private cluster as")
    where = Path(tempfile.mkdtemp(prefix="madoguchi-pg-"))
    data = where / "data"
    port = _free_port()
    if os.geteuid() == 0:
        shutil.chown(where, "postgres", "postgres")
    ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-t", "60"]
    options = f"-p {port} -k {where} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = False
    try:
        subprocess.run(_as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                    "-E", "UTF8", "--no-locale"), check=True, capture_output=True)  # fmt: skip
        subprocess.run(_as_postgres(*ctl, "-o", options, "-l", str(where / "log"), "start"), check=True,
                       capture_output=True)  # fmt: skip
        started = True
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE madoguchi")
        url = f"postgres://postgres@127.0.0.1:{port}/madoguchi"
        restart = " ".join(
            _as_postgres(*ctl, "-o", f'"{options}"', "-l", str(where / "log"), "-m", "fast", "restart")
        )
        yield {"url": url, "restart": restart, "dir": where}
    finally:
        if started:
            subprocess.run(_as_postgres(*ctl, "-m", "immediate", "stop"), capture_output=True, check=False)
        shutil.rmtree(where, ignore_errors=True)


def _run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def test_a_restart_of_postgresql_during_a_submit_leaves_nothing_half_and_the_retry_files_once(
    private_cluster,
):
    assert connection.vendor == "postgresql"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": private_cluster["url"],
           "PG_RESTART_COMMAND": private_cluster["restart"],
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}  # fmt: skip
    migrated = _run(env, str(ROOT / "src" / "manage.py"), "migrate", "--no-input", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    cache = _run(env, str(ROOT / "src" / "manage.py"), "createcachetable")  # the shared cache and rate limits
    assert cache.returncode == 0, cache.stderr[-3000:]
    ran = _run(env, "-m", "tests.faults.pg_restart_scenario")
    line = next((x for x in ran.stdout.splitlines() if x.startswith("SCENARIO ")), None)
    assert line, (ran.stdout[-2000:], ran.stderr[-4000:])
    report = json.loads(line.removeprefix("SCENARIO "))
    print(json.dumps(report, indent=1))

    assert report["restart_fired"]
    assert report["interrupted_status"] != 302  # the citizen is not told it was received
    # nothing of the failed attempt was stored; the draft is as it was
    assert report["after_interrupt"] == {
        "submissions": 0,
        "cases": 0,
        "submission_audit_rows": 0,
        "drafts": 1,
    }
    assert report["draft_intact"]
    # the web process recovered: the next request works, the retry files once, a resend finds it
    assert report["next_request_status"] == 200
    assert report["retry_status"] == 302 and "sent=1" in report["retry_location"]
    assert report["resent_status"] == 302
    assert report["after_retry"] == {"submissions": 1, "cases": 1, "submission_audit_rows": 1, "drafts": 0}

    # checked again from outside the web process
    with psycopg.connect(private_cluster["url"].replace("postgres://", "postgresql://")) as db:
        assert db.execute("SELECT count(*) FROM submissions_submission").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM cases_case").fetchone()[0] == 1


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_web_server_keeps_answering_after_postgresql_restarts_between_requests(private_cluster):
    """A real application server (gunicorn, persistent connections as configured: CONN_MAX_AGE with
    CONN_HEALTH_CHECKS) whose database restarts while it is idle: the next request works."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": private_cluster["url"],
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}  # fmt: skip
    env.pop("MADOGUCHI_DB_CONN_MAX_AGE", None)
    for command in (["migrate", "--no-input", "-v", "0"], ["createcachetable"]):
        done = _run(env, str(ROOT / "src" / "manage.py"), *command)
        assert done.returncode == 0, done.stderr[-3000:]
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "madoguchi.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "2", "--chdir", str(ROOT / "src")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/procedures/"
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                status = _get(url)
            except OSError:
                time.sleep(0.3)
        assert status == 200
        assert _get(url) == 200  # the worker now holds a persistent connection (CONN_MAX_AGE)
        subprocess.run(shlex.split(private_cluster["restart"]), check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)  # fmt: skip
        assert [_get(url) for _ in range(3)] == [200, 200, 200]
    finally:
        server.terminate()
        server.wait(10)
