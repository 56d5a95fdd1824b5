"""Trust anchors and revocation lists for JPKI signatures, and the record of each verified signature."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.registry import PersonalDataFile, Retention, no_personal_data, register_file


class TrustAnchor(models.Model):
    """A CA certificate the city trusts for signatures (the JPKI signing CA; a test CA in development)."""

    name = models.CharField(_("名前"), max_length=200)
    certificate_pem = models.TextField()
    subject = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("有効"), default=True)
    is_test = models.BooleanField(_("試験用"), default=False)
    added_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class RevocationList(models.Model):
    """The newest CRL loaded for an issuer (the city loads JPKI's CRL file regularly)."""

    issuer = models.CharField(max_length=500, unique=True)
    crl_der = models.BinaryField()
    this_update = models.DateTimeField()
    next_update = models.DateTimeField(null=True, blank=True)
    loaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"CRL {self.issuer}"


class SignatureRecord(models.Model):
    """A verified signature over a submission: what was signed, by which certificate, when."""

    submission = models.OneToOneField(
        "submissions.Submission", on_delete=models.CASCADE, related_name="signature"
    )
    certificate_serial = models.CharField(max_length=80)
    certificate_issuer = models.CharField(max_length=500)
    certificate_subject = models.CharField(max_length=500)
    certificate_not_before = models.DateTimeField()
    certificate_not_after = models.DateTimeField()
    certificate_pem = models.TextField()
    signed_at = models.DateTimeField()
    payload_sha256 = models.CharField(max_length=64)
    signature_b64 = models.TextField()
    signer = models.CharField(max_length=40)

    def __str__(self) -> str:
        return f"signature {self.certificate_serial}"


no_personal_data("identity.trustanchor", "認証局の証明書")
no_personal_data("identity.revocationlist", "失効リスト（証明書のシリアル番号のみ）")
register_file(PersonalDataFile(
    model=SignatureRecord, name="電子署名の検証記録", department="ict",
    purpose="電子申請の署名を検証し、本人が申請したことを記録するため",
    items=("署名用電子証明書（氏名・住所・生年月日・性別を含む）", "シリアル番号", "署名日時", "署名値"),
    subjects="マイナンバーカードで署名して申請した者", sources="申請時に本人の署名から",
    retention=Retention(period="申請データと同じ", manual="申請の消去とともに消去される（CASCADE）。"),
    sensitive=False, in_register=False, excluded_reason="手続ごとのファイルに含む",
))  # fmt: skip


class RegisteredAgent(models.Model):
    """A 提出代行者 registered by a department (a care manager, a 地域包括支援センター): their own
    citizen account files procedures that allow agents, on behalf of the people they support."""

    class Kind(models.TextChoices):
        CARE_MANAGER = "care_manager", _("介護支援専門員（ケアマネジャー）")
        HOUKATSU = "houkatsu", _("地域包括支援センター")
        OTHER = "other", _("その他の事業者")

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="agent_registrations")
    department = models.ForeignKey("organisations.Department", on_delete=models.PROTECT, related_name="+")
    organisation = models.CharField(_("事業所名"), max_length=200)
    kind = models.CharField(_("種別"), max_length=20, choices=Kind.choices)
    registered_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    registered_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "department"], name="agent_once_per_department")
        ]

    def __str__(self) -> str:
        return self.organisation


register_file(PersonalDataFile(
    model=RegisteredAgent, name="提出代行者の登録", department="kaigo-hoken",
    purpose="申請を本人に代わって提出できる事業者を確認するため", items=("アカウント", "事業所名", "種別", "登録日"),
    subjects="提出代行者として登録された者", sources="担当課が登録",
    retention=Retention(period="登録を取り消してから5年", manual="課管理者が取り消した記録を5年後に削除する。"),
    sensitive=False, in_register=False, excluded_reason="事業者の記録（件数が少なく帳簿への掲載を要しない）",
))  # fmt: skip
