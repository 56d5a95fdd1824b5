"""Verifying a JPKI-style signature: RSA with SHA-256 over the canonical payload, the certificate's
chain to a configured trust anchor, its validity at signing time, and revocation against the CRL the
city loaded. Each refusal has a code and a plain message for the citizen.

Written on ``cryptography``'s X.509 primitives. pyhanko-certvalidator does full RFC 5280 path
validation for PDF signatures; JPKI signatures here are over our own payload (not CMS), and the
checks the city needs are exactly these four, so they are spelled out.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "missing": _(
        "この手続は、マイナンバーカードによる電子署名が必要です。「マイナンバーカードで署名する」から署名してください。"
    ),
    "bad_certificate": _("署名用電子証明書を読み取れませんでした。もう一度署名してください。"),
    "bad_signature": _(
        "署名が申請の内容と合いません。内容が変わったか、署名が壊れています。もう一度署名してください。"
    ),
    "not_yet_valid": _("署名用電子証明書の有効期間が始まっていません。"),
    "expired": _("署名用電子証明書の有効期限が切れています。市区町村の窓口で更新してください。"),
    "key_usage": _("この証明書は署名に使えません。マイナンバーカードの署名用電子証明書で署名してください。"),
    "unknown_ca": _("この証明書を発行した認証局は、市が信頼する認証局ではありません。"),
    "no_crl": _(
        "証明書の失効情報を確認できないため、いまは受け付けられません。しばらくしてからお試しください。"
    ),
    "crl_stale": _("証明書の失効情報が古いため、いまは受け付けられません。しばらくしてからお試しください。"),
    "revoked": _(
        "署名用電子証明書が失効しています。カードの紛失や住所の変更などで失効した可能性があります。"
    ),
}


class SignatureRefused(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code])


@dataclass(frozen=True)
class VerifiedSignature:
    serial: str
    issuer: str
    subject: str
    not_before: datetime
    not_after: datetime
    certificate_pem: str


def load_certificate(pem: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)
    except ValueError as exc:
        raise SignatureRefused("bad_certificate") from exc


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def verify_signature(
    *, payload: bytes, signature: bytes, certificate_pem: str, at: datetime,
    anchors: list[x509.Certificate], crls: dict[str, x509.CertificateRevocationList],
    intermediates: list[x509.Certificate] = (),
) -> VerifiedSignature:  # fmt: skip
    cert = load_certificate(certificate_pem)
    public_key = cert.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SignatureRefused("bad_certificate")
    # 1. The signature over exactly these bytes.
    try:
        public_key.verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise SignatureRefused("bad_signature") from exc
    # 2. Valid when signed.
    if at < cert.not_valid_before_utc:
        raise SignatureRefused("not_yet_valid")
    if at > cert.not_valid_after_utc:
        raise SignatureRefused("expired")
    # 3. A signing certificate.
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (usage.digital_signature or usage.content_commitment):
            raise SignatureRefused("key_usage")
    except x509.ExtensionNotFound:
        pass
    # 4. A chain to a trust anchor (through the intermediates given, if any).
    chain = [cert]
    current = cert
    for _depth in range(5):
        anchor = next((a for a in anchors if _issued_by(current, a)), None)
        if anchor is not None:
            chain.append(anchor)
            break
        parent = next((i for i in intermediates if _issued_by(current, i)), None)
        if parent is None:
            raise SignatureRefused("unknown_ca")
        chain.append(parent)
        current = parent
    else:
        raise SignatureRefused("unknown_ca")
    # 5. Not revoked when signed, by each issuer's CRL (which must be signed by that issuer and fresh).
    for child, issuer in itertools.pairwise(chain):
        crl = crls.get(issuer.subject.rfc4514_string())
        if crl is None or not crl.is_signature_valid(issuer.public_key()):
            raise SignatureRefused("no_crl")
        if crl.next_update_utc is not None and crl.next_update_utc < at:
            raise SignatureRefused("crl_stale")
        revoked = crl.get_revoked_certificate_by_serial_number(child.serial_number)
        if revoked is not None and revoked.revocation_date_utc <= at:
            raise SignatureRefused("revoked")
    return VerifiedSignature(
        serial=format(cert.serial_number, "x"),
        issuer=cert.issuer.rfc4514_string(),
        subject=cert.subject.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
    )
