"""No state lives in a web process's memory: two real server processes sharing one database.

For each database (SQLite, and PostgreSQL when it answers at DATABASE_URL's server), the test
makes a fresh database with ``manage.py migrate``, loads the demo accounts, and starts two
gunicorn servers (one worker each, so two processes with nothing in common but the database) on
two ports, A and B. Then, over HTTP as a browser would:

* a citizen logs in on A, and B knows the session (and logging out on B ends it on A);
* a rate-limited endpoint (document verification, lowered to 6 an hour) is hit alternately on A and
  B: the limit applies to the sum, so the 7th request is refused with 429 whichever process gets it;
* a staff account locked after 3 wrong passwords on A is locked on B too, even with the right one.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "demo-Counter-2026"
CITIZEN = "citizen1@demo.madoguchi.example"
STAFF = "shisanzei1@demo.madoguchi.example"
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_url() -> str | None:
    """A server-level URL for PostgreSQL (DATABASE_URL's server, else the local default), if it answers."""
    import psycopg

    base = os.environ.get("DATABASE_URL", "")
    url = base if base.startswith("postgres") else "postgres://postgres@127.0.0.1:5432/postgres"
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error:
        return None
    return url


def _environment(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MADOGUCHI_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="madoguchi.settings",
        PYTHONPATH=f"{ROOT / 'src'}:{ROOT}",
        DATABASE_URL=database_url,
        MADOGUCHI_PROFILE="test",
        MADOGUCHI_FIELD_KEYS=settings.MADOGUCHI_FIELD_KEYS,
        MADOGUCHI_INDEX_KEYS=settings.MADOGUCHI_INDEX_KEYS,
        MADOGUCHI_KEY_FILE="",
        MADOGUCHI_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        MADOGUCHI_LOG_LEVEL="WARNING",
        MADOGUCHI_RATE_LIMIT_LOOKUP="6/h",
        MADOGUCHI_LOGIN_FAILURE_LIMIT="3",
        # Persistent connections, as in production: a process keeps its connection between requests.
        MADOGUCHI_DB_CONN_MAX_AGE="60",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    run = subprocess.run([sys.executable, str(ROOT / "src" / "manage.py"), *args], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, f"manage.py {' '.join(args)} failed:\n{run.stderr[-3000:]}"


class Server:
    def __init__(self, env: dict[str, str], log: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [str(GUNICORN), "--chdir", str(ROOT / "src"), "madoguchi.wsgi:application", "-w", "1",
                   "-b", f"127.0.0.1:{self.port}", "--timeout", "120", "--log-level", "warning"]  # fmt: skip
        with log.open("w") as out:
            self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"server exited:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        pytest.fail(f"server did not answer:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(params=["sqlite", "postgresql"])
def two_servers(request, tmp_path):
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed")
    dropped = None
    if request.param == "sqlite":
        database_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    else:
        server_url = _postgres_url()
        if server_url is None:
            pytest.skip("PostgreSQL does not answer")
        import psycopg

        name = f"madoguchi_scaleout_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        database_url = re.sub(r"/[^/]*$", f"/{name}", server_url)
        dropped = (server_url, name)
    env = _environment(database_url)
    _manage(env, "migrate", "--no-input", "-v", "0")
    _manage(env, "createcachetable")
    _manage(env, "load_demo")
    servers = [Server(env, tmp_path / f"server-{label}.log") for label in "AB"]
    try:
        for server in servers:
            server.wait()
        yield servers
    finally:
        for server in servers:
            server.stop()
        if dropped:
            import psycopg

            with psycopg.connect(dropped[0], autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {dropped[1]} WITH (FORCE)")
        shutil.rmtree(tmp_path, ignore_errors=True)


def _login(session: requests.Session, base: str, path: str, email: str, password: str) -> requests.Response:
    page = session.get(base + path, timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(base + path, data={"csrfmiddlewaretoken": token, "username": email, "password": password},
                        headers={"Referer": base + path}, allow_redirects=False, timeout=60)  # fmt: skip


def test_sessions_rate_limits_and_lockouts_hold_across_processes(two_servers):
    a, b = two_servers
    assert a.process.pid != b.process.pid

    # A session made on A is known to B, and ended on B for A too.
    citizen = requests.Session()
    assert (
        citizen.get(b.url + "/account/", allow_redirects=False, timeout=60).status_code == 302
    )  # not logged in
    response = _login(citizen, a.url, "/account/login/", CITIZEN, PASSWORD)
    assert response.status_code == 302, response.text[:500]
    on_b = citizen.get(b.url + "/account/", allow_redirects=False, timeout=60)
    assert on_b.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', on_b.text).group(1)
    logout = citizen.post(b.url + "/account/logout/", data={"csrfmiddlewaretoken": token},
                          headers={"Referer": b.url + "/account/"}, allow_redirects=False, timeout=60)  # fmt: skip
    assert logout.status_code == 302
    assert citizen.get(a.url + "/account/", allow_redirects=False, timeout=60).status_code == 302

    # The rate limit counts the requests of both processes together: 6 allowed in all, then 429 on either.
    visitor = requests.Session()
    answers = [visitor.get(f"{server.url}/verify/ABCD-EFGH-{i}/", timeout=60).status_code
               for i, server in enumerate([a, b] * 3)]  # fmt: skip
    assert 429 not in answers, answers
    for server in (a, b):
        refused = visitor.get(f"{server.url}/verify/ABCD-EFGH-X/", timeout=60)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0

    # A staff account locked on A (3 wrong passwords) is locked on B, even with the right password.
    staff = requests.Session()
    for _ in range(3):
        wrong = _login(staff, a.url, "/staff/login/", STAFF, "wrong-password-1")
        assert wrong.status_code in (200, 429)
    locked = _login(requests.Session(), b.url, "/staff/login/", STAFF, PASSWORD)
    assert locked.status_code == 429 and "Retry-After" in locked.headers
    # Another staff account is not locked: the lock is the account's, not the process's or address's.
    other = _login(
        requests.Session(), b.url, "/staff/login/", "shisanzei-kacho@demo.madoguchi.example", PASSWORD
    )
    assert other.status_code == 302 and "/staff/mfa/" in other.headers["Location"]
