"""Writes of the privacy core: storing and scanning files, reading them with an audit row,
revealing a My Number, erasing what passed its retention, rotating keys."""

from __future__ import annotations

import errno
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import registry
from .audit import audit_record, audited
from .clamav import ScannerUnavailable, scan_bytes, scanning_enabled
from .crypto import keyring
from .fields import encrypted_fields
from .holders import MyNumberHolder, may_reveal
from .models import AuditEvent, ErasureRecord, StoredFile
from .uploads import CleanFile, UploadRejected, file_storage, inspect_upload

logger = logging.getLogger(__name__)

UNATTACHED_FILE_RETENTION = timedelta(days=1)


# --- files -------------------------------------------------------------------


def file_store(
    *, uploaded, department=None, uploaded_by=None, retain_until: datetime | None = None,
    original_name: str | None = None,
) -> StoredFile:  # fmt: skip
    """Validate, neutralise and store an upload. Raises ``UploadRejected`` with a user-facing message.

    The file starts quarantined when virus scanning is on, and a scan is queued.
    Until an owner attaches it (and sets its retention), it is kept one day.
    """
    clean: CleanFile = inspect_upload(uploaded, original_name=original_name)
    storage = file_storage()
    file_id = uuid.uuid4()
    storage_name = (
        f"files/{file_id.hex[:2]}/{file_id.hex}{clean.display_name[clean.display_name.rfind('.') :]}"
    )
    with audited(action=AuditEvent.Action.CREATE, object_type="privacy.storedfile", object_id=file_id,
                 department_code=getattr(department, "code", ""), fields=["content"]) as audit:  # fmt: skip
        stored_name = _storage_save(storage, storage_name, clean.content, file_id=file_id)
        try:
            with transaction.atomic():
                stored = StoredFile.objects.create(
                    id=file_id,
                    storage_name=stored_name,
                    display_name=clean.display_name,
                    content_type=clean.content_type,
                    size=len(clean.content),
                    sha256=clean.sha256,
                    status=StoredFile.Status.QUARANTINED if scanning_enabled() else StoredFile.Status.CLEAN,
                    department=department,
                    uploaded_by=uploaded_by,
                    retain_until=retain_until or timezone.now() + UNATTACHED_FILE_RETENTION,
                )
                audit.success()
                if stored.status == StoredFile.Status.QUARANTINED:
                    from .tasks import scan_stored_file

                    transaction.on_commit(lambda: scan_stored_file.enqueue(file_id=str(file_id)))
        except Exception:
            storage.delete(stored_name)  # nothing half-written: no orphan content
            raise
    return stored


STORAGE_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


def _storage_save(storage, name: str, content: bytes, *, file_id) -> str:
    """Save to the storage; a disk that is full (or failing) leaves no partial file and gives the
    citizen a plain message instead of an error page."""
    try:
        return storage.save(name, ContentFile(content))
    except OSError as exc:
        try:
            if storage.exists(name):
                storage.delete(name)  # what was written before the disk filled up
        except OSError:
            logger.warning("partial upload could not be removed file_id=%s", file_id)
        logger.error("upload not stored file_id=%s errno=%s", file_id, exc.errno)
        if exc.errno in STORAGE_FULL_ERRNOS:
            raise UploadRejected(
                _(
                    "保存する場所がいっぱいのため、ファイルを保存できませんでした。時間をおいてもう一度お試しください。"
                ),
                "storage_full",
            ) from exc
        raise UploadRejected(
            _("ファイルを保存できませんでした。時間をおいてもう一度お試しください。"), "storage_error"
        ) from exc


def file_store_generated(
    *,
    content: bytes,
    display_name: str,
    content_type: str,
    department=None,
    owner=None,
    retain_until: datetime,
) -> StoredFile:
    """Store a file the system made itself (a signed PDF): not rewritten, since that would break its seal."""
    import hashlib

    file_id = uuid.uuid4()
    extension = display_name[display_name.rfind(".") :] if "." in display_name else ""
    stored_name = file_storage().save(
        f"files/{file_id.hex[:2]}/{file_id.hex}{extension}", ContentFile(content)
    )
    try:
        with transaction.atomic():
            stored = StoredFile.objects.create(
                id=file_id, storage_name=stored_name, display_name=display_name[:120], content_type=content_type,
                size=len(content), sha256=hashlib.sha256(content).hexdigest(), status=StoredFile.Status.CLEAN,
                department=department, uploaded_by=owner, retain_until=retain_until,
            )  # fmt: skip
            audit_record(action=AuditEvent.Action.CREATE, object_type="privacy.storedfile", object_id=file_id,
                         department_code=getattr(department, "code", ""), fields=["content"], purpose="文書の発行",
                         use_request_actor=False)  # fmt: skip
    except Exception:
        file_storage().delete(stored_name)
        raise
    return stored


