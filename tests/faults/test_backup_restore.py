"""Issue 11, operations: ``manage.py backup`` then ``manage.py restore`` into a fresh database and a
fresh file root loses nothing: every table's rows and every file are the same, the audit chain holds.
Runs on the configured database (SQLite, or PostgreSQL when DATABASE_URL says so)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from madoguchi.privacy.models import AuditEvent, StoredFile
from madoguchi.privacy.services import file_store
from madoguchi.submissions.models import Submission
from tests.conftest import department
from tests.faults.support import ROOT, Upload, database_url, png_bytes, subprocess_env
from tests.support.cases import file_case

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def file_root(settings, tmp_path):
    root = tmp_path / "files"
    root.mkdir()
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}}  # fmt: skip
    return root


@pytest.fixture
def empty_database(tmp_path):
    """A database with nothing in it, of the same kind as the test database; dropped afterwards."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    name = f"madoguchi_restore_{uuid.uuid4().hex[:10]}"
    base = database_url().rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def snapshot(url: str) -> dict[str, list]:
    """Every table's rows (sorted), read with the database's own driver."""
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            tables = [r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]  # fmt: skip
            return {t: sorted(map(repr, db.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}
        finally:
            db.close()
    import psycopg

    with psycopg.connect(url) as db:
        tables = [r[0] for r in db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='public' AND table_type='BASE TABLE'")]  # fmt: skip
        return {t: sorted(map(repr, db.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "src" / "manage.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


@pytest.mark.parametrize("packed", [False, True], ids=["directory", "tar"])
def test_a_restore_from_a_backup_loses_nothing(packed, file_root, empty_database, tmp_path, citizen_erin):
    photos = []
    for colour in [(200, 30, 30), (30, 200, 30)]:
        stored = file_store(uploaded=Upload(png_bytes(colour), "被害の写真.png"), uploaded_by=citizen_erin,
                            department=department("shisanzei"))  # fmt: skip
        photos.append({"id": str(stored.pk), "name": stored.display_name})
    file_case(citizen_erin, "risai_shomei", damage_photos=photos)
    file_case(citizen_erin, "kaigo_nintei_shinki")
    assert (
        Submission.objects.count() == 2 and StoredFile.objects.count() >= 2 and AuditEvent.objects.count() > 0
    )
    assert len(files_of(file_root)) >= 2

    output = tmp_path / ("backup.tar" if packed else "backup")
    call_command("backup", str(output))
    before_db, before_files = snapshot(database_url()), files_of(file_root)

    fresh_root = tmp_path / "restored-files"
    env = subprocess_env(DATABASE_URL=empty_database, MADOGUCHI_MEDIA_ROOT=str(fresh_root))
    restored = manage(env, "restore", str(output))
    assert restored.returncode == 0, restored.stderr
    assert "Encryption keys are not in this backup" in restored.stdout

    after_db = snapshot(empty_database)
    assert sorted(after_db) == sorted(before_db)
    for table in before_db:
        assert after_db[table] == before_db[table], f"table {table} differs after restore"
    assert files_of(fresh_root) == before_files
    verified = manage(env, "audit_verify")
    assert verified.returncode == 0 and "audit trail intact" in verified.stdout, verified.stderr

    # A second restore onto the now full database and file root is refused, and changes nothing.
    again = manage(env, "restore", str(output))
    assert again.returncode != 0 and "not empty" in again.stderr
    assert snapshot(empty_database) == after_db


def test_a_damaged_backup_is_refused_before_anything_is_written(
    file_root, empty_database, tmp_path, citizen_erin
):
    file_store(
        uploaded=Upload(png_bytes(), "写真.png"), uploaded_by=citizen_erin, department=department("shisanzei")
    )
    output = tmp_path / "backup"
    call_command("backup", str(output))
    manifest = json.loads((output / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == connection.vendor and manifest["migrations"]
    assert "not in this backup" in manifest["encryption_keys"]
    damaged = output / "files" / manifest["files"][0]["path"]
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"\0")

    fresh_root = tmp_path / "restored-files"
    env = subprocess_env(DATABASE_URL=empty_database, MADOGUCHI_MEDIA_ROOT=str(fresh_root))
    restored = manage(env, "restore", str(output))
    assert restored.returncode != 0 and "missing or changed" in restored.stderr
    assert snapshot(empty_database) == {}
    assert not fresh_root.exists() or not any(fresh_root.iterdir())
