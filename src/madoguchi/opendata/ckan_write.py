"""The CKAN Action API's writes: ``package_create``, ``package_patch``, ``resource_create`` (a link or a
file upload) and ``resource_patch`` (a new file for a resource), with a department's write token.

A token may write only its own department's datasets. It acts through the same services as a
member of staff (``services.py``), on behalf of the 課管理者 who made it (``created_by``, who answers
for it; a token whose maker no longer holds an editing role in the department stops writing).
Every write ends in ``change_submit``: the change waits for a 決裁者 of the department, exactly as a
担当者's does, unless the dataset is on the light path (a routine new file for a standard dataset),
where it is published at once. Files go through intake with the fixes it offers by default;
errors, or columns that look like personal data, refuse the upload with a Validation Error
listing them (a person must look at those, on the staff pages). A new dataset without resources
stays a draft until its first ``resource_create``; a second write while the API's own change waits
for approval takes that change back to editing and submits it again with the addition.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from . import services
from .api_tokens import token_label
from .ckan import (
    Caller,
    NotAuthorized,
    ValidationFailed,
    _find_dataset,
    _find_resource,
    _id_param,
    _str,
    package_dict,
    public_resources,
    resource_dict,
)
from .models import Dataset, DatasetChange, Resource, ResourceVersion

logger = logging.getLogger(__name__)

API_NOTE_PREFIX = "API（"
# CKAN field -> our metadata key, for mapping back Validation Errors.
FIELD_NAMES = {"contact_name": "maintainer", "contact_email": "maintainer_email", "theme": "groups"}


def _token(caller: Caller):
    token = caller.token
    if token is None:
        raise NotAuthorized("this action needs an API token (Authorization: <token>)")
    maker = token.created_by
    if maker is None or not maker.is_active:
        raise NotAuthorized("the member of staff who made this token can no longer act for it")
    return token, maker


def _note(token) -> str:
    return f"{API_NOTE_PREFIX}{token.name}）"


def _errors(exc: ValidationError) -> ValidationFailed:
    if hasattr(exc, "error_dict"):
        return ValidationFailed(
            {
                FIELD_NAMES.get(k, k): [str(m) for e in v for m in e.messages]
                for k, v in exc.error_dict.items()
            }
        )
    return ValidationFailed({"message": exc.messages})


def _audit(token, dataset: Dataset, detail: str) -> None:
    audit_record(action=AuditEvent.Action.CHANGE, object_type="opendata.dataset", object_id=dataset.pk,
                 department_code=dataset.department.code, detail=f"{token_label(token)}: {detail}",
                 actor=token.created_by, use_request_actor=False)  # fmt: skip


def _own_dataset(params: dict, caller: Caller, key: str = "id") -> Dataset:
    token, _maker = _token(caller)
    dataset = _find_dataset(_id_param(params, key), caller)
    if dataset.department_id != token.department_id:
        raise NotAuthorized("this token may write its own department's datasets only")
    return dataset


# --- metadata from a CKAN package dict ----------------------------------------------------------------


def _tag_names(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if not isinstance(value, list):
        raise ValidationFailed({"tags": ["Not a list"]})
    names = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name.strip():
            raise ValidationFailed({"tags": ["Each tag needs a name"]})
        names.append(name.strip())
    return names


def _extras(params: dict) -> dict[str, str]:
    extras = params.get("extras") or []
    if isinstance(extras, dict):
        return {str(k): str(v) for k, v in extras.items()}
    if not isinstance(extras, list):
        raise ValidationFailed({"extras": ["Not a list"]})
    result = {}
    for item in extras:
        if not isinstance(item, dict) or "key" not in item:
            raise ValidationFailed({"extras": ["Each extra needs a key and a value"]})
        result[str(item["key"])] = "" if item.get("value") is None else str(item["value"])
    return result


def _frequency(value: str) -> str:
    """Our code from a code or a frequency URI (publications.europa.eu/resource/authority/frequency/…)."""
    value = value.strip()
    if value in Dataset.Frequency.values:
        return value
    code = value.rstrip("/").rsplit("/", 1)[-1].upper()
    for ours, theirs in Dataset.FREQUENCY_CODES.items():
        if theirs == code:
            return ours
    return value  # the service's validation answers


def _theme(params: dict, extras: dict) -> str | None:
    groups = params.get("groups")
    if groups:
        if not isinstance(groups, list):
            raise ValidationFailed({"groups": ["Not a list"]})
        first = groups[0]
        name = first.get("name") or first.get("id") if isinstance(first, dict) else first
        return str(name or "").upper()
    if extras.get("theme"):
        return extras["theme"].rstrip("/").rsplit("/", 1)[-1].upper()
    return None


def _metadata(params: dict, base: dict) -> dict:
    """``base`` (the working metadata, or defaults) with what the CKAN dict gives."""
    metadata = dict(base)
    for ours, theirs in (("title", "title"), ("notes", "notes"), ("license_id", "license_id"),
                         ("contact_name", "maintainer"), ("contact_email", "maintainer_email")):  # fmt: skip
        if theirs in params and params[theirs] is not None:
            metadata[ours] = _str(params, theirs)
    extras = _extras(params)
    for key in ("spatial", "temporal_start", "temporal_end", "conforms_to"):
        if key in extras:
            metadata[key] = extras[key]
    if "frequency" in extras:
        metadata["frequency"] = _frequency(extras["frequency"])
    if (theme := _theme(params, extras)) is not None:
        metadata["theme"] = theme
    if "tags" in params:
        metadata["tags"] = _tag_names(params["tags"])
    return metadata


DEFAULTS = {
    "title": "", "notes": "", "theme": Dataset.Theme.GOVE, "license_id": "pdl-1.0",
    "frequency": Dataset.Frequency.IRREGULAR, "spatial": "", "temporal_start": "", "temporal_end": "",
    "contact_name": "", "contact_email": "", "conforms_to": "", "tags": [],
}  # fmt: skip


# --- the change the API works in -------------------------------------------------------------------


@transaction.atomic
def change_reopen_for_api(*, dataset: Dataset, maker) -> None:
    """Take the API's own waiting change back to editing, so that the next write can add to it.

    Only a change submitted through the API by the same token maker; a change a member of staff
    submitted stays as it is (the write is refused with a Validation Error).
    """
    change = services.open_change(dataset)
    if change is None or change.status != DatasetChange.Status.PENDING:
        return
    change = DatasetChange.objects.select_for_update().get(pk=change.pk)
    if change.submitted_by_id != maker.pk or not change.note.startswith(API_NOTE_PREFIX):
        raise ValidationFailed(
            {"message": ["このデータセットには承認待ちの変更があります。承認か差戻しを待ってください。"]}
        )
    change.status = DatasetChange.Status.EDITING
    change.submitted_at = None
    change.save(update_fields=["status", "submitted_at"])
    if not dataset.published_at:
        Dataset.objects.filter(pk=dataset.pk).update(state=Dataset.State.DRAFT)


def _submit(token, maker, dataset: Dataset) -> DatasetChange:
    change = services.change_submit(by=maker, dataset=dataset, note=_note(token))
    _audit(
        token,
        dataset,
        f"{change.kind} change {change.pk} submitted" + (" (light path)" if change.via_light_path else ""),
    )
    return change


def _change_state(dataset: Dataset) -> dict:
    change = dataset.changes.order_by("-created_at").first()
    if change is None:
        return {}
    return {
        "id": str(change.pk),
        "kind": change.kind,
        "status": change.status,
        "via_light_path": change.via_light_path,
        "submitted_at": change.submitted_at.isoformat() if change.submitted_at else None,
    }


def _result(dataset: Dataset, caller: Caller) -> dict:
    dataset = _find_dataset(str(dataset.pk), caller)
    return {**package_dict(dataset, caller), "madoguchi_change": _change_state(dataset)}


def _call(fn, **kwargs):
    try:
        return fn(**kwargs)
    except ValidationError as exc:
        raise _errors(exc) from None
    except PermissionDenied:
        raise NotAuthorized("the token's maker may not edit this department's datasets") from None


# --- resources -----------------------------------------------------------------------------------------


def _upload(caller: Caller):
    upload = caller.files.get("upload")
    if upload is None:
        return None
    return upload.name or "upload", upload.read()


def _add_file(maker, dataset: Dataset, data: bytes, filename: str, name: str, description: str,
              resource: Resource | None = None) -> Resource:  # fmt: skip
    versions = _call(services.resource_upload, by=maker, dataset=dataset, data=data, filename=filename, name=name,
                     description=description, resource=resource)  # fmt: skip
    first = versions[0]
    for version in versions:
        selected = {f["id"] for f in version.fix_report.get("fixes", []) if f.get("selected")}
        try:
            services.version_apply_fixes(by=maker, version=version, selected=selected)
        except ValidationError as exc:
            for v in versions:
                v.refresh_from_db()
                if v.status in (ResourceVersion.Status.INTAKE, ResourceVersion.Status.READY):
                    services.version_discard(by=maker, version=v)
            raise ValidationFailed({"upload": exc.messages}) from None
    return first.resource


def _resource_fields(params: dict) -> tuple[str, str, str, str]:
    return (
        _str(params, "name").strip(),
        _str(params, "description").strip(),
        _str(params, "format").strip(),
        _str(params, "url").strip(),
    )


def _add_resources(token, maker, dataset: Dataset, resources: list, caller: Caller) -> None:
    for item in resources:
        if not isinstance(item, dict):
            raise ValidationFailed({"resources": ["Each resource must be a dict"]})
        name, description, fmt, url = _resource_fields(item)
        if not url:
            raise ValidationFailed(
                {
                    "resources": [
                        "A resource in package_create needs a url (upload files with resource_create)"
                    ]
                }
            )
        _call(
            services.link_add,
            by=maker,
            dataset=dataset,
            name=name or url,
            url=url,
            fmt=fmt,
            description=description,
        )


# --- actions -------------------------------------------------------------------------------------------


def package_create(params: dict, caller: Caller) -> dict:
    """Create a dataset of the token's department (``name``, ``title``, ``notes``, ``owner_org``,
    ``license_id``, ``tags``, ``groups``, ``extras``, ``maintainer``, ``maintainer_email``, and
    ``resources`` given as links). It is submitted for approval when it has a resource; the result
    is the dataset as the token sees it, with ``madoguchi_change`` saying where the approval stands."""
    token, maker = _token(caller)
    owner = _str(params, "owner_org").strip()
    if owner and owner != token.department.code:
        raise NotAuthorized("this token may create datasets in its own department only")
    name = _str(params, "name").strip()
    if not name:
        raise ValidationFailed({"name": ["Missing value"]})
    metadata = _metadata(params, DEFAULTS)
    resources = params.get("resources") or []
    if not isinstance(resources, list):
        raise ValidationFailed({"resources": ["Not a list"]})
    with transaction.atomic():
        dataset = _call(
            services.dataset_create, by=maker, department=token.department, name=name, metadata=metadata
        )
        _audit(token, dataset, "dataset created")
        if resources:
            _add_resources(token, maker, dataset, resources, caller)
            _call(_submit, token=token, maker=maker, dataset=dataset)
    logger.info("opendata api package_create dataset=%s token=%s", dataset.name, token.prefix)
    return _result(dataset, caller)


def package_patch(params: dict, caller: Caller) -> dict:
    """Change some fields of a dataset of the token's department (``id`` and the fields to change);
    the change is submitted for approval."""
    token, maker = _token(caller)
    dataset = _own_dataset(params, caller)
    if "name" in params and _str(params, "name").strip() not in ("", dataset.name):
        raise ValidationFailed({"name": ["A dataset's name (its URL) does not change"]})
    with transaction.atomic():
        change_reopen_for_api(dataset=dataset, maker=maker)
        base = services.working_metadata(dataset)
        metadata = _metadata(params, {**DEFAULTS, **base})
        _call(services.change_update_metadata, by=maker, dataset=dataset, data=metadata)
        _call(_submit, token=token, maker=maker, dataset=dataset)
    logger.info("opendata api package_patch dataset=%s token=%s", dataset.name, token.prefix)
    return _result(dataset, caller)


def resource_create(params: dict, caller: Caller) -> dict:
    """Add a resource to a dataset of the token's department (``package_id``, ``name``,
    ``description``, ``format``, and either ``url`` for a link or ``upload`` for a file, sent as
    multipart/form-data); submitted for approval."""
    token, maker = _token(caller)
    dataset = _own_dataset(params, caller, "package_id")
    name, description, fmt, url = _resource_fields(params)
    upload = _upload(caller)
    if upload is None and not url:
        raise ValidationFailed({"url": ["Give a url, or send the file as upload"]})
    with transaction.atomic():
        change_reopen_for_api(dataset=dataset, maker=maker)
        if upload is not None:
            filename, data = upload
            resource = _add_file(maker, dataset, data, filename, name or filename, description)
        else:
            version = _call(services.link_add, by=maker, dataset=dataset, name=name or url, url=url, fmt=fmt,
                            description=description)  # fmt: skip
            resource = version.resource
        _call(_submit, token=token, maker=maker, dataset=dataset)
    logger.info("opendata api resource_create dataset=%s token=%s", dataset.name, token.prefix)
    return _resource_result(resource, caller)


def resource_patch(params: dict, caller: Caller) -> dict:
    """A new file for a resource of the token's department (``id`` and ``upload``; ``name`` and
    ``description`` may change with it). On a light-path dataset a routine update is published at
    once; otherwise it waits for approval."""
    token, maker = _token(caller)
    resource = _find_resource(_id_param(params), caller)
    dataset = resource.dataset
    if dataset.department_id != token.department_id:
        raise NotAuthorized("this token may write its own department's datasets only")
    upload = _upload(caller)
    if upload is None:
        raise ValidationFailed({"upload": ["Send the new file as upload (multipart/form-data)"]})
    name, description, _fmt, _url = _resource_fields(params)
    with transaction.atomic():
        change_reopen_for_api(dataset=dataset, maker=maker)
        filename, data = upload
        _add_file(maker, dataset, data, filename, name or resource.name, description or resource.description,
                  resource=resource)  # fmt: skip
        _call(_submit, token=token, maker=maker, dataset=dataset)
    logger.info("opendata api resource_patch dataset=%s token=%s", dataset.name, token.prefix)
    return _resource_result(resource, caller)


def _resource_result(resource: Resource, caller: Caller) -> dict:
    resource = Resource.objects.select_related("dataset__department", "current_version").get(pk=resource.pk)
    position = next((i for i, r in enumerate(public_resources(resource.dataset)) if r.pk == resource.pk), 0)
    result = resource_dict(resource, caller, position=position)
    latest = resource.versions.order_by("-number").first()
    result["madoguchi_change"] = {
        **_change_state(resource.dataset),
        "version": latest.number if latest else None,
        "published": bool(latest and latest.status == ResourceVersion.Status.PUBLISHED),
        "checked_at": timezone.now().isoformat(),
    }
    return result


WRITES = [package_create, package_patch, resource_create, resource_patch]