def stored_file_scan(*, file_id: str) -> StoredFile.Status | None:
    """Scan a quarantined file. If the scanner is down the file stays quarantined (and ``None`` is returned)."""
    stored = StoredFile.objects.filter(pk=file_id).first()
    if stored is None or stored.status != StoredFile.Status.QUARANTINED:
        return stored.status if stored else None
    with file_storage().open(stored.storage_name, "rb") as handle:
        content = handle.read()
    try:
        result = scan_bytes(content)
    except ScannerUnavailable as exc:
        logger.warning("virus scanner unavailable; file stays quarantined file_id=%s error=%s", file_id, exc)
        return None
    with transaction.atomic():
        stored.status = StoredFile.Status.CLEAN if result.clean else StoredFile.Status.INFECTED
        stored.scan_detail = result.detail
        stored.save(update_fields=["status", "scan_detail"])
    if not result.clean:
        file_storage().delete(stored.storage_name)
        logger.warning("virus found; content deleted file_id=%s", file_id)
    return stored.status


def stored_file_open(*, stored: StoredFile, user, purpose: str = "") -> bytes:
    """The content of a clean file, with an audit row for the read."""
    content = file_storage().open(stored.storage_name, "rb").read()
    audit_record(
        action=AuditEvent.Action.READ, object_type="privacy.storedfile", object_id=stored.pk,
        department_code=getattr(stored.department, "code", ""), fields=["content"], purpose=purpose, actor=user,
    )  # fmt: skip
    return content


# --- My Number ------------------------------------------------------------------


class RevealRefused(Exception):
    pass


def my_number_reveal(*, user, holder: MyNumberHolder, obj, reason: str, key: str = "") -> str:
    """The full My Number (under ``key`` for a record with several), after the policy check;
    exactly one audit row either way."""
    department = holder.department_of(obj)
    common = {
        "object_type": holder.label, "object_id": obj.pk, "department_code": getattr(department, "code", ""),
        "fields": [holder.audit_field(key)], "purpose": reason, "actor": user,
    }  # fmt: skip
    number = holder.value(obj, key)
    if number is None or not may_reveal(user, holder, obj):
        audit_record(action=AuditEvent.Action.REVEAL, result=AuditEvent.Result.DENIED, **common)
        raise RevealRefused
    audit_record(action=AuditEvent.Action.REVEAL, **common)
    return number


# --- retention ----------------------------------------------------------------------


@dataclass
class PurgeReport:
    run_id: uuid.UUID
    erased: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.erased.values())


def retention_purge(*, now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Erase every record past its retention, one erasure record per item.

    Each item is erased in its own transaction with its erasure record, so a
    failure leaves that item (and its record) untouched and the run goes on.
    """
    now = now or timezone.now()
    report = PurgeReport(run_id=uuid.uuid4())
    for entry in registry.files():
        retention = entry.retention
        if retention.expired is None:
            continue
        kind = entry.name
        for obj in retention.expired(now).iterator(chunk_size=500):
            if dry_run:
                report.erased[kind] = report.erased.get(kind, 0) + 1
                continue
            try:
                _erase_one(entry, obj, now, report.run_id)
            except Exception:
                logger.exception("erasure failed kind=%s object_id=%s", entry.label, obj.pk)
                report.failed[kind] = report.failed.get(kind, 0) + 1
            else:
                report.erased[kind] = report.erased.get(kind, 0) + 1
    if report.total and not dry_run:
        audit_record(
            action=AuditEvent.Action.ERASE, object_type="privacy.erasurerecord", object_id=report.run_id,
            detail=f"{report.total} erased", use_request_actor=False,
        )  # fmt: skip
    logger.info(
        "retention purge run_id=%s erased=%d failed=%d",
        report.run_id,
        report.total,
        sum(report.failed.values()),
    )
    return report


def _erase_one(entry: registry.PersonalDataFile, obj, now: datetime, run_id: uuid.UUID) -> None:
    retention = entry.retention
    object_id = str(obj.pk)
    with transaction.atomic():
        expired_at = retention.expiry_of(obj) if retention.expiry_of else None
        if retention.anonymise is not None:
            retention.anonymise(obj)
            method = ErasureRecord.Method.ANONYMISED
        else:
            if retention.before_delete is not None:
                transaction.on_commit(lambda o=obj: retention.before_delete(o))
            obj.delete()
            method = ErasureRecord.Method.DELETED
        ErasureRecord.objects.create(
            erased_at=now, kind=entry.name, object_type=entry.label, object_id=object_id, method=method,
            retention=retention.period[:100], expired_at=expired_at, run_id=run_id,
        )  # fmt: skip


# --- keys ------------------------------------------------------------------------------


@dataclass
class RotateReport:
    rows: dict[str, int] = field(default_factory=dict)


def keys_rotate(*, batch_size: int = 500) -> RotateReport:
    """Re-encrypt every encrypted column under the active key and recompute blind indexes."""
    from django.apps import apps

    report = RotateReport()
    ring = keyring()
    for model in apps.get_models():
        fields = encrypted_fields(model)
        if not fields:
            continue
        names = [f.name for f in fields]
        index_names = [f.index_field for f in fields if f.index_field]
        changed = 0
        for obj in model._default_manager.all().iterator(chunk_size=batch_size):
            # Saving re-encrypts under the active key; each field's pre_save refreshes its index.
            obj.save(update_fields=names + index_names)
            changed += 1
        report.rows[model._meta.label_lower] = changed
        logger.info("keys rotated model=%s rows=%d active_field_key=%s", model._meta.label_lower, changed,
                    ring.field_active)  # fmt: skip
    audit_record(
        action=AuditEvent.Action.CHANGE, object_type="privacy.keys", detail=f"rotated to {ring.field_active}",
        use_request_actor=False,
    )  # fmt: skip
    return report
