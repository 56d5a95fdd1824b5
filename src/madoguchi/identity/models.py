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
