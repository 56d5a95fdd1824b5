"""The city's DX policy as data (docs/dx.md).

- ``Initiative`` (A1…B5) with its responsible departments, ``InitiativeAction`` and ``Kpi``;
  ``KpiEntry`` (manual KPI values, append-only: a correction is a new entry that supersedes);
  ``PdcaNote`` (the PDCA log per period).
- ``RegisterEntry``: the procedure register (手続台帳), every procedure the city has.
- ``StandardArea`` and ``StandardMilestone``: the 20 business areas of 標準化 (B②).

Writes go through ``services.py``; reads through ``selectors.py``.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.registry import no_personal_data

R7_DEADLINE = datetime.date(2026, 3, 31)  # 令和7年度末


class Initiative(models.Model):
    code = models.CharField(_("記号"), max_length=4, unique=True)  # "A1" … "B5"
    name = models.CharField(_("取組事項"), max_length=200)
    summary = models.TextField(_("概要"), blank=True)
    departments = models.ManyToManyField(
        "organisations.Department", related_name="dx_initiatives", blank=True
    )
    all_departments = models.BooleanField(_("全ての課"), default=False)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("DX推進方針の取組事項")
        verbose_name_plural = _("DX推進方針の取組事項")

    def __str__(self) -> str:
        return f"{self.label} {self.name}"

    @property
    def label(self) -> str:
        """A① style, as the policy writes it."""
        circled = "①②③④⑤⑥⑦⑧⑨"
        number = int(self.code[1:]) if self.code[1:].isdigit() else 0
        return f"{self.code[0]}{circled[number - 1]}" if 0 < number <= len(circled) else self.code


class InitiativeAction(models.Model):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="actions")
    department = models.ForeignKey(
        "organisations.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # None: 全ての課
    text = models.TextField(_("取組"))
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.text[:40]


class Kpi(models.Model):
    class Kind(models.TextChoices):
        AUTO = "auto", _("自動集計")
        MANUAL = "manual", _("手入力")

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="kpis")
    key = models.SlugField(_("キー"), max_length=50, unique=True)
    name = models.CharField(_("指標"), max_length=200)
    definition = models.TextField(_("定義"), blank=True)
    unit = models.CharField(_("単位"), max_length=20, blank=True)
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices)
    baseline = models.DecimalField(_("基準値"), max_digits=14, decimal_places=2, null=True, blank=True)
    baseline_date = models.DateField(_("基準日"), null=True, blank=True)
    target = models.DecimalField(_("目標値"), max_digits=14, decimal_places=2, null=True, blank=True)
    target_date = models.DateField(_("目標期日"), null=True, blank=True)
    compare = models.BooleanField(_("宮城県平均・全国平均と比べる"), default=False)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["initiative__sort_order", "sort_order", "key"]

    def __str__(self) -> str:
        return self.name


class KpiEntry(models.Model):
    """One value of a manual KPI for a period. Never edited: a correction supersedes."""

    kpi = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="entries")
    period = models.DateField(_("期間"))  # the first day of the month (or the date measured)
    value = models.DecimalField(_("値"), max_digits=14, decimal_places=2)
    miyagi_average = models.DecimalField(
        _("宮城県平均"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    national_average = models.DecimalField(
        _("全国平均"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    note = models.TextField(_("備考"), blank=True)
    is_demo = models.BooleanField(_("デモ値"), default=False)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    entered_at = models.DateTimeField(_("入力日時"), default=timezone.now)

    class Meta:
        ordering = ["kpi", "period", "entered_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.period:%Y-%m-%d} {self.value}"


class PdcaNote(models.Model):
    class Phase(models.TextChoices):
        PLAN = "plan", _("Plan（計画）")
        DO = "do", _("Do（実行）")
        CHECK = "check", _("Check（評価）")
        ACT = "act", _("Act（改善）")

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="pdca_notes")
    phase = models.CharField(_("段階"), max_length=5, choices=Phase.choices)
    period = models.CharField(_("期間"), max_length=40)  # "令和7年度", "2025年度上期" …
    text = models.TextField(_("内容"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.period} {self.phase}"


class RegisterEntry(models.Model):
    """One procedure of the city, online or not (手続台帳)."""

    class Review(models.TextChoices):
        ABOLISH = "abolish", _("廃止")
        CONTINUE = "continue", _("継続")
        REVIEWING = "reviewing", _("見直し中")

    class Online(models.TextChoices):
        MADOGUCHI = "madoguchi", "Madoguchi"
        MYNAPORTAL = "mynaportal", _("マイナポータル")
        ELSEWHERE = "elsewhere", _("その他のシステム")
        NOT_YET = "not_yet", _("未対応")

    number = models.CharField(_("台帳番号"), max_length=60, unique=True)
    name = models.CharField(_("手続名"), max_length=200)
    department = models.ForeignKey("organisations.Department", on_delete=models.PROTECT, related_name="+")
    legal_basis = models.CharField(_("根拠法令"), max_length=300, blank=True)
    yearly_volume = models.PositiveIntegerField(_("年間件数"), null=True, blank=True)
    seal_required = models.BooleanField(_("押印"), default=False)
    paper_required = models.BooleanField(_("書面"), default=False)
    in_person_required = models.BooleanField(_("対面"), default=False)
    review = models.CharField(
        _("見直しの判断"), max_length=10, choices=Review.choices, default=Review.REVIEWING
    )
    review_reason = models.TextField(_("判断の理由"), blank=True)
    online_status = models.CharField(
        _("オンライン化"), max_length=12, choices=Online.choices, default=Online.NOT_YET
    )
    planned_date = models.DateField(_("予定日"), null=True, blank=True)
    procedure = models.OneToOneField(
        "procedures.Procedure",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="register_entry",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["department__sort_order", "number"]

    def __str__(self) -> str:
        return self.name


class StandardArea(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未着手")
        PLANNING = "planning", _("移行計画")
        MIGRATING = "migrating", _("移行作業中")
        MIGRATED = "migrated", _("移行済み")

    code = models.SlugField(_("記号"), max_length=40, unique=True)
    name = models.CharField(_("標準化対象事務"), max_length=100)
    department = models.ForeignKey("organisations.Department", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("移行の状況"), max_length=12, choices=Status.choices, default=Status.NOT_STARTED
    )
    deadline = models.DateField(_("期限"), default=R7_DEADLINE)
    note = models.TextField(_("備考"), blank=True)
    sort_order = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status != self.Status.MIGRATED and today > self.deadline


class StandardMilestone(models.Model):
    area = models.ForeignKey(StandardArea, on_delete=models.CASCADE, related_name="milestones")
    date = models.DateField(_("日付"))
    text = models.CharField(_("内容"), max_length=300)
    done = models.BooleanField(_("完了"), default=False)

    class Meta:
        ordering = ["date", "pk"]

    def __str__(self) -> str:
        return self.text


no_personal_data(Initiative, "DX推進方針の取組事項")
no_personal_data(InitiativeAction, "取組事項ごとの取組（課ごと）")
no_personal_data(Kpi, "取組事項の指標と目標")
no_personal_data(KpiEntry, "手入力の指標の値（入力した職員のIDのみ）")
no_personal_data(PdcaNote, "PDCAの記録（記入した職員のIDのみ）")
no_personal_data(RegisterEntry, "手続台帳（手続の目録。更新した職員のIDのみ）")
no_personal_data(StandardArea, "標準化対象事務の移行状況")
no_personal_data(StandardMilestone, "標準化対象事務のマイルストーン")
