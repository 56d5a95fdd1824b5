"""JPKI-style signatures: a submission signed with the development signer verifies; a changed byte,
an expired certificate, an unknown CA and a revoked certificate are each refused with the right message."""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.core.exceptions import ValidationError
from django.core.management import call_command

from madoguchi.forms.samples import sample_answers
from madoguchi.identity.canonical import canonical_payload
from madoguchi.identity.devca import create_ca, issue_signing_certificate, make_crl
from madoguchi.identity.services import crl_load, signature_verify, trust_anchor_add
from madoguchi.identity.verification import SignatureRefused
from madoguchi.procedures.files import parse_files

pytestmark = pytest.mark.django_db

DEFINITION = next(p.data for p in parse_files()[0] if p.id == "kaigo_nintei_shinki")


@pytest.fixture(scope="module")
def ca():
    return create_ca(key_size=2048)


@pytest.fixture
def trusted(ca):
    trust_anchor_add(certificate_pem=ca.certificate_pem, name="test CA", is_test=True)
    return ca


def payload():
    return canonical_payload(procedure="kaigo_nintei_shinki", version=1, token="7a0c0c5e-0000-4000-8000-000000000001",
                             answers=sample_answers(DEFINITION))  # fmt: skip


def sign(issued, data: bytes) -> bytes:
    return issued.key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def refused(code, **kwargs):
    with pytest.raises(SignatureRefused) as exc:
        signature_verify(**kwargs)
    assert exc.value.code == code
    return exc.value.message


def test_a_signed_submission_verifies(trusted):
    citizen = issue_signing_certificate(trusted, "石巻 花子")
    crl_load(crl_der=make_crl(trusted))
    data = payload()
    result = signature_verify(
        payload=data, signature=sign(citizen, data), certificate_pem=citizen.certificate_pem
    )
    assert "石巻 花子" in result.subject and result.serial == format(citizen.certificate.serial_number, "x")
    assert "Madoguchi Development JPKI CA" in result.issuer


def test_the_payload_is_canonical():
    a = canonical_payload(procedure="p", version=1, token="t", answers={"b": 1, "a": "石巻"})
    b = canonical_payload(procedure="p", version=1, token="t", answers={"a": "石巻", "b": 1})
    assert a == b and "石巻".encode() in a


def test_a_changed_byte_is_refused(trusted):
    citizen = issue_signing_certificate(trusted, "石巻 花子")
    crl_load(crl_der=make_crl(trusted))
    data = payload()
    signature = sign(citizen, data)
    changed = data.replace("石巻".encode(), "石券".encode(), 1)
    message = refused(
        "bad_signature", payload=changed, signature=signature, certificate_pem=citizen.certificate_pem
    )
    assert "内容が変わったか" in message
    broken = bytes([signature[0] ^ 1]) + signature[1:]
    refused("bad_signature", payload=data, signature=broken, certificate_pem=citizen.certificate_pem)


def test_an_expired_certificate_is_refused(trusted):
    now = datetime.now(UTC)
    old = issue_signing_certificate(
        trusted, "期限切れ", not_before=now - timedelta(days=900), not_after=now - timedelta(days=1)
    )
    crl_load(crl_der=make_crl(trusted))
    data = payload()
    message = refused("expired", payload=data, signature=sign(old, data), certificate_pem=old.certificate_pem)
    assert "有効期限が切れています" in message


def test_an_unknown_ca_is_refused(trusted):
    stranger_ca = create_ca("Unknown CA")
    citizen = issue_signing_certificate(stranger_ca, "石巻 花子")
    crl_load(crl_der=make_crl(trusted))
    data = payload()
    message = refused(
        "unknown_ca", payload=data, signature=sign(citizen, data), certificate_pem=citizen.certificate_pem
    )
    assert "信頼する認証局ではありません" in message


def test_a_revoked_certificate_is_refused(trusted):
    citizen = issue_signing_certificate(trusted, "石巻 花子")
    crl_load(crl_der=make_crl(trusted, [citizen.certificate]))
    data = payload()
    message = refused(
        "revoked", payload=data, signature=sign(citizen, data), certificate_pem=citizen.certificate_pem
    )
    assert "失効しています" in message


def test_without_a_fresh_crl_nothing_is_accepted(trusted):
    citizen = issue_signing_certificate(trusted, "石巻 花子")
    data = payload()
    refused("no_crl", payload=data, signature=sign(citizen, data), certificate_pem=citizen.certificate_pem)
    crl_load(crl_der=make_crl(trusted))
    later = datetime.now(UTC) + timedelta(days=3)
    refused(
        "crl_stale",
        payload=data,
        signature=sign(citizen, data),
        certificate_pem=citizen.certificate_pem,
        at=later,
    )


def test_a_crl_not_signed_by_a_trusted_ca_is_refused(trusted):
    with pytest.raises(ValidationError):
        crl_load(crl_der=make_crl(create_ca("Unknown CA")))


def test_the_development_signer_end_to_end(settings, tmp_path):
    """The command makes a CA and test cards; the dev signer signs like a card; the server verifies."""
    from madoguchi.identity.plugins.dev import DEV_PIN
    from madoguchi.identity.signers import client

    settings.MADOGUCHI_DEV_IDENTITY_DIR = str(tmp_path / "dev")
    call_command("identity_dev_ca", stdout=open("/dev/null", "w"))  # noqa: SIM115
    signer = client("dev")
    data = payload()
    result = signer.sign(card="ishinomaki-shimin", pin=DEV_PIN, payload=data)
    verified = signature_verify(
        payload=data, signature=result.signature, certificate_pem=result.certificate_pem
    )
    assert "石巻 市民" in verified.subject
    with pytest.raises(PermissionError):
        signer.sign(card="ishinomaki-shimin", pin="000000", payload=data)
    for card, code in (("expired", "expired"), ("revoked", "revoked")):
        result = signer.sign(card=card, pin=DEV_PIN, payload=data)
        refused(code, payload=data, signature=result.signature, certificate_pem=result.certificate_pem)
