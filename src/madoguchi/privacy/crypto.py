"""Field encryption (AES-256-GCM) and keyed-hash indexes, with keys kept outside the database.

Keys come from, in order: ``MADOGUCHI_FIELD_KEYS`` / ``MADOGUCHI_INDEX_KEYS`` (comma-separated
``id:base64`` pairs, the first one active), or a key file (``MADOGUCHI_KEY_FILE``, one
``field id:base64`` or ``index id:base64`` per line). In development a key file is created
under ``var/keys/`` on first use, so ``make run`` needs nothing. Production refuses to run
without keys (a system check).

A ciphertext is stored as ``enc1$<key id>$<base64(nonce | ciphertext | tag)>``. The model and
field name are the associated data, so a value copied into another column does not decrypt.
Several keys can be configured at once: new values use the first, old ones decrypt with the
key named in them, and ``manage.py rotate_keys`` re-encrypts everything under the first.

Written by hand on top of ``cryptography``'s AESGCM and ``hmac``: no maintained Django
package does authenticated encryption with rotation and blind indexes on Django 5.2.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1"
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A stored value could not be decrypted (unknown key, or the value was tampered with)."""


@dataclass(frozen=True)
class KeyRing:
    field_keys: dict[str, bytes]
    field_active: str
    index_keys: dict[str, bytes]
    index_active: str

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.field_keys[self.field_active]).encrypt(
            nonce, plaintext.encode(), context.encode()
        )
        return f"{PREFIX}${self.field_active}${base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str, *, context: str) -> str:
        try:
            prefix, key_id, payload = stored.split("$", 2)
        except ValueError as exc:
            raise DecryptionError("not an encrypted value") from exc
        if prefix != PREFIX or key_id not in self.field_keys:
            raise DecryptionError(f"no key {key_id!r} to decrypt with")
        raw = base64.b64decode(payload)
        try:
            plain = AESGCM(self.field_keys[key_id]).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()
            )
        except InvalidTag as exc:
            raise DecryptionError("the value was altered or belongs elsewhere") from exc
        return plain.decode()

    @staticmethod
    def key_id_of(stored: str) -> str | None:
        parts = stored.split("$", 2)
        return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None

    def blind_index(self, normalised: str, *, context: str) -> str:
        """A keyed hash for equality look-ups: same value and context, same index; reveals nothing else."""
        mac = hmac.new(self.index_keys[self.index_active], digestmod=hashlib.sha256)
        mac.update(context.encode() + b"\x00" + normalised.encode())
        return f"{self.index_active}${mac.hexdigest()}"


def _parse_pairs(text: str, source: str) -> list[tuple[str, bytes]]:
    pairs = []
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        key_id, _, b64 = item.partition(":")
        try:
            key = base64.b64decode(b64, validate=True)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{source}: key {key_id!r} is not valid base64") from exc
        if len(key) != 32:
            raise ImproperlyConfigured(f"{source}: key {key_id!r} must be 32 bytes (256 bits)")
        if not key_id or "$" in key_id:
            raise ImproperlyConfigured(f"{source}: a key id is required and may not contain '$'")
        pairs.append((key_id, key))
    return pairs


def _new_key_line(kind: str) -> str:
    return f"{kind} {secrets.token_hex(4)}:{base64.b64encode(os.urandom(32)).decode()}\n"


def _read_key_file(path: Path) -> tuple[list[tuple[str, bytes]], list[tuple[str, bytes]]]:
    fields, indexes = [], []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kind, _, pair = line.partition(" ")
        target = {"field": fields, "index": indexes}.get(kind)
        if target is None:
            raise ImproperlyConfigured(f"{path}:{number}: lines start with 'field' or 'index'")
        target.extend(_parse_pairs(pair, f"{path}:{number}"))
    return fields, indexes


def load_keyring() -> KeyRing:
    fields = _parse_pairs(settings.MADOGUCHI_FIELD_KEYS or "", "MADOGUCHI_FIELD_KEYS")
    indexes = _parse_pairs(settings.MADOGUCHI_INDEX_KEYS or "", "MADOGUCHI_INDEX_KEYS")
    key_file = Path(settings.MADOGUCHI_KEY_FILE) if settings.MADOGUCHI_KEY_FILE else None
    if (not fields or not indexes) and key_file is not None:
        if not key_file.exists() and settings.MADOGUCHI_CREATE_KEY_FILE:
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write("# Madoguchi development keys: never use in production.\n")
                handle.write(_new_key_line("field") + _new_key_line("index"))
        if key_file.exists():
            file_fields, file_indexes = _read_key_file(key_file)
            fields = fields or file_fields
            indexes = indexes or file_indexes
    if not fields or not indexes:
        raise ImproperlyConfigured(
            "No encryption keys: set MADOGUCHI_FIELD_KEYS and MADOGUCHI_INDEX_KEYS, or MADOGUCHI_KEY_FILE "
            "(see docs/security.md)."
        )
    return KeyRing(dict(fields), fields[0][0], dict(indexes), indexes[0][0])


_lock = threading.Lock()
_keyring: KeyRing | None = None


def keyring() -> KeyRing:
    global _keyring
    if _keyring is None:
        with _lock:
            if _keyring is None:
                _keyring = load_keyring()
    return _keyring


def reset_keyring() -> None:
    """Forget the loaded keys (after a settings change, and in tests)."""
    global _keyring
    with _lock:
        _keyring = None


def generate_key_pair_text(key_id: str | None = None) -> str:
    """A new ``id:base64`` pair for MADOGUCHI_FIELD_KEYS or MADOGUCHI_INDEX_KEYS."""
    return f"{key_id or secrets.token_hex(4)}:{base64.b64encode(os.urandom(32)).decode()}"
