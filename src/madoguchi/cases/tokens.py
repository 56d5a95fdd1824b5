"""API tokens for core systems and RPA: made and revoked by a department's 課管理者 (or a
システム管理者), checked on every API request, and the one write the API allows (moving a case).

A token is 43 URL-safe characters (256 random bits). Only its SHA-256 is stored, with its first
8 characters (``prefix``) to recognise it in lists and in the audit trail; the token itself is
shown once, when it is made. A token belongs to one department and has a scope: ``read`` (list
and read cases) or ``write`` (also move cases through their workflow).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import StaffRole, User
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from .models import ApiToken, Case
from .workflows import workflow

PREFIX_LENGTH = 8
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,128}$")
_LAST_USED_GRANULARITY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def can_manage_tokens(user: User, department) -> bool:
    return user.has_role(StaffRole.Role.DEPT_ADMIN, department.pk) or user.has_global_role(
        StaffRole.Role.SYSADMIN
    )


def _check_manager(user: User, department) -> None:
    if not can_manage_tokens(user, department):
        raise PermissionDenied


def api_token_list(*, department) -> QuerySet[ApiToken]:
    """Live tokens first, newest first; then the revoked ones."""
    return (
        ApiToken.objects.filter(department=department)
        .select_related("created_by")
        .order_by(F("revoked_at").asc(nulls_first=True), "-created_at")
    )


@transaction.atomic
def api_token_create(*, by: User, department, name: str, scope: str) -> tuple[ApiToken, str]:
    """A new token; returns it with the plaintext, which is never stored and cannot be shown again."""
    _check_manager(by, department)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("名前を入力してください。")})
    if len(name) > 100:
        raise ValidationError({"name": _("名前は100文字以内で入力してください。")})
    if scope not in ApiToken.Scope.values:
        raise ValidationError({"scope": _("権限を選んでください。")})
    plaintext = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        department=department, name=name, token_hash=token_hash(plaintext), prefix=plaintext[:PREFIX_LENGTH],
        scope=scope, created_by=by,
    )  # fmt: skip
    audit_record(action=AuditEvent.Action.CREATE, object_type="cases.apitoken", object_id=token.pk,
                 department_code=department.code, fields=["token_hash", "scope"],
                 detail=f"api token {token.prefix} ({scope})", actor=by)  # fmt: skip
    return token, plaintext


@transaction.atomic
def api_token_revoke(*, by: User, token: ApiToken) -> ApiToken:
    """Revoke at once: the next request with it gets 401. Revoking twice changes nothing."""
    _check_manager(by, token.department)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action=AuditEvent.Action.CHANGE, object_type="cases.apitoken", object_id=token.pk,
                     department_code=token.department.code, fields=["revoked_at"],
                     detail=f"api token {token.prefix} revoked", actor=by)  # fmt: skip
    return token


def api_token_authenticate(header_value: str | None) -> ApiToken | None:
    """The live token named by an ``Authorization: Bearer <token>`` header, or None.

    The token is found by its hash (no comparison of secrets character by character), revoked
    tokens and tokens of inactive departments fail, and ``last_used_at`` is kept (to the minute).
    """
    scheme, _sep, value = (header_value or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not _TOKEN_SHAPE.match(value):
        return None
    return live_token(ApiToken, value)


def live_token(model, value: str):
    """The live token of ``model`` (a department's token: token_hash, revoked_at, last_used_at) with
    this plaintext, or None. Found by its hash; revoked tokens and tokens of inactive departments
    fail; ``last_used_at`` is kept to the minute."""
    digest = token_hash(value)
    token = model.objects.select_related("department").filter(token_hash=digest).first()
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None or not token.department.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= _LAST_USED_GRANULARITY:
        model.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_label(token: ApiToken) -> str:
    """How the audit trail names the caller."""
    return f"api token {token.prefix}"


# --- the API's one write -----------------------------------------------------------------------


class TransitionRefused(Exception):
    """A move the API does not make; ``code`` and ``message_ja`` go back to the caller."""

    def __init__(self, code: str, message: str, message_ja: str, *, conflict: bool = True):
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_ja = message_ja
        self.conflict = conflict  # 409 (the case's state) rather than 400 (the request)


def _audit_move(
    token: ApiToken, case: Case, *, result: str = AuditEvent.Result.SUCCESS, why: str = ""
) -> None:
    audit_record(action=AuditEvent.Action.CHANGE, object_type="cases.case", object_id=case.pk,
                 department_code=token.department.code, fields=["status"], result=result,
                 detail=token_label(token) + (f": {why}" if why else ""), use_request_actor=False)  # fmt: skip


def case_transition_by_token(*, token: ApiToken, case: Case, to_status: str, comment: str = "") -> Case:
    """``case_transition`` on behalf of a write token instead of a staff member.

    The same workflow rules apply, and two more: decisions (which need a 決定案 and, mostly, a
    決裁者) and correction requests (which need the fields and the reason for the citizen) are
    made by staff on the case page, never through the API. The history records the move with
    no staff actor and the token's name; the audit row names the token's prefix.
    """
    if token.scope != ApiToken.Scope.WRITE or case.department_id != token.department_id:
        _audit_move(token, case, result=AuditEvent.Result.DENIED, why="not allowed")
        raise PermissionDenied
    flow = workflow(case.workflow)
    try:
        target = flow.status(to_status)
    except KeyError:
        raise TransitionRefused(
            "unknown_status",
            f"This case's workflow has no status {to_status!r}.",
            f"「{to_status}」という状況はありません。",
            conflict=False,
        ) from None
    if target.decision:
        _audit_move(token, case, result=AuditEvent.Result.DENIED, why=f"decision {to_status}")
        raise TransitionRefused(
            "decision_not_allowed",
            "Decisions need a proposal and an approver; staff make them on the case page.",
            "決定（承認・却下）は決裁が必要なため、APIではできません。職員が案件の画面から決定案を作成してください。",
        )
    if target.pauses_clock:
        _audit_move(token, case, result=AuditEvent.Result.DENIED, why=f"correction {to_status}")
        raise TransitionRefused(
            "correction_not_allowed",
            "A correction request tells the applicant what to fix and why; staff make it on the case page.",
            "補正依頼は直す項目と理由を申請者に伝える必要があるため、APIではできません。職員が案件の画面から依頼してください。",
        )
    text = f"API（{token.name}）" + (f": {comment.strip()}" if comment.strip() else "")
    from_status = case.status
    try:
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            from_status = locked.status
            from .services import _move

            _move(locked, to_status, actor=None, comment=text[:2000])
            _audit_move(token, locked)
    except ValidationError:
        _audit_move(token, case, result=AuditEvent.Result.FAILURE, why=f"{from_status}->{to_status}")
        raise TransitionRefused(
            "invalid_transition",
            f"A case in {from_status!r} cannot move to {to_status!r}.",
            f"今の状況（{from_status}）からは「{to_status}」に変えられません。",
        ) from None
    return locked
