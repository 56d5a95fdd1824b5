"""Notices (the citizen's message box, each also sent by e-mail), the message templates staff edit,
and the reminders' switches, opt-outs and sending record."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.fields import EncryptedTextField
from madoguchi.privacy.registry import Retention, no_personal_data, personal_data_file

NOTICE_RETENTION = timedelta(days=2 * 365)  # notices tied to no submission (most reminders)
REMINDER_RECORD_RETENTION = timedelta(days=2 * 365)
LANGUAGES = [("ja", "日本語"), ("en", "English")]


@personal_data_file(
    name="お知らせ（メッセージボックス）",
    department="ict",
    purpose="申請の受付・状況・補正・決定や、期限などのお知らせを本人に届け、マイページで確かめられるようにするため",
    items=(
        "件名",
        "本文（手続名、受付番号、状況、補正の理由、期限など）",
        "お知らせのページ",
        "作成日時・既読日時",
        "メールの送信状況",
    ),
    subjects="オンライン窓口のアカウントを持つ市民",
    sources="申請の受付・処理のとき、又はリマインダーとして自動で作成",
    sensitive=True,
    retention=Retention(
        period="申請に関するものは申請データと同じ（申請の消去とともに消去）。申請に結び付かないもの（リマインダーなど）は作成から2年",
        expired=lambda now: Notice.objects.filter(
            submission__isnull=True, created_at__lt=now - NOTICE_RETENTION
        ),
        expiry_of=lambda n: n.created_at + NOTICE_RETENTION,
    ),
    in_register=False,
    excluded_reason="申請者への連絡の控えであり、手続ごとのファイル（申請データ）に含む",
)
class Notice(models.Model):
    """One message to one citizen: shown on My page, and sent by e-mail in the background."""

    class EmailStatus(models.TextChoices):
        PENDING = "pending", _("送信待ち")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("送信できず")
        SKIPPED = "skipped", _("送信しない")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("種類"), max_length=40)
    # Rendered once, in the user's language, from the kind's template; may hold names and reasons.
    subject = EncryptedTextField(_("件名"))
    body = EncryptedTextField(_("本文"))
    # A path inside the site (never a full address, never personal data).
    link = models.CharField(_("リンク"), max_length=300, blank=True)
    submission = models.ForeignKey(
        "submissions.Submission", on_delete=models.CASCADE, null=True, blank=True, related_name="notices"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="notices"
    )
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    read_at = models.DateTimeField(_("既読日時"), null=True, blank=True)
    # E-mail delivery: retried with backoff while the mail server is unreachable.
    email_status = models.CharField(
        _("メール"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("送信の試行回数"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("最後のエラー"), max_length=100, blank=True)  # the exception's class only
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("お知らせ")
        verbose_name_plural = _("お知らせ")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notice_user_newest"),
            models.Index(fields=["email_status", "next_attempt_at"], name="notice_delivery"),
            models.Index(fields=["created_at"], name="notice_created"),
        ]

    def __str__(self) -> str:
        return f"notice {self.pk} ({self.kind})"

    @property
    def kind_label(self) -> str:
        from .kinds import kind_label

        return kind_label(self.kind)

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class MessageTemplate(models.Model):
    """A template staff edited for one kind of notice in one language (the shipped default otherwise)."""

    kind = models.CharField(_("種類"), max_length=40)
    language = models.CharField(_("言語"), max_length=5, choices=LANGUAGES)
    subject = models.CharField(_("件名"), max_length=200)
    body = models.TextField(_("本文"))
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("お知らせのひな形")
        verbose_name_plural = _("お知らせのひな形")
        constraints = [
            models.UniqueConstraint(fields=["kind", "language"], name="message_template_one_per_language"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}.{self.language}"


class ReminderSetting(models.Model):
    """The city's switch for one kind of reminder (on unless a row says otherwise)."""

    kind = models.CharField(_("種類"), max_length=40, unique=True)
    enabled = models.BooleanField(_("送る"), default=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("リマインダーの設定")
        verbose_name_plural = _("リマインダーの設定")

    def __str__(self) -> str:
        return f"{self.kind}: {'on' if self.enabled else 'off'}"


@personal_data_file(
    name="リマインダーの受信設定",
    department="ict",
    purpose="市民が受け取らないと決めたリマインダーを送らないため",
    items=("利用者ID", "受け取らないリマインダーの種類", "設定日時"),
    subjects="リマインダーを受け取らないと設定した市民",
    sources="本人が設定",
    retention=Retention(
        period="本人が設定を戻すまで（アカウントの削除とともに消去）",
        manual="本人が受け取る設定に戻すと削除され、アカウントの削除とともに消去される（CASCADE）。",
    ),
    in_register=False,
    excluded_reason="オンライン窓口利用者アカウントのファイルの一部",
)
class ReminderOptOut(models.Model):
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="reminder_opt_outs")
    kind = models.CharField(_("種類"), max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("受け取らないリマインダー")
        verbose_name_plural = _("受け取らないリマインダー")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="reminder_opt_out_once")]

    def __str__(self) -> str:
        return f"opt-out {self.kind} user {self.user_id}"


@personal_data_file(
    name="リマインダーの送信記録",
    department="ict",
    purpose="同じリマインダーを二度送らないため",
    items=("利用者ID", "リマインダーの種類", "対象（決定・下書き・補正依頼などのID）", "期間", "送信日時"),
    subjects="リマインダーを受け取った市民",
    sources="リマインダーを送ったときに自動で記録",
    retention=Retention(
        period="送信から2年",
        expired=lambda now: ReminderSent.objects.filter(sent_at__lt=now - REMINDER_RECORD_RETENTION),
        expiry_of=lambda r: r.sent_at + REMINDER_RECORD_RETENTION,
    ),
    in_register=False,
    excluded_reason="1年を超えて保有するが、お知らせの送信の事務処理のための記録（お知らせのファイルの一部）",
)
class ReminderSent(models.Model):
    """A reminder sent: (kind, user, what it was about, which period) at most once."""

    kind = models.CharField(max_length=40)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    subject_key = models.CharField(max_length=100)
    period = models.CharField(max_length=20)
    sent_at = models.DateTimeField(default=timezone.now)
    notice = models.ForeignKey(Notice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("リマインダーの送信記録")
        verbose_name_plural = _("リマインダーの送信記録")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "user", "subject_key", "period"], name="reminder_sent_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_key} {self.period}"


no_personal_data(MessageTemplate, "お知らせの文面のひな形（個人を含まない。更新した職員のIDのみ）")
no_personal_data(ReminderSetting, "市としてのリマインダーの切り替え（個人情報を含まない）")
