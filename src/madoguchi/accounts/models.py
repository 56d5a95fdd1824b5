"""Accounts: one user table for citizens and staff, and staff roles per department."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.registry import Retention, personal_data_file

DAY = timedelta(days=1)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> User:
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)  # None gives an unusable password
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(kind=User.Kind.STAFF, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


@personal_data_file(
    name="オンライン窓口利用者アカウント",
    department="ict",
    purpose="オンラインで手続を行う市民を識別し、連絡するため",
    items=(
        "メールアドレス",
        "呼び名",
        "パスワード（不可逆に変換）",
        "使う言語",
        "登録日時",
        "最終ログイン日時",
    ),
    subjects="アカウントを登録した市民",
    sources="本人がオンラインで登録",
    retention=Retention(
        period="アカウントの削除まで（メールアドレスが確認されないものは登録から7日）",
        expired=lambda now: User.objects.filter(
            kind=User.Kind.CITIZEN, email_verified_at__isnull=True, date_joined__lt=now - 7 * DAY
        ),
        expiry_of=lambda u: u.date_joined + 7 * DAY,
    ),
    filter_subjects=lambda qs: qs.filter(kind="citizen"),
)
@personal_data_file(
    name="職員アカウント",
    department="ict",
    purpose="職員を識別し、権限に応じた操作だけを許すため",
    items=("メールアドレス", "氏名", "所属と役割", "パスワード（不可逆に変換）", "最終ログイン日時"),
    subjects="市の職員",
    sources="課管理者又はシステム管理者が登録",
    retention=Retention(
        period="異動・退職により無効にしてから5年",
        expired=lambda now: User.objects.filter(
            kind=User.Kind.STAFF, is_active=False, deactivated_at__lt=now - 5 * 365 * DAY
        ),
        expiry_of=lambda u: u.deactivated_at + 5 * 365 * DAY if u.deactivated_at else None,
    ),
    filter_subjects=lambda qs: qs.filter(kind="staff"),
    in_register=False,
    excluded_reason="職員の人事・服務に関する事項を記録するファイル（帳簿への掲載を要しない）",
)
class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: a citizen, or a member of the city's staff.

    ``is_staff`` keeps Django's meaning (may open the admin site) and is given
    only to system administrators; ``kind`` says whether the person works for
    the city at all.
    """

    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("市民")
        STAFF = "staff", _("職員")

    email = models.EmailField(_("メールアドレス"), unique=True)
    display_name = models.CharField(_("表示名"), max_length=100, blank=True)
    kind = models.CharField(_("種別"), max_length=10, choices=Kind.choices, default=Kind.CITIZEN)
    is_active = models.BooleanField(_("有効"), default=True)
    is_staff = models.BooleanField(_("管理サイトを使える"), default=False)
    date_joined = models.DateTimeField(_("登録日時"), default=timezone.now)
    email_verified_at = models.DateTimeField(_("メール確認日時"), null=True, blank=True)
    deactivated_at = models.DateTimeField(_("無効にした日時"), null=True, blank=True)
    preferred_language = models.CharField(
        _("使う言語"), max_length=5, choices=[("ja", "日本語"), ("en", "English")], default="ja"
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("利用者")
        verbose_name_plural = _("利用者")

    def __str__(self) -> str:
        # Never the e-mail address: str() ends up in logs and admin messages.
        return f"{self.get_kind_display()} #{self.pk}"

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def is_city_staff(self) -> bool:
        return self.is_active and self.kind == self.Kind.STAFF

    @property
    def is_citizen(self) -> bool:
        return self.is_active and self.kind == self.Kind.CITIZEN

    @cached_property
    def role_set(self) -> frozenset[tuple[int, str]]:
        """(department id, role) pairs, read once per request."""
        if not self.pk or self.kind != self.Kind.STAFF:
            return frozenset()
        return frozenset(self.staff_roles.values_list("department_id", "role"))

    def has_role(self, role: str, department_id: int | None = None) -> bool:
        return any(r == role and (department_id is None or d == department_id) for d, r in self.role_set)

    def has_global_role(self, role: str) -> bool:
        """DX推進担当 and システム管理者 act city-wide, wherever they sit."""
        return role in StaffRole.GLOBAL_ROLES and self.has_role(role)

    @property
    def is_caseworker(self) -> bool:
        """Works cases of some department: 担当者, 決裁者 or 課管理者 there."""
        return any(
            self.has_role(r)
            for r in (StaffRole.Role.HANDLER, StaffRole.Role.APPROVER, StaffRole.Role.DEPT_ADMIN)
        )

    @property
    def can_manage_procedures(self) -> bool:
        return self.has_role(StaffRole.Role.DEPT_ADMIN) or self.has_global_role(StaffRole.Role.SYSADMIN)

    @property
    def can_read_audit(self) -> bool:
        """課管理者 (their departments' trail) and 監査担当 (all of it)."""
        return self.has_role(StaffRole.Role.DEPT_ADMIN) or self.has_global_role(StaffRole.Role.AUDITOR)

    @property
    def department_ids(self) -> frozenset[int]:
        return frozenset(d for d, _r in self.role_set)


@personal_data_file(
    name="職員の所属と役割",
    department="ict",
    purpose="職員の権限を課ごとに管理するため",
    items=("職員ID", "課", "役割", "付与日時", "付与した職員"),
    subjects="市の職員",
    sources="課管理者又はシステム管理者が登録",
    retention=Retention(
        period="役割を外すまで（外したときに削除）", manual="課管理者が役割を外すと削除される。"
    ),
    in_register=False,
    excluded_reason="職員の人事・服務に関する事項を記録するファイル（帳簿への掲載を要しない）",
)
class StaffRole(models.Model):
    """A role a staff member holds in a department (兼務 gives several)."""

    class Role(models.TextChoices):
        HANDLER = "handler", _("担当者")
        APPROVER = "approver", _("決裁者")
        DEPT_ADMIN = "dept_admin", _("課管理者")
        DX_OFFICER = "dx_officer", _("DX推進担当")
        SYSADMIN = "sysadmin", _("システム管理者")
        AUDITOR = "auditor", _("監査担当")

    GLOBAL_ROLES = frozenset({Role.DX_OFFICER, Role.SYSADMIN, Role.AUDITOR})

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_roles")
    department = models.ForeignKey(
        "organisations.Department", on_delete=models.PROTECT, related_name="staff_roles"
    )
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(_("付与日時"), default=timezone.now)
    granted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("職員の役割")
        verbose_name_plural = _("職員の役割")
        ordering = ["department__sort_order", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "department", "role"], name="staff_role_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.department} / {self.get_role_display()}"
