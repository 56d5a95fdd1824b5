"""The development signer: test "cards" whose keys live in var/identity/dev/ (made by
`manage.py identity_dev_ca`). It signs exactly as a card would (RSA PKCS#1 v1.5, SHA-256) after
checking the test PIN. Never available in production."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings

from ..signers import SignatureResult, SigningClient, register

DEV_PIN = "123456"


def dev_dir() -> Path:
    return Path(settings.MADOGUCHI_DEV_IDENTITY_DIR)


class DevSigner(SigningClient):
    id = "dev"
    label = {"ja": "開発用の署名（試験用カード）", "en": "Development signer (test cards)"}

    def available(self) -> bool:
        return not settings.IS_PRODUCTION and (dev_dir() / "cards.json").exists()

    def cards(self) -> dict[str, dict]:
        return json.loads((dev_dir() / "cards.json").read_text(encoding="utf-8"))

    def sign(self, *, card: str, pin: str, payload: bytes) -> SignatureResult:
        cards = self.cards()
        if card not in cards:
            raise ValueError("unknown test card")
        if pin != DEV_PIN:
            raise PermissionError("wrong PIN")
        entry = cards[card]
        key = serialization.load_pem_private_key(Path(entry["key"]).read_bytes(), password=None)
        signature = key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
        return SignatureResult(signature, Path(entry["certificate"]).read_text(), self.id)


register(DevSigner())
