"""Trust anchors, CRLs, and verifying a signature against what the city has configured."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ValidationError
from django.db import transaction

from .models import RevocationList, TrustAnchor
from .verification import VerifiedSignature, verify_signature

logger = logging.getLogger(__name__)


@transaction.atomic
def trust_anchor_add(*, certificate_pem: str, name: str, is_test: bool = False) -> TrustAnchor:
    cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    der = cert.public_bytes(serialization.Encoding.DER)
    fingerprint = hashlib.sha256(der).hexdigest()
    anchor, _ = TrustAnchor.objects.update_or_create(fingerprint=fingerprint, defaults={
        "name": name, "certificate_pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "subject": cert.subject.rfc4514_string(), "is_active": True, "is_test": is_test,
    })  # fmt: skip
    logger.info("trust anchor added fingerprint=%s test=%s", fingerprint[:16], is_test)
    return anchor


@transaction.atomic
def crl_load(*, crl_der: bytes) -> RevocationList:
    """Load an issuer's CRL, after checking it is signed by a trusted anchor (or by a certificate it issued)."""
    try:
        crl = x509.load_der_x509_crl(crl_der)
    except ValueError as exc:
        raise ValidationError("CRL を読み取れません（DER 形式のファイルを選んでください）。") from exc
    issuer = crl.issuer.rfc4514_string()
    anchor = next((a for a in active_anchors() if a.subject.rfc4514_string() == issuer), None)
    if anchor is None or not crl.is_signature_valid(anchor.public_key()):
        raise ValidationError("この CRL は、信頼する認証局が署名したものではありません。")
    current = RevocationList.objects.filter(issuer=issuer).first()
    if current is not None and current.this_update > crl.last_update_utc:
        raise ValidationError("読み込み済みの CRL より古いものです。")
    record, _ = RevocationList.objects.update_or_create(issuer=issuer, defaults={
        "crl_der": crl_der, "this_update": crl.last_update_utc, "next_update": crl.next_update_utc,
    })  # fmt: skip
    logger.info("CRL loaded issuer=%s revoked=%d", issuer, len(list(crl)))
    return record


def active_anchors() -> list[x509.Certificate]:
    return [
        x509.load_pem_x509_certificate(a.certificate_pem.encode())
        for a in TrustAnchor.objects.filter(is_active=True)
    ]


def loaded_crls() -> dict[str, x509.CertificateRevocationList]:
    return {r.issuer: x509.load_der_x509_crl(bytes(r.crl_der)) for r in RevocationList.objects.all()}


def signature_verify(*, payload: bytes, signature: bytes, certificate_pem: str,
                     at: datetime | None = None) -> VerifiedSignature:  # fmt: skip
    """Verify against the anchors and CRLs the city has loaded. Raises SignatureRefused."""
    return verify_signature(
        payload=payload, signature=signature, certificate_pem=certificate_pem, at=at or datetime.now(UTC),
        anchors=active_anchors(), crls=loaded_crls(),
    )  # fmt: skip
