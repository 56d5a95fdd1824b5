"""Helpers for development, demo data and tests: make sure the development CA exists and is trusted in
this database, and sign a draft as a test card would. Refused in production."""

from __future__ import annotations

from django.conf import settings

from .plugins.dev import DEV_PIN, dev_dir


def ensure_dev_trust() -> None:
    """Create the dev CA files if missing; trust its certificate and load its CRL in this database."""
    if settings.IS_PRODUCTION:
        raise RuntimeError("development identity is not available in production")
    from django.core.management import call_command

    from .models import TrustAnchor
    from .services import crl_load, trust_anchor_add

    directory = dev_dir()
    if not (directory / "cards.json").exists():
        call_command("identity_dev_ca", stdout=open("/dev/null", "w"))  # noqa: SIM115
        return
    pem = (directory / "ca.pem").read_text()
    if not TrustAnchor.objects.filter(certificate_pem=pem).exists():
        trust_anchor_add(certificate_pem=pem, name="Madoguchi development CA (TEST ONLY)", is_test=True)
        crl_load(crl_der=(directory / "crl.der").read_bytes())


def sign_draft_with_test_card(draft, card: str = "ishinomaki-shimin"):
    from .services import draft_sign
    from .signers import client

    ensure_dev_trust()
    payload_result = client("dev").sign(card=card, pin=DEV_PIN, payload=_payload(draft))
    return draft_sign(draft=draft, result=payload_result)


def _payload(draft) -> bytes:
    from .services import draft_payload

    return draft_payload(draft)
