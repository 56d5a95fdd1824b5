"""Drafts and submissions. Both hold the answers encrypted (they include My Numbers,
health and bank details), and both stay bound to the procedure version they started on."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from madoguchi.privacy.fields import EncryptedJSONField
from madoguchi.privacy.registry import Retention, no_personal_data, personal_data_file

DRAFT_LIFETIME = timedelta(days=30)
ANONYMOUS_DRAFT_LIFETIME = timedelta(days=1)


class Bundle(models.Model):
    """Several procedures filed in one go (a life-event guide's list): shared answers asked once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="bundles")
    guide = models.CharField(max_length=50, blank=True)
    submission_token = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("まとめて申請")
        verbose_name_plural = _("まとめて申請")

    def __str__(self) -> str:
        return f"bundle {self.pk}"


@personal_data_file(
    name="申請の下書き",
    department="ict",
    purpose="オンライン申請の入力途中の内容を、本人が後で続けられるように保存するため",
    items=("申請書の記載事項（手続による）", "添付ファイル"),
    subjects="オンライン申請を入力中の者",
    sources="本人が入力",
    sensitive=True,
    retention=Retention(
        period="最後の保存から30日（ログインしていない場合は1日）",
        # An accepted draft is a filing on its way to becoming a submission: never purged as a draft.
        expired=lambda now: Draft.objects.filter(expires_at__lt=now, accepted_at__isnull=True),
        expiry_of=lambda d: d.expires_at,
    ),
    in_register=False,
    excluded_reason="1年以内に消去する記録のみのファイル（帳簿への掲載を要しない）",
)
class Draft(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey("procedures.ProcedureVersion", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, null=True, blank=True, related_name="drafts"
    )
    session_key = models.CharField(max_length=64, blank=True)  # indexed below (no index for LIKE)
    data = EncryptedJSONField(default=dict)
    submission_token = models.UUIDField(default=uuid.uuid4, editable=False)
    # A JPKI signature over the answers as they stand (cleared whenever an answer changes).
    signature = EncryptedJSONField(null=True, blank=True)
    # One of several procedures filed in one go; its shared answers are asked on the bundle's page.
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, null=True, blank=True, related_name="drafts")
    bundle_position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField()
    # Accepted (``services.submission_accept``): the citizen was told "受け付けました" with this
    # receipt number at this time, and the worker turns the draft into the submission with this id
    # (``submission_materialize``). From then on the draft can no longer be changed or purged.
    accepted_at = models.DateTimeField(null=True, blank=True)
    submission_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    receipt_number = models.CharField(max_length=30, blank=True, editable=False)
    # When the task that makes the submission was queued: by a worker's dispatcher, which queues
    # the accepted drafts in batches (``services.accepted_dispatch``), or in the request itself
    # when there is no worker (the immediate task backend).
    dispatched_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("下書き")
        verbose_name_plural = _("下書き")
        indexes = [
            models.Index(fields=["expires_at"]),
            models.Index(fields=["accepted_at"]),
            # Only ever compared for equality: a plain index, without the one for LIKE that
            # db_index=True adds on PostgreSQL (every accepted filing updates every index).
            models.Index(fields=["session_key"], name="draft_session_key"),
            # The dispatcher's queue: accepted and not queued yet, oldest first (small: empty at rest).
            models.Index(
                fields=["accepted_at"], name="draft_to_dispatch",
                condition=models.Q(accepted_at__isnull=False, dispatched_at__isnull=True),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"draft {self.pk}"


@personal_data_file(
    name="オンライン申請データ",
    department="ict",
    purpose="オンライン・窓口・紙で受け付けた申請を、担当課が審査し処理するため",
    items=("申請書の記載事項（手続による）", "添付ファイル", "受付番号", "受付日時"),
    subjects="申請をした者及び申請書に記載された者",
    sources="本人又は代理人が提出",
    sensitive=True,
    retention=Retention(
        period="手続ごとに定める期間（手続の定義の retention）",
        expired=lambda now: Submission.objects.filter(retain_until__lt=now),
        expiry_of=lambda s: s.retain_until,
    ),
    in_register=False,
    excluded_reason="手続ごとのファイルとして帳簿に掲載",
)
class Submission(models.Model):
    class Channel(models.TextChoices):
        ONLINE = "online", _("オンライン")
        COUNTER = "counter", pgettext_lazy("channel", "窓口")
        PAPER = "paper", _("紙")

    class Status(models.TextChoices):
        RECEIVED = "received", _("受付済み")

    class FiledAs(models.TextChoices):
        SELF = "self", _("本人・家族")
        PROXY = "proxy", _("代理人（委任状）")
        AGENT = "agent", _("提出代行者")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    receipt_number = models.CharField(_("受付番号"), max_length=30, unique=True)
    idempotency_key = models.UUIDField(unique=True, editable=False)
    version = models.ForeignKey(
        "procedures.ProcedureVersion", on_delete=models.PROTECT, related_name="submissions"
    )
    procedure = models.ForeignKey(
        "procedures.Procedure", on_delete=models.PROTECT, related_name="submissions"
    )
    department = models.ForeignKey("organisations.Department", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="submissions"
    )
    data = EncryptedJSONField()
    channel = models.CharField(_("受付方法"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    # Filed by a registered 提出代行者 on behalf of the person in the answers (None: filed by the person).
    agent = models.ForeignKey("identity.RegisteredAgent", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="submissions")  # fmt: skip
    # Who filed, from the definition's filer question: the person (or family), a 代理人 with a 委任状,
    # or a 提出代行者 (then ``agent`` says which registration).
    filed_as = models.CharField(_("申請者"), max_length=10, choices=FiledAs.choices, default=FiledAs.SELF)
    # Filed together with other procedures (a bundle): staff see the related cases.
    bundle = models.ForeignKey(
        Bundle, on_delete=models.SET_NULL, null=True, blank=True, related_name="submissions"
    )
    status = models.CharField(_("状況"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    # The member of staff who typed it in (counter and paper channels); None when the citizen filed online.
    entered_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("入力した職員"),
    )
    submitted_at = models.DateTimeField(_("受付日時"))
    retain_until = models.DateTimeField(_("保存期限"))

    class Meta:
        verbose_name = _("申請")
        verbose_name_plural = _("申請")
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["retain_until"]), models.Index(fields=["procedure", "submitted_at"])]

    def __str__(self) -> str:
        return f"submission {self.receipt_number}"


no_personal_data("submissions.bundle", "複数の手続をまとめた申請のつながり（記載事項は各申請に保存）")
