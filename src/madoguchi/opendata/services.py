"""Writes for open data: datasets, changes and their approval, uploads through intake, downloads.

Who may do what (checked here, whatever the caller; views also scope with selectors):

* editors of a department (担当者, 決裁者, 課管理者 there) create datasets, open changes, edit
  metadata, upload, apply fixes and submit;
* 決裁者 of the department approve or return a change; not the one who submitted it (4-eyes),
  unless no other active 決裁者 holds the role there — then it is recorded as ``self_approved``;
* 決裁者 and 課管理者 of the department choose the light path for a standard-conformant dataset:
  a change that only brings new data (no metadata change), checked without errors, is published
  when it is submitted, and the 決裁者 are told afterwards.

Every public change moves ``metadata_modified``, writes a ``DatasetActivity`` with the snapshot the
public sees, and an audit row.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from dataclasses import dataclass
from datetime import date

import jaconv
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone

from madoguchi.accounts.models import StaffRole, User
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from . import intake
from .freshness import next_due_after
from .models import (
    LICENCES,
    Dataset,
    DatasetActivity,
    DatasetChange,
    Resource,
    ResourceVersion,
    Tag,
)
from .standards import standard_get

logger = logging.getLogger(__name__)

EDITOR_ROLES = (StaffRole.Role.HANDLER, StaffRole.Role.APPROVER, StaffRole.Role.DEPT_ADMIN)
METADATA_FIELDS = (
    "title",
    "notes",
    "theme",
    "license_id",
    "frequency",
    "spatial",
    "temporal_start",
    "temporal_end",
    "contact_name",
    "contact_email",
    "conforms_to",
    "tags",
)
MEDIA_TYPES = {
    "CSV": "text/csv; charset=utf-8; header=present",
    "JSON": "application/json",
    "GeoJSON": "application/geo+json",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "PDF": "application/pdf",
    "ZIP": "application/zip",
    "XML": "application/xml",
}


def max_upload_bytes() -> int:
    return int(getattr(settings, "MADOGUCHI_OPENDATA_MAX_BYTES", 20 * 1024 * 1024))


def search_normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    return f"{jaconv.kata2hira(text)} {jaconv.hira2kata(text)}"


# --- permissions --------------------------------------------------------------------------------


def can_edit(user, department_id: int) -> bool:
    return any(user.has_role(r, department_id) for r in EDITOR_ROLES)


def can_approve(user, department_id: int) -> bool:
    return user.has_role(StaffRole.Role.APPROVER, department_id)


def can_choose_light_path(user, department_id: int) -> bool:
    return can_approve(user, department_id) or user.has_role(StaffRole.Role.DEPT_ADMIN, department_id)


def _check_edit(user, dataset: Dataset) -> None:
    if not can_edit(user, dataset.department_id):
        raise PermissionDenied


def approvers_of(department_id: int):
    return User.objects.filter(
        is_active=True,
        kind=User.Kind.STAFF,
        staff_roles__department_id=department_id,
        staff_roles__role=StaffRole.Role.APPROVER,
    ).distinct()


# --- metadata -----------------------------------------------------------------------------------


def _metadata_of(dataset: Dataset) -> dict:
    return {
        "title": dataset.title,
        "notes": dataset.notes,
        "theme": dataset.theme,
        "license_id": dataset.license_id,
        "frequency": dataset.frequency,
        "spatial": dataset.spatial,
        "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else "",
        "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else "",
        "contact_name": dataset.contact_name,
        "contact_email": dataset.contact_email,
        "conforms_to": dataset.conforms_to,
        "tags": sorted(dataset.tag_list) if dataset.pk else [],
    }


def _clean_metadata(data: dict) -> dict:
    """Validated metadata with dates as ISO strings (JSON), tags as a sorted list."""
    errors: dict[str, str] = {}
    result = {}
    for key in METADATA_FIELDS:
        value = data.get(key, "")
        if isinstance(value, date):
            value = value.isoformat()
        if key == "tags":
            if isinstance(value, str):
                value = [
                    t
                    for t in (
                        unicodedata.normalize("NFKC", v).strip() for v in value.replace("、", ",").split(",")
                    )
                    if t
                ]
            value = sorted({t[:100] for t in value})
        elif value is None:
            value = ""
        result[key] = value
    if not str(result["title"]).strip():
        errors["title"] = "タイトルを入力してください。"
    if result["license_id"] not in LICENCES:
        errors["license_id"] = "利用条件を選んでください。"
    if result["frequency"] not in Dataset.Frequency.values:
        errors["frequency"] = "更新頻度を選んでください。"
    if result["theme"] not in Dataset.Theme.values:
        errors["theme"] = "分野を選んでください。"
    if result["conforms_to"] and standard_get(result["conforms_to"]) is None:
        errors["conforms_to"] = "標準データセットを一覧から選んでください。"
    if (
        result["temporal_start"]
        and result["temporal_end"]
        and result["temporal_start"] > result["temporal_end"]
    ):
        errors["temporal_end"] = "対象期間の終わりは始まりより後の日付にしてください。"
    if errors:
        raise ValidationError(errors)
    return result


def _apply_metadata(dataset: Dataset, metadata: dict) -> None:
    for key in METADATA_FIELDS:
        if key == "tags":
            continue
        value = metadata.get(key, "")
        if key in ("temporal_start", "temporal_end"):
            value = date.fromisoformat(value) if value else None
        setattr(dataset, key, value)
    dataset.search_text = search_normalise(
        " ".join([dataset.title, dataset.notes, dataset.name, *metadata.get("tags", [])])
    )
    dataset.save()
    dataset.tags.set([Tag.objects.get_or_create(name=name)[0] for name in metadata.get("tags", [])])


# --- datasets and changes -----------------------------------------------------------------------


@transaction.atomic
def dataset_create(*, by, department, name: str, metadata: dict) -> Dataset:
    """A new dataset (a draft, private) with its first change open for editing."""
    if not can_edit(by, department.pk):
        raise PermissionDenied
    if Dataset.objects.filter(name=name).exists():
        raise ValidationError({"name": "このデータセットIDはすでに使われています。"})
    metadata = _clean_metadata(metadata)
    dataset = Dataset(name=name, department=department, created_by=by, title=metadata["title"])
    dataset.full_clean(exclude=["search_text"])
    _apply_metadata(dataset, metadata)
    DatasetChange.objects.create(
        dataset=dataset, kind=DatasetChange.Kind.NEW, metadata=metadata, created_by=by
    )
    logger.info("opendata dataset created dataset=%s by_user_id=%s", dataset.name, by.pk)
    return dataset


def open_change(dataset: Dataset) -> DatasetChange | None:
    return dataset.changes.filter(status__in=DatasetChange.OPEN).first()


@transaction.atomic
def change_open(*, by, dataset: Dataset) -> DatasetChange:
    """The change being edited for the dataset: the open one, or a new update of what is public."""
    _check_edit(by, dataset)
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    change = open_change(dataset)
    if change is not None:
        return change
    kind = DatasetChange.Kind.UPDATE if dataset.published_at else DatasetChange.Kind.NEW
    return DatasetChange.objects.create(
        dataset=dataset, kind=kind, metadata=_metadata_of(dataset), created_by=by
    )


def working_metadata(dataset: Dataset) -> dict:
    change = open_change(dataset)
    return dict(change.metadata) if change is not None and change.metadata else _metadata_of(dataset)


@transaction.atomic
def change_update_metadata(*, by, dataset: Dataset, data: dict) -> DatasetChange:
    change = change_open(by=by, dataset=dataset)
    if not change.is_editable:
        raise ValidationError(
            "承認待ちの間は編集できません。差し戻されるか、取り消してから編集してください。"
        )
    change.metadata = _clean_metadata(data)
    change.save(update_fields=["metadata"])
    if not dataset.published_at:  # nothing public yet: the draft itself shows the working copy
        _apply_metadata(dataset, change.metadata)
    return change


# --- uploads ------------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _next_number(resource: Resource) -> int:
    return (resource.versions.aggregate(n=Max("number"))["n"] or 0) + 1


def _new_resource(
    dataset: Dataset, name: str, description: str = "", derived_from: Resource | None = None, fmt: str = ""
) -> Resource:
    position = (dataset.resources.aggregate(n=Max("position"))["n"] or 0) + 1
    return Resource.objects.create(
        dataset=dataset,
        name=name[:200],
        description=description,
        format=fmt,
        derived_from=derived_from,
        position=position,
    )


@transaction.atomic
def resource_upload(
    *,
    by,
    dataset: Dataset,
    data: bytes,
    filename: str,
    name: str,
    description: str = "",
    resource: Resource | None = None,
) -> list[ResourceVersion]:
    """Store an upload (kept for good) and check it. A workbook gives one version per sheet
    (one table per sheet): the first for ``resource`` (or a new one), the others for new resources."""
    change = change_open(by=by, dataset=dataset)
    if not change.is_editable:
        raise ValidationError("承認待ちの間はアップロードできません。")
    if len(data) > max_upload_bytes():
        raise ValidationError(f"ファイルが大きすぎます（{max_upload_bytes() // (1024 * 1024)}MB まで）。")
    if not data:
        raise ValidationError("空のファイルです。")
    if resource is not None and (resource.dataset_id != dataset.pk or resource.derived_from_id):
        raise PermissionDenied
    versions = stage_upload(
        change=change,
        dataset=dataset,
        data=data,
        filename=filename,
        name=name,
        description=description,
        resource=resource,
        by=by,
    )
    logger.info("opendata upload dataset=%s versions=%d by_user_id=%s", dataset.name, len(versions), by.pk)
    return versions


def stage_upload(
    *,
    change: DatasetChange,
    dataset: Dataset,
    data: bytes,
    filename: str,
    name: str,
    description: str = "",
    resource: Resource | None = None,
    by=None,
) -> list[ResourceVersion]:
    """Store and check an upload for a change (no permission check: callers check, or are trusted loaders)."""
    try:
        upload = intake.read_upload(data, filename)
    except intake.IntakeError as exc:
        raise ValidationError(str(exc)) from exc
    standard = standard_get(change.metadata.get("conforms_to", "") or dataset.conforms_to)
    safe_name = _safe_filename(filename)
    versions = []
    sheets = upload.sheets or [None]
    for index, sheet in enumerate(sheets):
        target = resource if index == 0 else None
        label = name if index == 0 or sheet is None else f"{name}（{sheet.name}）"
        if target is None:
            target = _new_resource(dataset, label, description)
        version = ResourceVersion(
            resource=target,
            number=_next_number(target),
            change=change,
            name=label[:200],
            description=description,
            original_filename=safe_name,
            original_encoding=upload.encoding,
            original_size=len(data),
            original_sha256=_sha256(data),
            sheet_name=sheet.name if sheet else "",
            created_by=by,
            format="CSV" if upload.kind == "table" else upload.format,
        )
        version.original_file.save(
            f"original-{version.number}-{_sha256(data)[:12]}.{upload.extension}",
            ContentFile(data),
            save=False,
        )
        if sheet is None:
            version.fix_report = {"kind": "file", "warnings": upload.warnings}
        else:
            analysis = intake.analyse(sheet, standard=standard)
            version.fix_report = {
                "kind": "table",
                **analysis.report(),
                "standard": standard.id if standard else "",
            }
        version.save()
        versions.append(version)
    return versions


def _safe_filename(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    return name[:200] or "upload"


def version_sheet(version: ResourceVersion) -> intake.Sheet | None:
    """The table of an upload, read again from the original bytes."""
    if version.fix_report.get("kind") != "table":
        return None
    with version.original_file.open("rb") as fh:
        data = fh.read()
    upload = intake.read_upload(data, version.original_file.name)
    for sheet in upload.sheets:
        if sheet.name == version.sheet_name:
            return sheet
    return upload.sheets[0]


def version_analyse(version: ResourceVersion, selected: set[str] | None = None) -> intake.Analysis | None:
    sheet = version_sheet(version)
    if sheet is None:
        return None
    change = version.change
    conforms = (change.metadata.get("conforms_to") if change else "") or version.resource.dataset.conforms_to
    return intake.analyse(sheet, standard=standard_get(conforms), selected=selected)


@dataclass
class ApplyResult:
    version: ResourceVersion
    derived: list[ResourceVersion]


@transaction.atomic
def version_apply_fixes(
    *, by, version: ResourceVersion, selected: set[str], personal_data_confirmed: bool = False
) -> ApplyResult:
    """Write the file to publish with the chosen fixes (and JSON/GeoJSON beside a CSV): ready for approval.

    Refused while errors remain, or while columns that look like personal data are not confirmed.
    """
    version = (
        ResourceVersion.objects.select_for_update(of=("self",))
        .select_related("resource__dataset", "change")
        .get(pk=version.pk)
    )
    _check_edit(by, version.resource.dataset)
    if version.status != ResourceVersion.Status.INTAKE or not (version.change and version.change.is_editable):
        raise ValidationError("この版はもう確定しています。")
    return finalise_version(
        version=version, selected=selected, personal_data_confirmed=personal_data_confirmed, by=by
    )


def finalise_version(
    *, version: ResourceVersion, selected: set[str] | None, personal_data_confirmed: bool = False, by=None
) -> ApplyResult:
    """Write the files of an intake version (no permission check: callers check, or are trusted loaders)."""
    dataset = version.resource.dataset
    derived: list[ResourceVersion] = []
    if version.fix_report.get("kind") != "table":
        with version.original_file.open("rb") as fh:
            data = fh.read()
        _set_file(version, data, version.original_filename, version.format)
        version.status = ResourceVersion.Status.READY
        version.save()
        return ApplyResult(version, derived)
    analysis = version_analyse(version, selected)
    if analysis.errors:
        raise ValidationError(
            [f"{i.where} {i.message}".strip() for i in analysis.errors[:20]]
            + ([f"ほか{len(analysis.errors) - 20}件"] if len(analysis.errors) > 20 else [])
        )
    if analysis.personal and not personal_data_confirmed:
        raise ValidationError(
            "個人情報のおそれがある列があります。確かめたうえで、確認の欄にチェックを入れてください。"
        )
    out = intake.outputs(analysis)
    stem = _stem(version)
    version.encoding = intake.PUBLISHED_ENCODING
    _set_file(version, out.csv, f"{stem}.csv", "CSV")
    version.table_schema = out.schema
    version.row_count = len(analysis.rows)
    version.fix_report = {
        **version.fix_report,
        **analysis.report(),
        "applied": sorted(f.id for f in analysis.fixes if f.selected),
    }
    version.status = ResourceVersion.Status.READY
    if analysis.personal:
        version.personal_data_acknowledged_at = timezone.now()
        audit_record(
            action=AuditEvent.Action.CHANGE,
            object_type="opendata.resourceversion",
            object_id=version.pk,
            department_code=dataset.department.code,
            fields=[i.column for i in analysis.personal],
            purpose="個人情報のおそれがある列を確認して公開用に確定",
            actor=by,
        )
    version.save()
    for fmt, data in (("JSON", out.json), ("GeoJSON", out.geojson)):
        if data is None:
            continue
        target = version.resource.derived.filter(format=fmt).first() or _new_resource(
            dataset, f"{version.name}（{fmt}）", version.description, derived_from=version.resource, fmt=fmt
        )
        child = ResourceVersion(
            resource=target,
            number=_next_number(target),
            change=version.change,
            name=target.name,
            description=version.description,
            derived_from=version,
            status=ResourceVersion.Status.READY,
            created_by=by,
            row_count=len(analysis.rows),
            encoding="UTF-8",
            fix_report={"kind": "derived"},
        )
        _set_file(child, data, f"{stem}.{fmt.lower()}", fmt)
        child.save()
        derived.append(child)
    logger.info(
        "opendata fixes applied dataset=%s version=%s fixes=%s by_user_id=%s",
        dataset.name,
        version.pk,
        ",".join(version.fix_report["applied"]),
        getattr(by, "pk", None),
    )
    return ApplyResult(version, derived)


def _stem(version: ResourceVersion) -> str:
    return f"{version.resource.dataset.name}-{str(version.resource_id)[:8]}-v{version.number}"


def _set_file(version: ResourceVersion, data: bytes, filename: str, fmt: str) -> None:
    version.format = fmt
    version.media_type = MEDIA_TYPES.get(fmt, "application/octet-stream")
    version.size = len(data)
    version.sha256 = _sha256(data)
    version.file.save(_safe_filename(filename), ContentFile(data), save=False)


@transaction.atomic
def version_discard(*, by, version: ResourceVersion) -> None:
    version = (
        ResourceVersion.objects.select_for_update(of=("self",))
        .select_related("resource__dataset", "change")
        .get(pk=version.pk)
    )
    _check_edit(by, version.resource.dataset)
    if version.status not in (ResourceVersion.Status.INTAKE, ResourceVersion.Status.READY):
        raise ValidationError("公開済みの版は破棄できません。")
    if not (version.change and version.change.is_editable):
        raise ValidationError("承認待ちの間は変更できません。")
    for v in [version, *version.derived.all()]:
        v.status = ResourceVersion.Status.DISCARDED
        v.save(update_fields=["status"])


@transaction.atomic
def link_add(
    *, by, dataset: Dataset, name: str, url: str, fmt: str, description: str = ""
) -> ResourceVersion:
    change = change_open(by=by, dataset=dataset)
    if not change.is_editable:
        raise ValidationError("承認待ちの間は変更できません。")
    resource = _new_resource(dataset, name, description)
    return ResourceVersion.objects.create(
        resource=resource,
        number=1,
        change=change,
        name=name[:200],
        description=description,
        url=url,
        format=(fmt or "HTML")[:20],
        status=ResourceVersion.Status.READY,
        created_by=by,
    )


# --- submit, approve, return --------------------------------------------------------------------


def _metadata_changed(change: DatasetChange) -> bool:
    return change.metadata != _metadata_of(change.dataset)


@transaction.atomic
def change_submit(*, by, dataset: Dataset, note: str = "") -> DatasetChange:
    """Ask for approval, or publish at once on the light path."""
    _check_edit(by, dataset)
    change = open_change(dataset)
    if change is None or not change.is_editable:
        raise ValidationError("提出できる変更がありません。")
    change = DatasetChange.objects.select_for_update().get(pk=change.pk)
    versions = change.versions.all()
    if versions.filter(status=ResourceVersion.Status.INTAKE).exists():
        raise ValidationError("確認中のファイルがあります。修正を確定するか、破棄してから提出してください。")
    ready = versions.filter(status=ResourceVersion.Status.READY)
    if change.kind == DatasetChange.Kind.NEW and not ready.exists():
        raise ValidationError("公開するファイルかリンクを1つ以上登録してください。")
    if change.kind == DatasetChange.Kind.UPDATE and not ready.exists() and not _metadata_changed(change):
        raise ValidationError("変更がありません。")
    change.status = DatasetChange.Status.PENDING
    change.submitted_by = by
    change.submitted_at = timezone.now()
    change.note = note[:2000]
    change.save()
    if not dataset.published_at:
        Dataset.objects.filter(pk=dataset.pk).update(state=Dataset.State.PENDING)
    if light_path_applies(change):
        change.via_light_path = True
        apply_change(change, by=by)
        _notify(dataset, "light_path_published")
        logger.info("opendata light path dataset=%s change=%s by_user_id=%s", dataset.name, change.pk, by.pk)
    else:
        _notify(dataset, "approval_requested")
    return change


def light_path_applies(change: DatasetChange) -> bool:
    """Routine data update of a published, standard-conformant dataset whose department chose the light path."""
    dataset = change.dataset
    if not (dataset.light_path and dataset.conforms_to and dataset.state == Dataset.State.PUBLISHED):
        return False
    if change.kind != DatasetChange.Kind.UPDATE or _metadata_changed(change):
        return False
    versions = list(change.versions.exclude(status=ResourceVersion.Status.DISCARDED))
    if not versions or any(v.url for v in versions):
        return False
    public_resources = {r.pk for r in dataset.resources.filter(current_version__isnull=False)}
    for v in versions:
        if v.resource_id not in public_resources:
            return False  # a new resource is not routine
        if v.fix_report.get("kind") == "table":
            report = v.fix_report
            if report.get("standard") != dataset.conforms_to or report.get("layout") == "":
                return False
            if any(i["severity"] == "error" or i["rule"] == "personal" for i in report.get("issues", [])):
                return False
    return True


@transaction.atomic
def change_approve(*, by, dataset: Dataset, comment: str = "") -> DatasetChange:
    change = open_change(dataset)
    if change is None or change.status != DatasetChange.Status.PENDING:
        raise ValidationError("承認待ちの変更がありません。")
    if not can_approve(by, dataset.department_id):
        raise PermissionDenied
    change = DatasetChange.objects.select_for_update().get(pk=change.pk)
    if change.submitted_by_id == by.pk:
        others = approvers_of(dataset.department_id).exclude(pk=by.pk)
        if others.exists():
            raise ValidationError(
                "自分が提出した変更は承認できません。同じ課の別の決裁者が承認してください。"
            )
        change.self_approved = True
    change.comment = comment[:2000]
    apply_change(change, by=by)
    return change


@transaction.atomic
def change_return(*, by, dataset: Dataset, comment: str) -> DatasetChange:
    change = open_change(dataset)
    if change is None or change.status != DatasetChange.Status.PENDING:
        raise ValidationError("承認待ちの変更がありません。")
    if not can_approve(by, dataset.department_id):
        raise PermissionDenied
    if not comment.strip():
        raise ValidationError({"comment": "差し戻す理由を入力してください。"})
    change.status = DatasetChange.Status.RETURNED
    change.comment = comment[:2000]
    change.decided_by = by
    change.decided_at = timezone.now()
    change.save()
    if not dataset.published_at:
        Dataset.objects.filter(pk=dataset.pk).update(state=Dataset.State.DRAFT)
    audit_record(
        action=AuditEvent.Action.CHANGE,
        object_type="opendata.dataset",
        object_id=dataset.pk,
        department_code=dataset.department.code,
        detail=f"returned change {change.pk}",
        actor=by,
    )
    return change


@transaction.atomic
def change_cancel(*, by, dataset: Dataset) -> None:
    """Drop the open change (and what was uploaded for it; the files are kept as discarded versions)."""
    _check_edit(by, dataset)
    change = open_change(dataset)
    if change is None:
        raise ValidationError("取り消す変更がありません。")
    change.status = DatasetChange.Status.CANCELLED
    change.save(update_fields=["status"])
    change.versions.filter(status__in=[ResourceVersion.Status.INTAKE, ResourceVersion.Status.READY]).update(
        status=ResourceVersion.Status.DISCARDED
    )
    if not dataset.published_at:
        Dataset.objects.filter(pk=dataset.pk).update(state=Dataset.State.DRAFT)


@transaction.atomic
def withdraw_request(*, by, dataset: Dataset, note: str) -> DatasetChange:
    """Ask to stop publishing a dataset (approved like any change)."""
    _check_edit(by, dataset)
    if dataset.state != Dataset.State.PUBLISHED:
        raise ValidationError("公開中のデータセットではありません。")
    if open_change(dataset) is not None:
        raise ValidationError("編集中の変更があります。先に提出するか取り消してください。")
    if not note.strip():
        raise ValidationError({"note": "公開を止める理由を入力してください。"})
    change = DatasetChange.objects.create(
        dataset=dataset,
        kind=DatasetChange.Kind.WITHDRAW,
        metadata=_metadata_of(dataset),
        created_by=by,
        status=DatasetChange.Status.PENDING,
        submitted_by=by,
        submitted_at=timezone.now(),
        note=note[:2000],
    )
    _notify(dataset, "approval_requested")
    return change


def apply_change(change: DatasetChange, *, by) -> None:
    """Make a change public (callers check who may; the demo loader is trusted)."""
    dataset = Dataset.objects.select_for_update().get(pk=change.dataset_id)
    now = timezone.now()
    first = dataset.published_at is None
    if change.kind == DatasetChange.Kind.WITHDRAW:
        dataset.state = Dataset.State.WITHDRAWN
        dataset.metadata_modified = now
        dataset.save()
        kind = DatasetActivity.Kind.DELETED
    else:
        _apply_metadata(dataset, change.metadata)
        data_changed = False
        for version in change.versions.filter(status=ResourceVersion.Status.READY).select_related("resource"):
            version.status = ResourceVersion.Status.PUBLISHED
            version.published_at = now
            version.save(update_fields=["status", "published_at"])
            resource = version.resource
            resource.current_version = version
            resource.name, resource.description = version.name, version.description
            resource.format, resource.url = version.format, version.url
            resource.last_modified = now
            resource.removed_at = None
            resource.save()
            data_changed = True
        dataset.state = Dataset.State.PUBLISHED
        dataset.metadata_modified = now
        if first:
            dataset.published_at = now
        if data_changed or first:
            dataset.last_updated = now
            dataset.next_due = next_due_after(timezone.localdate(now), dataset.frequency)
        dataset.save()
        kind = DatasetActivity.Kind.NEW if first else DatasetActivity.Kind.CHANGED
    change.status = DatasetChange.Status.APPROVED
    change.decided_by = by
    change.decided_at = now
    change.save()
    DatasetActivity.objects.create(
        dataset=dataset, kind=kind, at=now, actor=by, change=change, snapshot=dataset_snapshot(dataset)
    )
    audit_record(
        action=AuditEvent.Action.CHANGE,
        object_type="opendata.dataset",
        object_id=dataset.pk,
        department_code=dataset.department.code,
        actor=by,
        detail=f"{'light path ' if change.via_light_path else ''}{'self-approved ' if change.self_approved else ''}"
        f"{change.kind} change {change.pk} published",
    )
    logger.info(
        "opendata change applied dataset=%s change=%s kind=%s by_user_id=%s",
        dataset.name,
        change.pk,
        change.kind,
        getattr(by, "pk", None),
    )


@transaction.atomic
def dataset_set_light_path(*, by, dataset: Dataset, enabled: bool) -> None:
    if not can_choose_light_path(by, dataset.department_id):
        raise PermissionDenied
    if enabled and not (dataset.conforms_to and dataset.state == Dataset.State.PUBLISHED):
        raise ValidationError("簡易手続は、承認済みで標準データセットに準拠したデータセットだけに使えます。")
    Dataset.objects.filter(pk=dataset.pk).update(light_path=enabled)
    audit_record(
        action=AuditEvent.Action.CHANGE,
        object_type="opendata.dataset",
        object_id=dataset.pk,
        department_code=dataset.department.code,
        detail=f"light path {'on' if enabled else 'off'}",
        actor=by,
    )


# --- the public side ----------------------------------------------------------------------------


def resource_url(resource: Resource) -> str:
    """The address a harvester downloads a resource from (a link resource's own URL)."""
    if resource.url and not (resource.current_version and resource.current_version.file):
        return resource.url
    path = reverse("opendata:download", kwargs={"name": resource.dataset.name, "resource_id": resource.pk})
    return settings.MADOGUCHI_SITE_URL.rstrip("/") + path


def dataset_snapshot(dataset: Dataset) -> dict:
    """What the public sees of a dataset, as CKAN's package_show has it (kept in DatasetActivity)."""
    licence = dataset.licence
    resources = []
    for r in dataset.resources.filter(current_version__isnull=False, removed_at__isnull=True).select_related(
        "current_version"
    ):
        v = r.current_version
        resources.append(
            {
                "id": str(r.pk),
                "package_id": str(dataset.pk),
                "name": r.name,
                "description": r.description,
                "format": r.format,
                "url": resource_url(r),
                "position": r.position,
                "created": r.created.isoformat(),
                "last_modified": r.last_modified.isoformat() if r.last_modified else None,
                "size": v.size,
                "hash": v.hash,
                "mimetype": v.media_type,
                "encoding": v.encoding,
            }
        )
    return {
        "id": str(dataset.pk),
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.notes,
        "state": "active" if dataset.state == Dataset.State.PUBLISHED else "deleted",
        "organization": {"name": dataset.department.code, "title": dataset.department.name},
        "license_id": dataset.license_id,
        "license_title": licence.title,
        "license_url": licence.url,
        "tags": [{"name": t} for t in dataset.tag_list],
        "theme": dataset.theme,
        "maintainer": dataset.contact_name,
        "maintainer_email": dataset.contact_email,
        "metadata_created": dataset.metadata_created.isoformat(),
        "metadata_modified": dataset.metadata_modified.isoformat(),
        "extras": {
            "frequency": dataset.frequency,
            "spatial": dataset.spatial,
            "conforms_to": dataset.conforms_to,
            "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else "",
            "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else "",
            "last_updated": dataset.last_updated.isoformat() if dataset.last_updated else "",
            "next_due": dataset.next_due.isoformat() if dataset.next_due else "",
        },
        "resources": resources,
    }


def download_count(*, resource: Resource) -> None:
    """Count one download of a public resource (and of its dataset)."""
    Resource.objects.filter(pk=resource.pk).update(download_count=F("download_count") + 1)
    Dataset.objects.filter(pk=resource.dataset_id).update(download_count=F("download_count") + 1)


# --- e-mail to staff ----------------------------------------------------------------------------


def _notify(dataset: Dataset, kind: str) -> None:
    from .tasks import send_opendata_email

    dataset_id = str(dataset.pk)
    transaction.on_commit(lambda: send_opendata_email.enqueue(dataset_id=dataset_id, kind=kind))


def freshness_reminders_run(*, today: date) -> dict[str, int]:
    """Send the reminders due today (each kind once per dataset and due date). Idempotent."""
    from .freshness import reminder_due
    from .models import FreshnessReminder
    from .tasks import send_opendata_email

    sent = {"before": 0, "overdue": 0, "escalated": 0}
    datasets = Dataset.objects.filter(state=Dataset.State.PUBLISHED, next_due__isnull=False).select_related(
        "department"
    )
    for dataset in datasets:
        for kind in reminder_due(dataset.frequency, dataset.next_due, today):
            with transaction.atomic():
                _reminder, created = FreshnessReminder.objects.get_or_create(
                    dataset=dataset, kind=kind, due_on=dataset.next_due
                )
                if not created:
                    continue
                dataset_id = str(dataset.pk)
                transaction.on_commit(
                    lambda d=dataset_id, k=kind: send_opendata_email.enqueue(dataset_id=d, kind=k)
                )
            sent[kind] += 1
    logger.info(
        "opendata reminders before=%d overdue=%d escalated=%d",
        sent["before"],
        sent["overdue"],
        sent["escalated"],
    )
    return sent
