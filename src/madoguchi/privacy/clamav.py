"""A minimal clamd client (INSTREAM), for the optional virus scan of uploads.

``MADOGUCHI_CLAMD_ADDRESS`` is ``tcp:HOST:PORT`` or ``unix:/path/to/clamd.ctl``; empty
disables scanning. Written by hand: the protocol is a dozen lines, and the Python
clamd clients on PyPI are unmaintained.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from django.conf import settings

CHUNK = 64 * 1024


class ScannerUnavailable(Exception):
    pass


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    detail: str


def scanning_enabled() -> bool:
    return bool(settings.MADOGUCHI_CLAMD_ADDRESS)


def _connect(address: str, timeout: float) -> socket.socket:
    kind, _, rest = address.partition(":")
    try:
        if kind == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(rest)
        elif kind == "tcp":
            host, _, port = rest.rpartition(":")
            sock = socket.create_connection((host, int(port)), timeout=timeout)
        else:
            raise ScannerUnavailable(f"unknown clamd address kind {kind!r}")
    except OSError as exc:
        raise ScannerUnavailable(str(exc)) from exc
    return sock


def scan_bytes(content: bytes, *, address: str | None = None, timeout: float = 30.0) -> ScanResult:
    address = address or settings.MADOGUCHI_CLAMD_ADDRESS
    sock = _connect(address, timeout)
    try:
        sock.sendall(b"zINSTREAM\0")
        for start in range(0, len(content), CHUNK):
            chunk = content[start : start + CHUNK]
            sock.sendall(struct.pack("!L", len(chunk)) + chunk)
        sock.sendall(struct.pack("!L", 0))
        reply = b""
        while not reply.endswith(b"\0"):
            part = sock.recv(4096)
            if not part:
                break
            reply += part
    except OSError as exc:
        raise ScannerUnavailable(str(exc)) from exc
    finally:
        sock.close()
    text = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if text.endswith("OK"):
        return ScanResult(True, "OK")
    if text.endswith("FOUND"):
        return ScanResult(False, text.split(":", 1)[-1].strip()[:200])
    raise ScannerUnavailable(f"unexpected clamd reply: {text[:100]}")
