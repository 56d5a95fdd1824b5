"""Write tokens for the CKAN Action API: made and revoked by a department's 課管理者 (or a
システム管理者), checked on every write request.

The same scheme as the cases API's tokens (``cases/tokens.py``): 43 URL-safe characters (256
random bits), stored as their SHA-256 with the first 8 characters (``prefix``) to recognise them;
the token itself is shown once. CKAN clients send it as ``Authorization: <token>`` (CKAN 2.10's
API tokens; ``ckanapi`` also sends ``X-CKAN-API-Key``); ``Authorization: Bearer <token>`` works too.
A token belongs to one department and may create and patch that department's datasets only.
"""

from __future__ import annotations

import re
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.cases.tokens import PREFIX_LENGTH, can_manage_tokens, live_token, token_hash
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from .models import OpenDataApiToken

_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,128}$")
OBJECT_TYPE = "opendata.opendataapitoken"


def _check_manager(user: User, department) -> None:
    if not can_manage_tokens(user, department):
        raise PermissionDenied


def opendata_token_list(*, department) -> QuerySet[OpenDataApiToken]:
    """Live tokens first, newest first; then the revoked ones."""
    return (
        OpenDataApiToken.objects.filter(department=department)
        .select_related("created_by")
        .order_by(F("revoked_at").asc(nulls_first=True), "-created_at")
    )


@transaction.atomic
def opendata_token_create(*, by: User, department, name: str) -> tuple[OpenDataApiToken, str]:
    """A new token; returns it with the plaintext, which is never stored and cannot be shown again."""
    _check_manager(by, department)
    from .services import can_edit

    if not can_edit(by, department.pk):  # the token writes on its maker's behalf
        raise ValidationError(
            _(
                "トークンは、この課のデータセットを編集できる職員（課管理者）が作成してください。トークンはその職員に代わって登録します。"
            )
        )
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("名前を入力してください。")})
    if len(name) > 100:
        raise ValidationError({"name": _("名前は100文字以内で入力してください。")})
    plaintext = secrets.token_urlsafe(32)
    token = OpenDataApiToken.objects.create(
        department=department, name=name, token_hash=token_hash(plaintext), prefix=plaintext[:PREFIX_LENGTH],
        created_by=by,
    )  # fmt: skip
    audit_record(action=AuditEvent.Action.CREATE, object_type=OBJECT_TYPE, object_id=token.pk,
                 department_code=department.code, fields=["token_hash"],
                 detail=f"open data api token {token.prefix}", actor=by)  # fmt: skip
    return token, plaintext


@transaction.atomic
def opendata_token_revoke(*, by: User, token: OpenDataApiToken) -> OpenDataApiToken:
    """Revoke at once: the next request with it gets 403. Revoking twice changes nothing."""
    _check_manager(by, token.department)
    token = OpenDataApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action=AuditEvent.Action.CHANGE, object_type=OBJECT_TYPE, object_id=token.pk,
                     department_code=token.department.code, fields=["revoked_at"],
                     detail=f"open data api token {token.prefix} revoked", actor=by)  # fmt: skip
    return token


def token_from_headers(headers) -> str | None:
    """The token a CKAN client sent: ``Authorization: <token>``, ``Authorization: Bearer <token>``
    or ``X-CKAN-API-Key: <token>``."""
    value = (headers.get("Authorization") or headers.get("X-CKAN-API-Key") or "").strip()
    scheme, _sep, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    return value or None


def opendata_token_authenticate(value: str | None) -> OpenDataApiToken | None:
    """The live token with this plaintext, or None (found by its hash; revoked tokens and tokens
    of inactive departments fail); ``last_used_at`` is kept to the minute."""
    if not value or not _TOKEN_SHAPE.match(value):
        return None
    return live_token(OpenDataApiToken, value)


def token_label(token: OpenDataApiToken) -> str:
    """How the audit trail and the change notes name the caller."""
    return f"open data api token {token.prefix}"
