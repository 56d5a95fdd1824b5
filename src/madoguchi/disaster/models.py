"""Disaster mode: the declared disaster (at most one active, enforced by a partial unique index),
the triage rows of 罹災証明 cases (town × the applicant's own damage estimate), and the tokens
with which the city's disaster-response system switches the mode through the API."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.registry import PersonalDataFile, Retention, no_personal_data, register_file


class Disaster(models.Model):
    """A named disaster. ``is_active`` is True from the declaration until the end, then False;
    the database allows one active row only (``disaster_one_active``)."""

    class Kind(models.TextChoices):
        # The values of 罹災原因 (``cause``) in data/procedures/risai_shomei.yaml.
        EARTHQUAKE = "earthquake", _("地震")
        TSUNAMI = "tsunami", _("津波")
        STORM_FLOOD = "storm_flood", _("台風・大雨・洪水")
        LANDSLIDE = "landslide", _("土砂災害")
        FIRE = "fire", _("火災")
        OTHER = "other", _("その他")

    name = models.CharField(_("災害の名前"), max_length=100)
    kind = models.CharField(_("災害の種類"), max_length=20, choices=Kind.choices)
    occurred_on = models.DateField(_("発生日"))
    area = models.JSONField(_("被害のあった地域（町字）"), default=list, blank=True)
    is_active = models.BooleanField(default=True)
    started_at = models.DateTimeField(_("開始日時"), default=timezone.now)
    ended_at = models.DateTimeField(_("終了日時"), null=True, blank=True)
    declared_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")  # fmt: skip
    ended_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")  # fmt: skip
    declared_via = models.CharField(max_length=40, blank=True)  # "staff" or "api token <prefix>"
    ended_via = models.CharField(max_length=40, blank=True)
    urgent_datasets = models.JSONField(default=list, blank=True)  # ids this declaration marked urgent

    class Meta:
        verbose_name = _("災害")
        verbose_name_plural = _("災害")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="disaster_one_active"
            ),
            models.CheckConstraint(
                condition=Q(is_active=True, ended_at__isnull=True)
                | Q(is_active=False, ended_at__isnull=False),
                name="disaster_active_iff_not_ended",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TriageEntry(models.Model):
    """One 罹災証明 case's place in the triage table, derived once when the case opens."""

    UNKNOWN_TOWN = ""  # shown as 不明

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="triage"
    )
    department = models.ForeignKey("organisations.Department", on_delete=models.CASCADE, related_name="+")
    town = models.CharField(max_length=60, blank=True)
    estimate = models.CharField(max_length=12, blank=True)
    opened_at = models.DateTimeField()
    # Follows the case (signals.py): counting needs no join with the cases table.
    open = models.BooleanField(default=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["department", "open", "town", "estimate"], name="disaster_triage_open_group"
            ),
            models.Index(fields=["department", "opened_at"], name="disaster_triage_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.town or '不明'} / {self.estimate or '-'}"


class DisasterToken(models.Model):
    """A token that may do one thing: declare and end disaster mode (``/api/disaster/``).

    Separate from the cases API's and the open-data API's tokens: it reads no case and writes no
    dataset, and theirs cannot switch the mode. Made and revoked by a システム管理者 or DX推進担当
    (or 総務課's 課管理者); only the SHA-256 is stored, with the first 8 characters to recognise it."""

    department = models.ForeignKey("organisations.Department", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("名前"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


no_personal_data(Disaster, "災害モードの切替（災害名・種類・日付・町字。切り替えた職員の参照のみ）")
no_personal_data(DisasterToken, "災害モードを切り替える連携システムの鍵（ハッシュのみ）")
register_file(PersonalDataFile(
    model=TriageEntry, name="罹災証明の集計（町字・被害の見込み）", department="shisanzei",
    purpose="罹災証明の申請を地域と被害の程度で振り分けるため", items=("町字", "申請者による被害の見込み", "受付日時"),
    subjects="罹災証明書の交付を申請した者", sources="申請の内容から自動で記録",
    retention=Retention(period="案件と同じ", manual="案件の消去とともに消去される（CASCADE）。"),
    in_register=False, excluded_reason="罹災証明書交付申請ファイルの一部",
))  # fmt: skip
