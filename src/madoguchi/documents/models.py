"""Documents the city issues (decision notices, 罹災証明書): signed PDFs anyone can verify."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.registry import PersonalDataFile, Retention, register_file


class IssuedDocument(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    short_code = models.CharField(_("確認コード"), max_length=20, unique=True)
    kind = models.CharField(_("種類"), max_length=40)
    title = models.CharField(_("表題"), max_length=200)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="documents")
    file = models.ForeignKey("privacy.StoredFile", on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64)
    printed = models.JSONField(_("記載事項"), default=list)
    issued_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.title} {self.short_code}"


register_file(PersonalDataFile(
    model=IssuedDocument, name="発行した文書（決定通知書・証明書）", department="ict",
    purpose="市が発行した文書が本物で改ざんされていないことを、誰でも確かめられるようにするため",
    items=("文書の表題", "記載事項（氏名・住所など文書に印字した内容）", "ハッシュ値", "発行日時", "取消し"),
    subjects="文書の交付を受けた者", sources="決定時に作成",
    retention=Retention(period="案件と同じ", manual="案件の消去とともに消去される（CASCADE）。"),
    sensitive=False, in_register=False, excluded_reason="手続ごとのファイルに含む",
))  # fmt: skip
