"""The bytes a citizen signs: a canonical form of the answers, bound to the procedure version and to the
draft's one-time token (so a signature cannot be replayed on another application)."""

from __future__ import annotations

import hashlib
import json


def canonical_payload(*, procedure: str, version: int, token: str, answers: dict) -> bytes:
    document = {
        "madoguchi": 1,
        "procedure": procedure,
        "version": version,
        "token": str(token),
        "answers": answers,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def payload_digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()
