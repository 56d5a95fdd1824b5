"""Trust anchors, CRLs, and verifying a signature against what the city has configured."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

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


# --- signatures on drafts and submissions ---------------------------------------------------------


def draft_payload(draft, data: dict | None = None) -> bytes:
    """What the citizen signs for this draft: its answers (as they will be submitted), version and token."""
    from madoguchi.forms.engine import prune

    from .canonical import canonical_payload

    version = draft.version
    answers = prune(version.definition, draft.data if data is None else data)
    return canonical_payload(procedure=version.procedure.slug, version=version.number,
                             token=str(draft.submission_token), answers=answers)  # fmt: skip


def draft_sign(*, draft, result) -> VerifiedSignature:
    """Attach a signing client's result to the draft, verifying it at once (SignatureRefused otherwise)."""
    import base64

    from django.utils import timezone

    payload = draft_payload(draft)
    signed_at = timezone.now()
    verified = signature_verify(payload=payload, signature=result.signature, certificate_pem=result.certificate_pem,
                                at=signed_at)  # fmt: skip
    draft.signature = {
        "signature": base64.b64encode(result.signature).decode(), "certificate_pem": result.certificate_pem,
        "signer": result.signer, "signed_at": signed_at.isoformat(), "subject": verified.subject,
    }  # fmt: skip
    draft.save(update_fields=["signature", "updated_at"])
    logger.info("draft signed draft_id=%s signer=%s", draft.pk, result.signer)
    return verified


def submission_signature_record(*, draft, submission, data: dict):
    """Verify the draft's signature over exactly what is being submitted, and record it (inside the transaction)."""
    import base64
    from datetime import datetime

    from .models import SignatureRecord
    from .verification import SignatureRefused

    stored = draft.signature
    if not stored:
        raise SignatureRefused("missing")
    payload = draft_payload(draft, data)
    signed_at = datetime.fromisoformat(stored["signed_at"])
    verified = signature_verify(payload=payload, signature=base64.b64decode(stored["signature"]),
                                certificate_pem=stored["certificate_pem"], at=signed_at)  # fmt: skip
    return SignatureRecord.objects.create(
        submission=submission, certificate_serial=verified.serial, certificate_issuer=verified.issuer[:500],
        certificate_subject=verified.subject[:500], certificate_not_before=verified.not_before,
        certificate_not_after=verified.not_after, certificate_pem=verified.certificate_pem, signed_at=signed_at,
        payload_sha256=hashlib.sha256(payload).hexdigest(), signature_b64=stored["signature"],
        signer=stored["signer"],
    )  # fmt: skip


# --- registered agents (提出代行者) ------------------------------------------------------------------


def _check_dept_admin(by, department) -> None:
    from django.core.exceptions import PermissionDenied

    from madoguchi.accounts.models import StaffRole

    if not (
        by.has_role(StaffRole.Role.DEPT_ADMIN, department.pk) or by.has_global_role(StaffRole.Role.SYSADMIN)
    ):
        raise PermissionDenied


@transaction.atomic
def agent_register(*, by, department, email: str, organisation: str, kind: str):
    """Register an existing citizen account as a 提出代行者 of the department."""
    from madoguchi.accounts.models import User
    from madoguchi.privacy.audit import audit_record

    from .models import RegisteredAgent

    _check_dept_admin(by, department)
    user = User.objects.filter(email__iexact=email.strip(), kind=User.Kind.CITIZEN, is_active=True).first()
    if user is None:
        raise ValidationError(
            {
                "email": "このメールアドレスの市民アカウントがありません。先にアカウントを登録してもらってください。"
            }
        )
    if not organisation.strip():
        raise ValidationError({"organisation": "事業所名を入力してください。"})
    if kind not in RegisteredAgent.Kind.values:
        raise ValidationError({"kind": "種別を選んでください。"})
    agent, _ = RegisteredAgent.objects.update_or_create(user=user, department=department, defaults={
        "organisation": organisation.strip()[:200], "kind": kind, "registered_by": by, "is_active": True})  # fmt: skip
    audit_record(action="create", object_type="identity.registeredagent", object_id=agent.pk,
                 department_code=department.code, fields=["user", "organisation"], actor=by)  # fmt: skip
    return agent


@transaction.atomic
def agent_deactivate(*, by, agent) -> None:
    _check_dept_admin(by, agent.department)
    agent.is_active = False
    agent.save(update_fields=["is_active"])


def agent_for(*, user, procedure):
    """The registration under which this user files this procedure as a 提出代行者, if any."""
    from .models import RegisteredAgent

    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if "agent" not in procedure.current_version.definition.get("filers", []):
        return None
    return RegisteredAgent.objects.filter(user=user, department=procedure.department, is_active=True).first()


@dataclass(frozen=True)
class FilerCheck:
    agent: object | None = None  # the RegisteredAgent, when filed as a 提出代行者
    error: str = ""


def filer_check(*, user, procedure, filed_as: str, channel: str = "online") -> FilerCheck:
    """Whether this user may file this procedure in the role they chose.

    Anyone may say they are the person, their family or a 代理人 (the 委任状 is then
    required by the form, and staff check it). Only an account the department has
    registered may file online as a 提出代行者. At the counter and on paper, staff
    check the filer in person, so no registration is looked up.
    """
    if filed_as != "agent" or channel != "online":
        return FilerCheck()
    agent = agent_for(user=user, procedure=procedure)
    if agent is None:
        return FilerCheck(error=gettext(
            "提出代行者として申請できるのは、市に登録された事業所のアカウントだけです。"
            "本人・家族・代理人として申請するか、担当課に登録を申し込んでください。"
        ))  # fmt: skip
    return FilerCheck(agent=agent)
