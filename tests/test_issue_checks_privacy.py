"""Issue 3 checks the privacy tests did not yet cover: keys from a key file outside the database (with
rotation), and the raw database (the SQLite file itself, or pg_dump) after a real online filing."""

import base64
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from madoguchi.privacy.crypto import load_keyring, reset_keyring
from tests.conftest import department
from tests.privacy_testapp.models import Resident
from tests.support.cases import file_case

MY_NUMBER = "123456789018"  # what tests/support/cases.py files (forms.samples), and the resident below


@pytest.fixture
def reload_keys():
    reset_keyring()
    yield
    reset_keyring()


def _key(seed: str) -> str:
    return base64.b64encode((seed * 32)[:32].encode()).decode()


def _resident():
    return Resident.objects.create(
        department=department("kaigo-hoken"), name="石巻 太郎", my_number=MY_NUMBER,
        affair="介護保険法による保険給付の支給、地域支援事業の実施又は保険料の徴収に関する事務",
    )  # fmt: skip


def _raw_my_number(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT my_number FROM privacy_testapp_resident WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_keys_come_from_a_key_file_and_rotate_through_it(city, settings, reload_keys, tmp_path):
    key_file = tmp_path / "keys.txt"
    key_file.write_text(f"# kept outside the database\nfield f1:{_key('a')}\nindex i1:{_key('b')}\n")
    settings.MADOGUCHI_FIELD_KEYS = ""
    settings.MADOGUCHI_INDEX_KEYS = ""
    settings.MADOGUCHI_KEY_FILE = str(key_file)
    settings.MADOGUCHI_CREATE_KEY_FILE = False
    reset_keyring()
    resident = _resident()
    assert _raw_my_number(resident.pk).startswith("enc1$f1$")

    # A new key goes first in the file; the old one stays until the rotation has run.
    key_file.write_text(f"field f2:{_key('c')}\nfield f1:{_key('a')}\nindex i1:{_key('b')}\n")
    reset_keyring()
    assert Resident.objects.get(pk=resident.pk).my_number == MY_NUMBER
    call_command("rotate_keys", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert _raw_my_number(resident.pk).startswith("enc1$f2$")
    key_file.write_text(f"field f2:{_key('c')}\nindex i1:{_key('b')}\n")
    reset_keyring()
    assert Resident.objects.get(pk=resident.pk).my_number == MY_NUMBER


def test_a_bad_key_file_line_is_named(settings, reload_keys, tmp_path):
    key_file = tmp_path / "keys.txt"
    key_file.write_text(f"field f1:{_key('a')}\nsecret i1:{_key('b')}\n")
    settings.MADOGUCHI_FIELD_KEYS = ""
    settings.MADOGUCHI_INDEX_KEYS = ""
    settings.MADOGUCHI_KEY_FILE = str(key_file)
    settings.MADOGUCHI_CREATE_KEY_FILE = False
    with pytest.raises(ImproperlyConfigured, match=f"{key_file}:2"):
        load_keyring()


def _raw_database() -> bytes:
    """Every byte the database holds: the SQLite file with its WAL, or a pg_dump."""
    if connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        assert path.is_file(), "the test database must be a file (tests/settings.py)"
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(FULL)")
        parts = [path, Path(f"{path}-wal"), Path(f"{path}-journal")]
        # Read by another process: opening and closing the file here would drop this process's POSIX
        # locks on it (SQLite's own), and a worker process could then take the database for unused,
        # delete its WAL under the open connections and corrupt it.
        cat = shutil.which("cat") or "/bin/cat"
        return b"".join(
            subprocess.run([cat, str(p)], capture_output=True, check=True).stdout for p in parts if p.exists()
        )
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump is needed for this test on PostgreSQL"
    s = connection.settings_dict
    return subprocess.run(
        [pg_dump, "-h", s["HOST"] or "127.0.0.1", "-p", str(s["PORT"] or 5432), "-U", s["USER"] or "postgres", s["NAME"]],
        capture_output=True, env={**os.environ, "PGPASSWORD": s.get("PASSWORD") or ""}, check=True, timeout=120,
    ).stdout  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_raw_database_holds_no_plaintext_my_number_after_a_real_filing(city, citizen_erin, kaigo_alice):
    from madoguchi.cases import services

    _resident()
    case = file_case(citizen_erin)  # 要介護認定: the applicant's My Number, encrypted in the answers
    assert MY_NUMBER in repr(case.submission.data)  # the filing really holds it
    # Staff work the case: the reads, the history and the audit rows are written too.
    services.case_transition(by=kaigo_alice, case=case, to_status="reviewing")
    raw = _raw_database()
    assert b"privacy_testapp_resident" in raw and case.receipt_number.encode() in raw  # a real dump
    for shape in (MY_NUMBER, "1234 5678 9018", "1234-5678-9018"):
        for encoding in ("ascii", "utf-16-le"):
            assert shape.encode(encoding) not in raw, (shape, encoding)
