"""Writes for disaster mode: declaring and ending a disaster (each an audit row, and the disaster
datasets marked urgent and cleared), the initial answers of a new 罹災証明 draft, the triage row of
a new 罹災証明 case, tokens for the API, and the backfill of triage rows."""

from __future__ import annotations

import logging
import secrets
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import StaffRole, User
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from .models import Disaster, DisasterToken, TriageEntry
from .towns import known_towns, town_of

logger = logging.getLogger(__name__)

RISAI_PROCEDURE = "risai_shomei"
ESTIMATES = ("zenkai", "daikibo", "chukibo", "hankai", "junhankai", "ichibu", "unknown")
# Datasets marked urgent while a disaster is active: those tagged so, and those named (settings may
# override both: MADOGUCHI_DISASTER_DATASET_TAGS, MADOGUCHI_DISASTER_DATASETS).
DEFAULT_DATASET_TAGS = ("防災", "避難", "避難所")
DEFAULT_DATASETS: tuple[str, ...] = ()
SWITCH_DEPARTMENT = "somu"  # 総務課 (防災): its 課管理者 may switch, as may システム管理者 and DX推進担当


class DisasterConflict(Exception):
    """Declaring while a disaster is active, or ending when none is."""

    def __init__(self, code: str, message_ja: str):
        super().__init__(code)
        self.code = code
        self.message_ja = message_ja


