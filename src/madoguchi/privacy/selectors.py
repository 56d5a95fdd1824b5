"""Reads of the privacy core, scoped to the asking user."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from madoguchi.accounts.models import StaffRole
from madoguchi.organisations.models import Department
from madoguchi.organisations.selectors import municipality_get_current

from . import registry
from .holders import MyNumberHolder, holder_for
from .models import AuditEvent, StoredFile


def audit_events_visible(*, user) -> QuerySet[AuditEvent]:
    """監査担当 see everything; 課管理者 see what concerns their departments; nobody else anything."""
    if user.has_global_role(StaffRole.Role.AUDITOR):
        return AuditEvent.objects.all()
    managed = [d for d, role in user.role_set if role == StaffRole.Role.DEPT_ADMIN]
    if not managed:
        return AuditEvent.objects.none()
    codes = list(Department.objects.filter(pk__in=managed).values_list("code", flat=True))
    query = Q(department_code__in=codes)
    for code in codes:
        query |= Q(department_code="", actor_departments__regex=rf"(^|,){code}(,|$)")
    return AuditEvent.objects.filter(query)


def stored_file_get_visible(*, user, file_id) -> StoredFile:
    """A file its uploader, or staff of its department, may download; 404 for anyone else."""
    stored = StoredFile.objects.select_related("department").filter(pk=file_id).first()
    if stored is None or not user.is_authenticated:
        raise Http404
    if stored.uploaded_by_id == user.pk:
        return stored
    if user.is_city_staff and user.is_verified() and stored.department_id in user.department_ids:
        return stored
    raise Http404


def my_number_object_get_visible(*, user, label: str, pk, key: str = "") -> tuple[MyNumberHolder, object]:
    """A record holding a My Number (under ``key``) that the user's departments hold; 404 otherwise."""
    holder = holder_for(label)
    if holder is None:
        raise Http404
    try:
        obj = holder.visible_to(user).filter(pk=pk).first()
    except (ValueError, ValidationError):  # not a key of that model (a UUID, a number)
        raise Http404 from None
    if obj is None or holder.value(obj, key) is None:
        raise Http404
    return holder, obj


@dataclass(frozen=True)
class RegisterRow:
    name: str
    department: str
    purpose: str
    items: str
    subjects: str
    sources: str
    sensitive: bool
    retention: str
    over_threshold: bool
    persons: int


def file_register_rows(*, include_counts: bool = False) -> list[RegisterRow]:
    """The 個人情報ファイル簿: every personal information file that must be listed."""
    departments = {d.code: d.name for d in Department.objects.filter(
        municipality__code=getattr(municipality_get_current(), "code", ""))}  # fmt: skip
    rows = []
    for entry in registry.files():
        if not entry.in_register:
            continue
        persons = entry.persons()
        rows.append(RegisterRow(
            name=entry.name, department=departments.get(entry.department, entry.department), purpose=entry.purpose,
            items="、".join(entry.items), subjects=entry.subjects, sources=entry.sources, sensitive=entry.sensitive,
            retention=entry.retention.period, over_threshold=persons >= registry.PERSON_THRESHOLD,
            persons=persons if include_counts else 0,
        ))  # fmt: skip
    for entry in registry.provided_entries():
        rows.append(RegisterRow(
            name=entry.name, department=departments.get(entry.department, entry.department), purpose=entry.purpose,
            items="、".join(entry.items), subjects=entry.subjects, sources=entry.sources, sensitive=entry.sensitive,
            retention=entry.retention, over_threshold=entry.persons >= registry.PERSON_THRESHOLD,
            persons=entry.persons if include_counts else 0,
        ))  # fmt: skip
    return sorted(rows, key=lambda r: (r.department, r.name))


REGISTER_HEADER = [
    "個人情報ファイルの名称", "担当課", "利用目的", "記録項目", "記録範囲", "収集方法", "要配慮個人情報",
    "保存期間", "本人の数が1,000人以上",
]  # fmt: skip


def file_register_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REGISTER_HEADER)
    for row in file_register_rows():
        writer.writerow([
            row.name, row.department, row.purpose, row.items, row.subjects, row.sources,
            "含む" if row.sensitive else "含まない", row.retention, "該当" if row.over_threshold else "非該当",
        ])  # fmt: skip
    return "\ufeff" + out.getvalue()
