"""Writes for accounts: registration, verification, staff and their roles, second factors."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from madoguchi.organisations.models import Department
from madoguchi.privacy.audit import audit_record, audited_atomic
from madoguchi.privacy.models import AuditEvent

from .models import StaffRole, User
from .tasks import send_account_email
from .tokens import decode_uid, email_verification_token

logger = logging.getLogger(__name__)

USER = "accounts.user"


def _send_after_commit(user: User, kind: str) -> None:
    user_id = user.pk
    transaction.on_commit(lambda: send_account_email.enqueue(user_id=user_id, kind=kind))


def normalise_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


# --- citizens ---------------------------------------------------------------


@transaction.atomic
def citizen_register(
    *, email: str, password: str, display_name: str = "", language: str = "ja"
) -> User | None:
    """Create a citizen account and send the verification e-mail.

    If the address is already registered nothing is created; its owner gets an
    e-mail saying so, and the caller shows the same page either way, so that
    the form does not reveal who has an account.
    """
    email = normalise_email(email)
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        if existing.is_active:
            _send_after_commit(existing, "already_registered")
        logger.info("registration for an existing address user_id=%s", existing.pk)
        return None
    user = User(
        email=email,
        display_name=display_name.strip(),
        kind=User.Kind.CITIZEN,
        preferred_language=language if language in ("ja", "en") else "ja",
    )
    validate_password(password, user)
    user.set_password(password)
    user.save()
    audit_record(action=AuditEvent.Action.CREATE, object_type=USER, object_id=user.pk,
                 fields=["email", "display_name", "password"], purpose="利用者登録")  # fmt: skip
    _send_after_commit(user, "verify_email")
    logger.info("citizen registered user_id=%s", user.pk)
    return user


@transaction.atomic
def citizen_verify_email(*, uidb64: str, token: str) -> User | None:
    uid = decode_uid(uidb64)
    user = User.objects.select_for_update().filter(pk=uid, is_active=True).first() if uid else None
    if user is None or not email_verification_token.check_token(user, token):
        return None
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    audit_record(action=AuditEvent.Action.CHANGE, object_type=USER, object_id=user.pk,
                 fields=["email_verified_at"], purpose="メールアドレスの確認", actor=user)  # fmt: skip
    logger.info("e-mail verified user_id=%s", user.pk)
    return user


def email_verification_resend(*, email: str) -> None:
    user = User.objects.filter(
        email=normalise_email(email), is_active=True, email_verified_at__isnull=True
    ).first()
    if user is not None:
        send_account_email.enqueue(user_id=user.pk, kind="verify_email")


def password_reset_request(*, email: str) -> None:
    """Send a reset link if the address belongs to an active account; say nothing either way."""
    user = User.objects.filter(email=normalise_email(email), is_active=True).first()
    if user is not None:
        send_account_email.enqueue(user_id=user.pk, kind="password_reset")
        logger.info("password reset requested user_id=%s", user.pk)


# --- second factor ----------------------------------------------------------


def totp_device_start(*, user: User) -> TOTPDevice:
    """The device being enrolled: an unconfirmed one, kept across page reloads."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, user: User, token: str) -> TOTPDevice | None:
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-id").first()
    if device is None or not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    logger.info("second factor enrolled user_id=%s", user.pk)
    return device


def totp_device_verify(*, user: User, token: str) -> TOTPDevice | None:
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            return device
    return None


@transaction.atomic
def totp_devices_delete(*, user: User, by: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    audit_record(action=AuditEvent.Action.DELETE, object_type="otp_totp.totpdevice", object_id=user.pk,
                 fields=["second_factor"], purpose="2段階認証の解除・リセット", actor=by)  # fmt: skip
    logger.info("second factor removed user_id=%s by_user_id=%s", user.pk, by.pk)


# --- staff ------------------------------------------------------------------


@dataclass(frozen=True)
class StaffChange:
    user: User
    created: bool


def _check_can_manage(by: User, department: Department) -> None:
    if not (
        by.has_role(StaffRole.Role.DEPT_ADMIN, department.pk) or by.has_global_role(StaffRole.Role.SYSADMIN)
    ):
        raise PermissionDenied


def _check_roles(roles: Iterable[str], by: User) -> list[str]:
    roles = sorted(set(roles))
    if not roles:
        raise ValidationError({"roles": _("役割を一つ以上選んでください。")})
    unknown = [r for r in roles if r not in StaffRole.Role.values]
    if unknown:
        raise ValidationError({"roles": _("選べない役割です。")})
    # City-wide roles are given only by a system administrator.
    if any(r in StaffRole.GLOBAL_ROLES for r in roles) and not by.has_global_role(StaffRole.Role.SYSADMIN):
        raise ValidationError(
            {"roles": _("DX推進担当とシステム管理者の役割は、システム管理者だけが付与できます。")}
        )
    return roles


def staff_member_add(
    *, by: User, department: Department, email: str, display_name: str, roles: Iterable[str]
) -> StaffChange:
    """Give a person roles in a department, creating (and inviting) the account if new."""
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type=USER, department_code=department.code,
                 fields=["email", "display_name", "roles"], purpose="職員の登録", actor=by) as audit:  # fmt: skip
        change = _staff_member_add(by=by, department=department, email=email, display_name=display_name,
                                   roles=roles)  # fmt: skip
        audit.success(object_id=change.user.pk,
                      action=AuditEvent.Action.CREATE if change.created else AuditEvent.Action.CHANGE)  # fmt: skip
    return change


