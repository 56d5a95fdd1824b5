"""Dashboards: the citizens' satisfaction survey and the monthly KPI snapshot (issue 10, items 4, 5, 7)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.registry import Retention, no_personal_data, personal_data_file

SCORE = [MinValueValidator(1), MaxValueValidator(5)]


@personal_data_file(
    name="申請後アンケート",
    department="ict",
    purpose="手続の簡単さ・便利さ・分かりやすさを測り、手続を改善するため（EBPM）",
    items=(
        "評価（簡単・便利・分かりやすい）",
        "自由記述（個人に関する記述を含みうる）",
        "回答日時",
        "対象の申請",
    ),
    subjects="申請をした者のうち、アンケートに回答した者",
    sources="本人が回答",
    sensitive=False,
    retention=Retention(
        period="申請データと同じ（手続ごとの保存期間）",
        manual="申請データの消去とともに消去される（CASCADE）。",
    ),
    in_register=False,
    excluded_reason="手続ごとのファイル（申請データ）の一部として掲載",
)
class SatisfactionResponse(models.Model):
    """One answer per submission: 簡単・便利・分かりやすい (1–5 each) and an optional comment."""

    submission = models.OneToOneField(
        "submissions.Submission", on_delete=models.CASCADE, related_name="satisfaction"
    )
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("organisations.Department", on_delete=models.PROTECT, related_name="+")
    easy = models.PositiveSmallIntegerField(_("簡単だった"), validators=SCORE)
    convenient = models.PositiveSmallIntegerField(_("便利だった"), validators=SCORE)
    clear = models.PositiveSmallIntegerField(_("分かりやすかった"), validators=SCORE)
    comment = models.TextField(_("ご意見"), blank=True)
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["department", "answered_at"], name="satisfaction_dept_at")]

    def __str__(self) -> str:
        return f"satisfaction {self.pk}"


class KpiSnapshot(models.Model):
    """The automatic KPIs of one procedure in one month, computed from the cases by
    ``services.kpi_refresh`` (daily, and at the 1st of each month for the month that closed).

    Applications and corrections count the cases *received* in the month; processing counts the
    cases *completed* (final status other than withdrawn) in the month; satisfaction the answers given in the
    month; the backlog (open and overdue cases) is as it stood at the refresh, on the current month's row."""

    month = models.DateField(_("年月"))  # the first day of the month
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("organisations.Department", on_delete=models.CASCADE, related_name="+")
    online = models.PositiveIntegerField(default=0)
    counter = models.PositiveIntegerField(default=0)
    paper = models.PositiveIntegerField(default=0)
    received = models.PositiveIntegerField(default=0)  # every channel, including any other
    corrected = models.PositiveIntegerField(default=0)  # received cases with at least one 補正依頼
    completed = models.PositiveIntegerField(default=0)
    within_standard = models.PositiveIntegerField(default=0)
    processing_days_sum = models.PositiveIntegerField(default=0)  # business days
    satisfaction_n = models.PositiveIntegerField(default=0)  # survey answers given in the month
    easy_sum = models.PositiveIntegerField(default=0)
    convenient_sum = models.PositiveIntegerField(default=0)
    clear_sum = models.PositiveIntegerField(default=0)
    open_cases = models.PositiveIntegerField(default=0)  # backlog at the refresh (current month's row only)
    overdue_cases = models.PositiveIntegerField(default=0)  # open and past their due date, at the refresh
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "procedure"], name="kpi_snapshot_month_proc")]
        indexes = [models.Index(fields=["department", "month"], name="kpi_snapshot_dept_month")]

    def __str__(self) -> str:
        return f"kpi {self.month:%Y-%m} {self.procedure_id}"


no_personal_data("dashboards.kpisnapshot", "手続・月ごとの件数の集計（個人を識別できない）")
