"""Backup and restore of one installation: the database, the stored files, and a manifest.

A backup is a directory (or the same as a ``.tar`` file)::

    manifest.json    when, which code (version, git commit), which migrations, every file's SHA-256
    database.dump    PostgreSQL: ``pg_dump -Fc`` of the configured database
    database.sqlite3 SQLite: a consistent copy made with the online backup API
    files/...        the storage root (uploads, generated PDFs), as on disk

Encryption keys (MADOGUCHI_FIELD_KEYS, MADOGUCHI_INDEX_KEYS, the key file) are NOT in a backup:
they live outside the database (docs/security.md) and must be kept, separately, to read a restore.
With S3 storage the files are not copied: the bucket has its own versioning and replication.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.utils import timezone

FORMAT = 1
KEYS_NOTE = (
    "Encryption keys are not in this backup (MADOGUCHI_FIELD_KEYS, MADOGUCHI_INDEX_KEYS, MADOGUCHI_KEY_FILE); "
    "keep them separately: without them the encrypted answers of a restore cannot be read."
)


class BackupError(Exception):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def files_root() -> Path | None:
    """The directory of the stored files, or None when they live elsewhere (S3)."""
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        return Path(storage.location)
    return None


def _tool(name: str) -> str:
    """The full path of a program (pg_dump, pg_restore, git); MADOGUCHI_PG_BIN names PostgreSQL's directory."""
    found = shutil.which(name, path=os.environ.get("MADOGUCHI_PG_BIN") or None) or shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (or not on PATH)")
    return found


def _git_commit() -> str:
    if os.environ.get("MADOGUCHI_GIT_COMMIT"):
        return os.environ["MADOGUCHI_GIT_COMMIT"]
    try:
        command = [_tool("git"), "rev-parse", "HEAD"]
        out = subprocess.run(  # noqa: S603
            command, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=10, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError, BackupError):
        return ""


def _app_version() -> str:
    try:
        from importlib.metadata import version

        return version("madoguchi")
    except Exception:
        return ""


def _pg_args(settings_dict: dict) -> tuple[list[str], dict]:
    args = []
    if settings_dict.get("HOST"):
        args += ["--host", settings_dict["HOST"]]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", settings_dict["USER"]]
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return args, env


def _applied_migrations() -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [list(row) for row in cursor.fetchall()]


def _dump_database(target_dir: Path) -> str:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        args, env = _pg_args(s)
        target = target_dir / "database.dump"
        command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", *args,
                   "--file", str(target), s["NAME"]]  # fmt: skip
        run = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if run.returncode != 0:
            raise BackupError(f"pg_dump failed: {run.stderr.strip()[-500:]}")
        return target.name
    if connection.vendor == "sqlite":
        target = target_dir / "database.sqlite3"
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
        return target.name
    raise BackupError(f"no backup for the {connection.vendor} database")


@dataclass
class BackupResult:
    path: Path
    files: int
    database: str


