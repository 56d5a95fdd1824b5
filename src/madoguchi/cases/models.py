"""Cases: every submission becomes work in its department's queue."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.fields import EncryptedJSONField
from madoguchi.privacy.registry import (
    PersonalDataFile,
    Retention,
    no_personal_data,
    personal_data_file,
    register_file,
)


@personal_data_file(
    name="案件処理記録",
    department="ict",
    purpose="申請を担当課が審査し、決定し、申請者に連絡するため",
    items=(
        "申請者の氏名・フリガナ",
        "受付番号",
        "処理状況",
        "担当者",
        "期限",
        "内部メモ",
        "申請者とのやりとり",
        "決定内容",
    ),
    subjects="申請をした者",
    sources="申請の受付時に作成し、職員が記録",
    retention=Retention(
        period="申請データと同じ（手続ごとの保存期間）",
        manual="申請データの消去とともに消去される（CASCADE）。",
    ),
    sensitive=True,
    in_register=False,
    excluded_reason="手続ごとのファイルとして帳簿に掲載",
)
class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey("submissions.Submission", on_delete=models.CASCADE, related_name="cases")
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.PROTECT, related_name="cases")
    department = models.ForeignKey("organisations.Department", on_delete=models.PROTECT, related_name="cases")
    workflow = models.CharField(_("ワークフロー"), max_length=40, default="standard")
    # A submission that opens several cases (the definition's ``cases:``) names each one's part;
    # blank for the procedure's own case.
    title = models.CharField(_("案件の名前"), max_length=120, blank=True)
    title_en = models.CharField(max_length=120, blank=True)
    status = models.CharField(_("状況"), max_length=40)
    assignee = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_cases"
    )
    receipt_number = models.CharField(_("受付番号"), max_length=30, db_index=True)
    applicant_name = models.CharField(_("申請者"), max_length=120, blank=True)
    applicant_kana = models.CharField(_("申請者（フリガナ）"), max_length=120, blank=True)
    channel = models.CharField(_("受付方法"), max_length=10)
    received_on = models.DateField(_("受付日"))
    due_on = models.DateField(_("期限"))
    paused_since = models.DateField(_("補正で停止した日"), null=True, blank=True)
    closed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        indexes = [
            models.Index(fields=["department", "status", "due_on"], name="case_queue_status_due"),
            models.Index(fields=["department", "due_on"], name="case_queue_due"),
            models.Index(fields=["department", "received_on"], name="case_queue_received"),
            models.Index(fields=["department", "assignee", "status"], name="case_queue_assignee"),
            models.Index(fields=["department", "procedure", "status"], name="case_queue_procedure"),
            # The default queue (open cases by due date) stays a short index walk however many are closed.
            models.Index(
                fields=["department", "due_on"],
                name="case_queue_open_due",
                condition=models.Q(closed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"case {self.receipt_number}"

    def title_in(self, language: str) -> str:
        """This case's part of the filing ("" for a procedure that opens one case)."""
        return (self.title_en if language == "en" and self.title_en else self.title) or ""


class CaseEvent(models.Model):
    """The case's history, append-only: who, when, from, to, comment."""

    class Kind(models.TextChoices):
        STATUS = "status", _("状況の変更")
        ASSIGN = "assign", _("担当者の変更")
        CORRECTION = "correction", _("補正依頼")
        RESUBMITTED = "resubmitted", _("補正の提出")
        DECISION_PROPOSED = "decision_proposed", _("決定案")
        DECISION_RETURNED = "decision_returned", _("決定案の差戻し")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=40, blank=True)
    to_status = models.CharField(max_length=40, blank=True)
    comment = models.TextField(blank=True)
    # Before/after values of corrected answers (names, addresses, health answers): encrypted,
    # NULL when the event changed nothing (most events: nothing to encrypt on the submit path).
    changes = EncryptedJSONField(null=True, blank=True, default=None)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.from_status}->{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk and not self._is_reencryption(kwargs.get("update_fields")):
            raise ValueError("the case history is append-only")
        super().save(*args, **kwargs)

    def _is_reencryption(self, update_fields) -> bool:
        """``manage.py rotate_keys`` saves ``changes`` again under the new key: allowed only when
        nothing else is written and the value is the one stored."""
        if set(update_fields or ()) != {"changes"}:
            return False
        stored = CaseEvent.objects.filter(pk=self.pk).values_list("changes", flat=True).first()
        return stored == self.changes


class CaseNote(models.Model):
    """An internal note: never shown to the citizen."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(_("メモ"))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk}"


class CaseMessage(models.Model):
    """The thread between the department and the citizen."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    from_staff = models.BooleanField()
    text = models.TextField(_("本文"))
    at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk}"


class CorrectionRequest(models.Model):
    """補正依頼: the fields to fix and why; the answer records what changed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="corrections")
    fields = models.JSONField(_("直す項目"))
    reason = models.TextField(_("理由"))
    requested_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"correction {self.pk}"


class Decision(models.Model):
    """A decision: proposed by a 担当者, approved by a 決裁者 where the workflow needs one."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("決裁待ち")
        APPROVED = "approved", _("決裁済み")
        RETURNED = "returned", _("差戻し")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(_("決定"), max_length=40)
    reason = models.TextField(_("理由"))
    state = models.CharField(max_length=20, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    notice = models.ForeignKey(
        "privacy.StoredFile", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-proposed_at"]

    def __str__(self) -> str:
        return f"decision {self.outcome} ({self.state})"


class SavedFilter(models.Model):
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="saved_case_filters")
    department = models.ForeignKey("organisations.Department", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("名前"), max_length=60)
    query = models.CharField(max_length=500)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A token for a core system or RPA: one department, read-only or read-write."""

    class Scope(models.TextChoices):
        READ = "read", _("読み取り")
        WRITE = "write", _("読み書き")

    department = models.ForeignKey(
        "organisations.Department", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名前"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


def _part_of_case_file(model, name: str, items: tuple[str, ...]) -> None:
    register_file(PersonalDataFile(
        model=model, name=name, department="ict", purpose="申請を審査し、申請者と連絡するため", items=items,
        subjects="申請をした者", sources="職員又は申請者が記録", sensitive=True,
        retention=Retention(period="案件と同じ", manual="案件の消去とともに消去される（CASCADE）。"),
        in_register=False, excluded_reason="案件処理記録の一部として手続ごとのファイルに含む",
    ))  # fmt: skip


_part_of_case_file(
    CaseEvent, "案件の履歴", ("操作した職員", "日時", "状況", "コメント", "補正で変わった内容")
)
_part_of_case_file(CaseNote, "案件の内部メモ", ("メモ", "記入した職員", "日時"))
_part_of_case_file(CaseMessage, "申請者とのやりとり", ("本文", "送った人", "日時"))
_part_of_case_file(CorrectionRequest, "補正依頼", ("直す項目", "理由", "依頼した職員", "日時"))
_part_of_case_file(Decision, "決定", ("決定", "理由", "決定した職員", "決裁した職員", "決定通知書"))
no_personal_data("cases.savedfilter", "職員の絞り込み条件（個人情報を含まない）")
no_personal_data("cases.apitoken", "連携システムの鍵（ハッシュのみ）")
