"""The privacy core's own records: the audit trail, erasure records, stored files."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One row of the append-only audit trail of personal data.

    Each row carries the hash of the previous one (``prev_hash``) and its own
    (``hash``, over every other column), so that ``manage.py audit_verify``
    finds any row changed, inserted or deleted. On PostgreSQL a trigger refuses
    UPDATE and DELETE. The actor is stored as a snapshot (id, kind, departments,
    roles), not a foreign key, so that no later change to accounts touches it.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("作成")
        CHANGE = "change", _("変更")
        READ = "read", _("閲覧")
        EXPORT = "export", _("出力")
        DELETE = "delete", _("削除")
        REVEAL = "reveal", _("個人番号の表示")
        ERASE = "erase", _("保存期間経過による消去")
        RATE_LIMITED = "rate_limited", _("回数制限")

    class Result(models.TextChoices):
        SUCCESS = "success", _("成功")
        FAILURE = "failure", _("失敗")
        DENIED = "denied", _("拒否")

    # Several chains run side by side (settings.MADOGUCHI_AUDIT_CHAINS), so that writers do not all
    # queue on one head row; each chain is hash-linked and numbered on its own (privacy/audit.py).
    chain = models.PositiveSmallIntegerField(_("系列"), default=1)
    seq = models.BigIntegerField(_("通番"))
    occurred_at = models.DateTimeField(_("日時"))
    actor_id = models.BigIntegerField(_("利用者ID"), null=True, blank=True)
    actor_kind = models.CharField(_("利用者の種別"), max_length=10, blank=True)
    actor_departments = models.CharField(_("利用者の所属"), max_length=500, blank=True)
    actor_roles = models.CharField(_("利用者の役割"), max_length=500, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("対象の種類"), max_length=100)
    object_id = models.CharField(_("対象のID"), max_length=64, blank=True)
    department_code = models.CharField(_("対象の課"), max_length=50, blank=True, db_index=True)
    fields = models.JSONField(_("項目"), default=list, blank=True)
    purpose = models.CharField(_("目的"), max_length=500, blank=True)
    result = models.CharField(_("結果"), max_length=10, choices=Result.choices)
    detail = models.CharField(_("詳細"), max_length=200, blank=True)
    client_ip = models.GenericIPAddressField(_("接続元"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["occurred_at"]), models.Index(fields=["object_type", "object_id"])]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="privacy_audit_chain_seq")]

    def __str__(self) -> str:
        return f"#{self.chain}.{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The newest row's sequence number and hash of one chain (its id is the chain's number), so that
    deleting the last rows is detected too."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("監査ログの先頭")

    def __str__(self) -> str:
        return f"head seq={self.seq}"


class ErasureRecord(models.Model):
    """削除・廃棄記録: one row for each record or file erased when its retention ended."""

    class Method(models.TextChoices):
        DELETED = "deleted", _("削除")
        ANONYMISED = "anonymised", _("匿名化")

    erased_at = models.DateTimeField(_("消去日時"))
    kind = models.CharField(_("記録の種類"), max_length=100)
    object_type = models.CharField(_("対象の種類"), max_length=100)
    object_id = models.CharField(_("対象のID"), max_length=64)
    method = models.CharField(_("方法"), max_length=20, choices=Method.choices)
    retention = models.CharField(_("保存期間"), max_length=100)
    expired_at = models.DateTimeField(_("保存期間の満了"), null=True, blank=True)
    run_id = models.UUIDField(_("実行ID"))

    class Meta:
        verbose_name = _("削除・廃棄記録")
        verbose_name_plural = _("削除・廃棄記録")
        ordering = ["-erased_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.method}"


class StoredFile(models.Model):
    """An uploaded file, stored under a random name outside the web root.

    The original name is kept only for display, after sanitising; the stored
    name never contains it. Downloads go through an access-checked view.
    """

    class Status(models.TextChoices):
        QUARANTINED = "quarantined", _("検査待ち")
        CLEAN = "clean", _("利用可")
        INFECTED = "infected", _("ウイルス検出")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    storage_name = models.CharField(max_length=100, unique=True, editable=False)
    display_name = models.CharField(_("ファイル名"), max_length=120)
    content_type = models.CharField(_("形式"), max_length=50)
    size = models.PositiveBigIntegerField(_("大きさ（バイト）"))
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices)
    scan_detail = models.CharField(_("検査結果"), max_length=200, blank=True)
    department = models.ForeignKey(
        "organisations.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    retain_until = models.DateTimeField(_("保存期限"))

    class Meta:
        verbose_name = _("保管ファイル")
        verbose_name_plural = _("保管ファイル")
        indexes = [models.Index(fields=["retain_until"])]

    def __str__(self) -> str:
        return f"file {self.pk}"
