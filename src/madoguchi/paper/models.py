"""The paper channel: scanned batches, one durable job per page, what was read, and the applications
staff confirm (docs/paper.md).

- ``ScanBatch``: what one member of staff uploaded at once (one or more files) for a department.
- ``ScanSource``: one uploaded file of a batch (stored through the privacy core).
- ``PageJob``: the work for one page: a lease (``locked_by``, ``locked_until``) so that a worker killed
  mid-job leaves it to another; ``(batch, number)`` is unique.
- ``ScanPage``: the result for one page, written once (unique per job and per ``(batch, number)``) in
  the same transaction that finishes the job: identified or not, the registered image, what was read.
- ``PaperApplication``: the pages of one filled form, confirmed by staff into a submission (channel
  ``paper``).
- ``ReadingOutcome``: per confirmed field part, the engine and field type and whether staff corrected
  it (the measure of how well each engine reads).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.fields import EncryptedJSONField
from madoguchi.privacy.registry import Retention, no_personal_data, personal_data_file


class ScanBatch(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    department = models.ForeignKey("organisations.Department", on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    page_count = models.PositiveIntegerField(default=0)
    assembled_at = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateTimeField()

    class Meta:
        verbose_name = _("スキャンの束")
        verbose_name_plural = _("スキャンの束")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"scan batch {self.pk}"


class ScanSource(models.Model):
    batch = models.ForeignKey(ScanBatch, on_delete=models.CASCADE, related_name="sources")
    position = models.PositiveIntegerField()
    # SET_NULL: the file is erased by its own retention (the privacy core's purge), never blocked here
    stored_file = models.ForeignKey(
        "privacy.StoredFile", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    page_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="paper_source_position_unique")
        ]

    def __str__(self) -> str:
        return f"scan source {self.batch_id}/{self.position}"


class PageJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("待機中")
        RUNNING = "running", _("処理中")
        DONE = "done", _("完了")
        FAILED = "failed", _("失敗")

    batch = models.ForeignKey(ScanBatch, on_delete=models.CASCADE, related_name="jobs")
    number = models.PositiveIntegerField()  # 1-based, across the batch's files
    source = models.ForeignKey(ScanSource, on_delete=models.CASCADE, related_name="+")
    source_page = models.PositiveIntegerField()  # 0-based within the file
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    locked_by = models.CharField(max_length=64, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "number"]
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="paper_job_page_unique")]
        indexes = [models.Index(fields=["status", "locked_until"])]

    def __str__(self) -> str:
        return f"page job {self.batch_id}/{self.number}"


class PaperApplication(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("確認待ち")
        FILED = "filed", _("受付済み")
        DISCARDED = "discarded", _("破棄")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    batch = models.ForeignKey(ScanBatch, on_delete=models.CASCADE, related_name="applications")
    position = models.PositiveIntegerField()
    version = models.ForeignKey("procedures.ProcedureVersion", on_delete=models.PROTECT, related_name="+")
    form_id = models.CharField(max_length=12, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    submission = models.OneToOneField(
        "submissions.Submission",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="paper_application",
    )
    confirmed_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateTimeField()

    class Meta:
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="paper_application_position_unique")
        ]

    def __str__(self) -> str:
        return f"paper application {self.pk}"


class ScanPage(models.Model):
    class State(models.TextChoices):
        IDENTIFIED = "identified", _("識別済み")
        UNIDENTIFIED = "unidentified", _("未識別")
        DISCARDED = "discarded", _("破棄")

    job = models.OneToOneField(PageJob, on_delete=models.CASCADE, related_name="page")
    batch = models.ForeignKey(ScanBatch, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=12, choices=State.choices)
    image = models.ForeignKey("privacy.StoredFile", on_delete=models.SET_NULL, null=True, related_name="+")
    registered = models.BooleanField(default=False)  # the image is the page straightened to layout.DPI
    version = models.ForeignKey(
        "procedures.ProcedureVersion", on_delete=models.PROTECT, null=True, related_name="+"
    )
    page_number = models.PositiveIntegerField(null=True)
    page_count = models.PositiveIntegerField(null=True)
    form_id = models.CharField(max_length=12, blank=True)
    readings = EncryptedJSONField(default=dict)  # part key -> {text, score, engine, qr, ocr, alternatives}
    processed_by = models.CharField(max_length=64, blank=True)
    application = models.ForeignKey(
        PaperApplication, on_delete=models.SET_NULL, null=True, blank=True, related_name="pages"
    )
    retain_until = models.DateTimeField()

    class Meta:
        ordering = ["batch", "number"]
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="paper_page_number_unique")]

    def __str__(self) -> str:
        return f"scan page {self.batch_id}/{self.number}"


class ReadingOutcome(models.Model):
    application = models.ForeignKey(PaperApplication, on_delete=models.CASCADE, related_name="outcomes")
    engine = models.CharField(max_length=40)  # "qr", "tick", an OCR engine's name, or "none"
    field_type = models.CharField(max_length=40)
    corrected = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"reading outcome {self.engine}/{self.field_type}"


personal_data_file(
    name="紙の申請書のスキャン",
    department="ict",
    purpose="紙で提出された申請書を読み取り、職員が確認して申請として受け付けるため",
    items=("申請書の画像", "読み取った記載事項"),
    subjects="紙で申請をした者及び申請書に記載された者",
    sources="本人又は代理人が提出した申請書を職員がスキャン",
    sensitive=True,
    retention=Retention(
        period="受け付けた申請は申請データと同じ期間、それ以外は取り込みから90日",
        expired=lambda now: ScanBatch.objects.filter(retain_until__lt=now),
        expiry_of=lambda b: b.retain_until,
    ),
    in_register=False,
    excluded_reason="受け付けた申請は手続ごとのファイルとして帳簿に掲載",
)(ScanBatch)
no_personal_data(ScanSource, "スキャンした原本ファイルへの参照（内容は保管ファイルとして管理）")
no_personal_data(PageJob, "ページごとの処理の状態")
personal_data_file(
    name="紙の申請書の読み取り結果",
    department="ict",
    purpose="紙で提出された申請書を読み取り、職員が確認して申請として受け付けるため",
    items=("申請書の記載事項（読み取ったもの）", "申請書の画像"),
    subjects="紙で申請をした者及び申請書に記載された者",
    sources="スキャンした申請書から読み取り",
    sensitive=True,
    retention=Retention(
        period="受け付けた申請は申請データと同じ期間、それ以外は取り込みから90日",
        expired=lambda now: ScanPage.objects.filter(retain_until__lt=now),
        expiry_of=lambda p: p.retain_until,
    ),
    in_register=False,
    excluded_reason="受け付けた申請は手続ごとのファイルとして帳簿に掲載",
)(ScanPage)
personal_data_file(
    name="紙の申請書の確認",
    department="ict",
    purpose="紙で提出された申請書を職員が確認し、申請として受け付けるため",
    items=("確認した職員", "受け付けた申請"),
    subjects="紙で申請をした者",
    sources="職員が確認",
    sensitive=False,
    retention=Retention(
        period="受け付けた申請は申請データと同じ期間、それ以外は取り込みから90日",
        expired=lambda now: PaperApplication.objects.filter(retain_until__lt=now),
        expiry_of=lambda a: a.retain_until,
    ),
    in_register=False,
    excluded_reason="受け付けた申請は手続ごとのファイルとして帳簿に掲載",
)(PaperApplication)
no_personal_data(ReadingOutcome, "読み取りエンジンと項目の種類ごとの訂正の有無（統計）")