def _staff_member_add(*, by, department, email, display_name, roles) -> StaffChange:
    _check_can_manage(by, department)
    roles = _check_roles(roles, by)
    email = normalise_email(email)
    user = User.objects.filter(email=email).first()
    created = user is None
    if user is not None and user.kind != User.Kind.STAFF:
        raise ValidationError(
            {
                "email": _(
                    "このメールアドレスは市民のアカウントで使われています。職員用のアドレスを入力してください。"
                )
            }
        )
    if created:
        user = User.objects.create_user(email, None, display_name=display_name.strip(), kind=User.Kind.STAFF)
    elif not user.is_active:
        user.is_active = True
        user.deactivated_at = None
        user.save(update_fields=["is_active", "deactivated_at"])
    for role in roles:
        StaffRole.objects.get_or_create(
            user=user, department=department, role=role, defaults={"granted_by": by}
        )
    _sync_admin_flag(user)
    if created:
        _send_after_commit(user, "staff_invitation")
    logger.info("staff member added user_id=%s department=%s by_user_id=%s", user.pk, department.code, by.pk)
    return StaffChange(user, created)


def staff_roles_set(*, by: User, department: Department, user: User, roles: Iterable[str]) -> None:
    """Replace the roles a staff member holds in one department."""
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type=USER, object_id=user.pk,
                 department_code=department.code, fields=["roles"], purpose="職員の役割の変更", actor=by) as audit:  # fmt: skip
        _staff_roles_set(by=by, department=department, user=user, roles=roles)
        audit.success()


def _staff_roles_set(*, by, department, user, roles) -> None:
    _check_can_manage(by, department)
    roles = _check_roles(roles, by)
    current = set(StaffRole.objects.filter(user=user, department=department).values_list("role", flat=True))
    if by.pk == user.pk and StaffRole.Role.DEPT_ADMIN in current and StaffRole.Role.DEPT_ADMIN not in roles:
        raise ValidationError(
            {"roles": _("自分自身の課管理者の役割は外せません。ほかの課管理者に依頼してください。")}
        )
    removed_global = (current - set(roles)) & StaffRole.GLOBAL_ROLES
    if removed_global and not by.has_global_role(StaffRole.Role.SYSADMIN):
        raise ValidationError(
            {"roles": _("DX推進担当とシステム管理者の役割は、システム管理者だけが変更できます。")}
        )
    StaffRole.objects.filter(user=user, department=department).exclude(role__in=roles).delete()
    for role in roles:
        StaffRole.objects.get_or_create(
            user=user, department=department, role=role, defaults={"granted_by": by}
        )
    _sync_admin_flag(user)
    logger.info("staff roles changed user_id=%s department=%s by_user_id=%s", user.pk, department.code, by.pk)


def staff_member_remove(*, by: User, department: Department, user: User) -> None:
    """Take all of a person's roles in a department; with none left anywhere, the account is closed."""
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type=USER, object_id=user.pk,
                 department_code=department.code, fields=["roles", "is_active"], purpose="職員を課から外す",
                 actor=by) as audit:  # fmt: skip
        _staff_member_remove(by=by, department=department, user=user)
        audit.success()


def _staff_member_remove(*, by, department, user) -> None:
    _check_can_manage(by, department)
    if by.pk == user.pk:
        raise ValidationError(_("自分自身を課から外すことはできません。"))
    if StaffRole.objects.filter(
        user=user, department=department, role__in=StaffRole.GLOBAL_ROLES
    ).exists() and not by.has_global_role(StaffRole.Role.SYSADMIN):
        raise ValidationError(_("DX推進担当とシステム管理者の役割は、システム管理者だけが変更できます。"))
    StaffRole.objects.filter(user=user, department=department).delete()
    if not StaffRole.objects.filter(user=user).exists():
        user.is_active = False
        user.deactivated_at = timezone.now()
        user.save(update_fields=["is_active", "deactivated_at"])
        _end_sessions(user)
    _sync_admin_flag(user)
    logger.info(
        "staff member removed user_id=%s department=%s by_user_id=%s", user.pk, department.code, by.pk
    )


def _end_sessions(user: User) -> None:
    from madoguchi.core.models import Session

    Session.objects.filter(user=user).delete()


def _sync_admin_flag(user: User) -> None:
    """Django's admin site is for system administrators only, and they may do everything there."""
    is_admin = StaffRole.objects.filter(user=user, role=StaffRole.Role.SYSADMIN).exists()
    if user.is_staff != is_admin or user.is_superuser != is_admin:
        user.is_staff = user.is_superuser = is_admin
        user.save(update_fields=["is_staff", "is_superuser"])
    user.__dict__.pop("role_set", None)


@transaction.atomic
def staff_account_create(
    *, email: str, display_name: str, password: str | None, roles: Iterable[tuple[Department, str]]
) -> User:
    """Create or update a staff account directly (operator command and demo data; no invitation)."""
    email = normalise_email(email)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, kind=User.Kind.STAFF)
    user.display_name = display_name
    user.kind = User.Kind.STAFF
    user.is_active = True
    if password:
        validate_password(password, user)
        user.set_password(password)
    elif not user.pk:
        user.set_unusable_password()
    user.save()
    for department, role in roles:
        StaffRole.objects.get_or_create(user=user, department=department, role=role)
    _sync_admin_flag(user)
    return user
