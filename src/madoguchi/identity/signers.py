"""Signing clients: what produces the citizen's signature over the payload.

A real JPKI client (the マイナポータル/JPKI smartphone app, or a card reader with the JPKI
client software) runs on the citizen's device: the page hands it the payload (or its hash),
the citizen enters the 署名用 PIN, and the client returns the signature and the 署名用電子証明書.
Each client is a plugin registered here; the development signer (plugins/dev.py) signs on the
server with test keys so that the flow runs and is tested end to end. docs/identity.md says how
a real client plugs in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SignatureResult:
    signature: bytes
    certificate_pem: str
    signer: str


class SigningClient:
    id: str = ""
    label: dict = {}

    def available(self) -> bool:
        return True


_registry: dict[str, SigningClient] = {}


def register(client: SigningClient) -> SigningClient:
    _registry[client.id] = client
    return client


def clients() -> list[SigningClient]:
    return [c for c in _registry.values() if c.available()]


def client(client_id: str) -> SigningClient | None:
    found = _registry.get(client_id)
    return found if found and found.available() else None