def backup_create(*, output: Path) -> BackupResult:
    """Write a backup to ``output`` (a new directory, or a ``.tar`` file)."""
    output = Path(output)
    if output.exists():
        raise BackupError(f"{output} exists already; name a new directory or .tar file")
    as_tar = output.suffix == ".tar"
    work = Path(tempfile.mkdtemp(prefix="madoguchi-backup-", dir=output.parent)) if as_tar else output
    if not as_tar:
        work.mkdir(parents=True)
    try:
        created_at = timezone.now()
        migrations = _applied_migrations()
        database = _dump_database(work)
        root = files_root()
        listed = []
        if root is not None and root.exists():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                relative = path.relative_to(root).as_posix()
                copy = work / "files" / relative
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copy)
                listed.append({"path": relative, "size": copy.stat().st_size, "sha256": _sha256(copy)})
        manifest = {
            "format": FORMAT,
            "created_at": created_at.isoformat(),
            "app_version": _app_version(),
            "git_commit": _git_commit(),
            "database": {"vendor": connection.vendor, "file": database, "sha256": _sha256(work / database)},
            "migrations": migrations,
            "files": listed,
            "files_storage": "filesystem"
            if root is not None
            else "external (S3: the bucket's own versioning)",
            "encryption_keys": KEYS_NOTE,
        }
        (work / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        if as_tar:
            with tarfile.open(output, "w") as tar:
                for item in sorted(work.iterdir()):
                    tar.add(item, arcname=item.name)
    except BaseException:
        if as_tar or output.exists():
            shutil.rmtree(work, ignore_errors=True)
        if as_tar and output.exists():
            output.unlink()
        raise
    if as_tar:
        shutil.rmtree(work, ignore_errors=True)
    return BackupResult(path=output, files=len(listed), database=database)


def _open_backup(path: Path) -> tuple[Path, Path | None]:
    """The backup's directory (unpacked into a temporary one for a .tar) and the temporary to remove."""
    if path.is_dir():
        return path, None
    if path.is_file() and tarfile.is_tarfile(path):
        temp = Path(tempfile.mkdtemp(prefix="madoguchi-restore-"))
        with tarfile.open(path) as tar:
            tar.extractall(temp, filter="data")
        return temp, temp
    raise BackupError(f"{path} is neither a backup directory nor a .tar file")


def backup_verify(directory: Path) -> dict:
    """Read the manifest and check every hash; raises BackupError naming what is wrong."""
    manifest_path = directory / "manifest.json"
    if not manifest_path.exists():
        raise BackupError("manifest.json is missing")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    problems = []
    db = manifest["database"]
    if not (directory / db["file"]).exists() or _sha256(directory / db["file"]) != db["sha256"]:
        problems.append(f"database file {db['file']} missing or changed")
    for item in manifest["files"]:
        copy = directory / "files" / item["path"]
        if not copy.is_file() or _sha256(copy) != item["sha256"]:
            problems.append(f"file {item['path']} missing or changed")
    if problems:
        raise BackupError("backup damaged: " + "; ".join(problems[:20]))
    return manifest


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def _restore_database(directory: Path, manifest: dict, *, force: bool) -> None:
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"the backup is of a {vendor} database; this installation uses {connection.vendor}")
    if not _database_is_empty() and not force:
        raise BackupError(
            "the database is not empty; restore into an empty database (or --force to replace it)"
        )
    source = directory / manifest["database"]["file"]
    s = connection.settings_dict
    if vendor == "postgresql":
        args, env = _pg_args(s)
        connection.close()
        extra = ["--clean", "--if-exists"] if force else []
        command = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                   *extra, *args, "--dbname", s["NAME"], str(source)]  # fmt: skip
        run = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if run.returncode != 0:
            raise BackupError(f"pg_restore failed: {run.stderr.strip()[-500:]}")
    else:
        connection.ensure_connection()
        origin = sqlite3.connect(source)
        try:
            origin.backup(connection.connection)  # replaces every page of the target database
        finally:
            origin.close()
        connection.close()


def _restore_files(directory: Path, manifest: dict, *, force: bool) -> int:
    root = files_root()
    if root is None:
        return 0
    if root.exists() and any(root.iterdir()) and not force:
        raise BackupError(f"the file root {root} is not empty (or --force to write into it)")
    for item in manifest["files"]:
        target = root / item["path"]
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copy2(directory / "files" / item["path"], target)
        if _sha256(target) != item["sha256"]:
            raise BackupError(f"file {item['path']} differs after copying")
    return len(manifest["files"])


def backup_restore(*, path: Path, force: bool = False) -> dict:
    """Check a backup, then restore its database and files. Returns its manifest."""
    directory, temp = _open_backup(Path(path))
    try:
        manifest = backup_verify(directory)
        root = files_root()
        if root is not None and root.exists() and any(root.iterdir()) and not force:
            raise BackupError(f"the file root {root} is not empty (or --force to write into it)")
        _restore_database(directory, manifest, force=force)
        manifest["restored_files"] = _restore_files(directory, manifest, force=force)
        return manifest
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