def can_switch(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_city_staff:
        return False
    if user.has_global_role(StaffRole.Role.SYSADMIN) or user.has_global_role(StaffRole.Role.DX_OFFICER):
        return True
    return any(d.code == SWITCH_DEPARTMENT for d in _dept_admin_departments(user))


def _dept_admin_departments(user):
    from madoguchi.organisations.models import Department

    ids = [d for d, role in user.role_set if role == StaffRole.Role.DEPT_ADMIN]
    return list(Department.objects.filter(pk__in=ids)) if ids else []


def _clean(name, kind, occurred_on, area) -> tuple[str, str, date, list[str]]:
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("災害の名前を入力してください。")
    elif len(name) > 100:
        errors["name"] = _("災害の名前は100文字以内で入力してください。")
    if kind not in Disaster.Kind.values:
        errors["kind"] = _("災害の種類を選んでください。")
    if isinstance(occurred_on, str):
        try:
            occurred_on = date.fromisoformat(occurred_on.strip()) if occurred_on.strip() else None
        except ValueError:
            errors["occurred_on"] = _("発生日を 2026-04-01 のように入力してください。")
            occurred_on = None
    if occurred_on is None and "occurred_on" not in errors:
        errors["occurred_on"] = _("発生日を入力してください。")
    elif isinstance(occurred_on, date) and occurred_on > timezone.localdate():
        errors["occurred_on"] = _("発生日に未来の日付は入力できません。")
    if isinstance(area, str):
        area = [
            a for a in (part.strip() for part in area.replace("、", ",").replace("\n", ",").split(",")) if a
        ]
    if not isinstance(area, list) or not all(isinstance(a, str) for a in area):
        errors["area"] = _("地域は町字の名前を並べて入力してください。")
        area = []
    towns = set(known_towns())
    unknown = [a for a in area if a not in towns]
    if unknown and "area" not in errors:
        errors["area"] = _("市内の町字にない名前があります：%(names)s") % {"names": "、".join(unknown[:5])}
    if errors:
        raise ValidationError(errors)
    return name, kind, occurred_on, list(dict.fromkeys(area))


def _actor_label(by, token) -> str:
    return f"api token {token.prefix}" if token is not None else "staff"


def declare_disaster(*, name: str, kind: str, occurred_on, area, by: User | None = None,
                     token: DisasterToken | None = None) -> Disaster:  # fmt: skip
    """Switch disaster mode on. Raises ValidationError (by field) for bad input and DisasterConflict
    while another disaster is active (the database refuses a second active row too)."""
    if token is None and not can_switch(by):
        raise PermissionDenied
    name, kind, occurred_on, area = _clean(name, kind, occurred_on, area)
    via = _actor_label(by, token)
    try:
        with transaction.atomic():
            if Disaster.objects.select_for_update().filter(is_active=True).exists():
                raise DisasterConflict(
                    "already_active", _("すでに災害モードです。先に今の災害を終了してください。")
                )
            disaster = Disaster.objects.create(name=name, kind=kind, occurred_on=occurred_on, area=area,
                                               declared_by=by, declared_via=via)  # fmt: skip
            disaster.urgent_datasets = _mark_urgent()
            disaster.save(update_fields=["urgent_datasets"])
            audit_record(action=AuditEvent.Action.CREATE, object_type="disaster.disaster", object_id=disaster.pk,
                         fields=["is_active", "name", "kind", "occurred_on", "area"], purpose="災害モードの開始",
                         detail=f"declared via {via}", actor=by, use_request_actor=token is None)  # fmt: skip
    except IntegrityError:
        raise DisasterConflict(
            "already_active", _("すでに災害モードです。先に今の災害を終了してください。")
        ) from None
    logger.info("disaster mode on disaster_id=%s via=%s", disaster.pk, via)
    return disaster


@transaction.atomic
def end_disaster(*, by: User | None = None, token: DisasterToken | None = None) -> Disaster:
    """Switch disaster mode off (the active disaster ends; its urgent marks are cleared)."""
    if token is None and not can_switch(by):
        raise PermissionDenied
    disaster = Disaster.objects.select_for_update().filter(is_active=True).first()
    if disaster is None:
        raise DisasterConflict("not_active", _("いまは災害モードではありません。"))
    via = _actor_label(by, token)
    disaster.is_active = False
    disaster.ended_at = timezone.now()
    disaster.ended_by = by
    disaster.ended_via = via
    disaster.save(update_fields=["is_active", "ended_at", "ended_by", "ended_via"])
    _clear_urgent(disaster.urgent_datasets)
    audit_record(action=AuditEvent.Action.CHANGE, object_type="disaster.disaster", object_id=disaster.pk,
                 fields=["is_active", "ended_at"], purpose="災害モードの終了", detail=f"ended via {via}",
                 actor=by, use_request_actor=token is None)  # fmt: skip
    logger.info("disaster mode off disaster_id=%s via=%s", disaster.pk, via)
    return disaster


# --- open data ----------------------------------------------------------------------------------


def disaster_datasets():
    """The published datasets disaster mode puts first: tagged 防災/避難/避難所, or named in settings."""
    from django.db.models import Q

    from madoguchi.opendata.models import Dataset

    tags = getattr(settings, "MADOGUCHI_DISASTER_DATASET_TAGS", DEFAULT_DATASET_TAGS)
    names = getattr(settings, "MADOGUCHI_DISASTER_DATASETS", DEFAULT_DATASETS)
    return Dataset.objects.filter(Q(tags__name__in=tags) | Q(name__in=names)).distinct()


def _mark_urgent() -> list[str]:
    """Mark the disaster datasets urgent; returns the ids of those that were not already (only
    those are cleared at the end: a mark set by hand stays)."""
    from madoguchi.opendata.models import Dataset

    ids = [str(pk) for pk in disaster_datasets().filter(urgent=False).values_list("pk", flat=True)]
    Dataset.objects.filter(pk__in=ids).update(urgent=True)
    return ids


def _clear_urgent(ids: list[str]) -> None:
    from madoguchi.opendata.models import Dataset

    if ids:
        Dataset.objects.filter(pk__in=ids).update(urgent=False)


# --- the 罹災証明 form and its cases --------------------------------------------------------------


def risai_initial_answers() -> dict:
    """被災日 and 罹災原因 of the active disaster, for a new 罹災証明 draft (nothing without one)."""
    from .selectors import active_disaster

    disaster = active_disaster()
    if disaster is None:
        return {}
    return {"cause": disaster.kind, "disaster_date": disaster.occurred_on.isoformat()}


def triage_fields(data: dict) -> tuple[str, str]:
    """(town, estimate) of a 罹災証明's answers: the damaged home's town (the applicant's address
    when it is the same home), "" when no town matches; the estimate, "" when not given."""
    address = data.get("damaged_address") or data.get("applicant_address") or ""
    estimate = data.get("damage_estimate") or ""
    return town_of(address if isinstance(address, str) else ""), estimate if estimate in ESTIMATES else ""


def triage_record(*, case, submission) -> None:
    """The case-opening hook: one INSERT for a 罹災証明 case, nothing for any other."""
    if submission.procedure.slug != RISAI_PROCEDURE:
        return
    town, estimate = triage_fields(submission.data)
    TriageEntry.objects.create(case=case, department_id=case.department_id, town=town, estimate=estimate,
                               opened_at=submission.submitted_at)  # fmt: skip


def triage_follow_case(*, case) -> None:
    """Keep a triage row's ``open`` with its case (a case is closed in one place, ``cases.services._move``,
    which saves it): one UPDATE by primary key that matches nothing for other procedures."""
    TriageEntry.objects.filter(case_id=case.pk).exclude(open=case.closed_at is None).update(
        open=case.closed_at is None
    )


def triage_backfill(*, batch_size: int = 500) -> int:
    """Triage rows for 罹災証明 cases opened before the hook existed. Returns how many were made.
    The answers are decrypted to read the address: one audit row for the run."""
    from madoguchi.cases.models import Case

    cases = (
        Case.objects.filter(procedure__slug=RISAI_PROCEDURE, triage__isnull=True)
        .select_related("submission")
        .order_by("pk")
    )
    made = 0
    pending: list[TriageEntry] = []
    for case in cases.iterator(chunk_size=batch_size):
        town, estimate = triage_fields(case.submission.data)
        pending.append(TriageEntry(case=case, department_id=case.department_id, town=town, estimate=estimate,
                                   opened_at=case.submission.submitted_at, open=case.closed_at is None))  # fmt: skip
        if len(pending) >= batch_size:
            made += len(TriageEntry.objects.bulk_create(pending, ignore_conflicts=True))
            pending = []
    if pending:
        made += len(TriageEntry.objects.bulk_create(pending, ignore_conflicts=True))
    if made:
        audit_record(action=AuditEvent.Action.READ, object_type="submissions.submission", fields=["data"],
                     purpose="罹災証明の集計（町字・被害の見込み）", detail=f"backfill_triage {made} cases",
                     use_request_actor=False)  # fmt: skip
    return made


# --- tokens -------------------------------------------------------------------------------------


def _token_department(user):
    for department_id, role in sorted(user.role_set):
        if role in (StaffRole.Role.SYSADMIN, StaffRole.Role.DX_OFFICER, StaffRole.Role.DEPT_ADMIN):
            from madoguchi.organisations.models import Department

            return Department.objects.get(pk=department_id)
    raise PermissionDenied


@transaction.atomic
def disaster_token_create(*, by: User, name: str) -> tuple[DisasterToken, str]:
    """A new token (returned with its plaintext, shown once and never stored)."""
    from madoguchi.cases.tokens import PREFIX_LENGTH, token_hash

    if not can_switch(by):
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise ValidationError({"token_name": _("名前を入力してください。")})
    if len(name) > 100:
        raise ValidationError({"token_name": _("名前は100文字以内で入力してください。")})
    plaintext = secrets.token_urlsafe(32)
    token = DisasterToken.objects.create(department=_token_department(by), name=name,
                                         token_hash=token_hash(plaintext), prefix=plaintext[:PREFIX_LENGTH],
                                         created_by=by)  # fmt: skip
    audit_record(action=AuditEvent.Action.CREATE, object_type="disaster.disastertoken", object_id=token.pk,
                 fields=["token_hash"], detail=f"disaster api token {token.prefix}", actor=by)  # fmt: skip
    return token, plaintext


@transaction.atomic
def disaster_token_revoke(*, by: User, token_id) -> DisasterToken:
    if not can_switch(by):
        raise PermissionDenied
    token = DisasterToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None:
        from django.http import Http404

        raise Http404
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action=AuditEvent.Action.CHANGE, object_type="disaster.disastertoken", object_id=token.pk,
                     fields=["revoked_at"], detail=f"disaster api token {token.prefix} revoked", actor=by)  # fmt: skip
    return token


def disaster_token_authenticate(header_value: str | None) -> DisasterToken | None:
    """The live disaster token of an ``Authorization: Bearer <token>`` header, or None."""
    import re

    from madoguchi.cases.tokens import live_token

    scheme, _sep, value = (header_value or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not re.match(r"^[A-Za-z0-9_-]{20,128}$", value):
        return None
    return live_token(DisasterToken, value)
