"""The texts of the QR codes printed on paper forms (see layout.py for where they are)."""

from __future__ import annotations

import base64
import json
import re
import secrets
import zlib
from dataclasses import dataclass
from typing import Any

from .layout import DATA_QR_CHUNK, DATA_QR_MAX, DATA_QR_PREFIX, ID_QR_PREFIX

_SLUG = re.compile(r"^[a-z0-9_-]{1,80}$")
_FORM_ID = re.compile(r"^[0-9a-f]{12}$")


class PayloadTooLarge(ValueError):
    pass


@dataclass(frozen=True)
class PageId:
    slug: str
    version: int
    page: int
    pages: int
    form_id: str = ""


def new_form_id() -> str:
    return secrets.token_hex(6)


def page_id_text(page_id: PageId) -> str:
    text = f"{ID_QR_PREFIX}:{page_id.slug}:{page_id.version}:{page_id.page}:{page_id.pages}"
    return f"{text}:{page_id.form_id}" if page_id.form_id else text


def parse_page_id(text: str) -> PageId | None:
    parts = (text or "").strip().split(":")
    if len(parts) not in (5, 6) or parts[0] != ID_QR_PREFIX or not _SLUG.match(parts[1]):
        return None
    try:
        version, page, pages = int(parts[2]), int(parts[3]), int(parts[4])
    except ValueError:
        return None
    if not (1 <= page <= pages <= 50 and version >= 1):
        return None
    form_id = parts[5] if len(parts) == 6 else ""
    if form_id and not _FORM_ID.match(form_id):
        return None
    return PageId(parts[1], version, page, pages, form_id)


def data_texts(form_id: str, page: int, values: dict[str, Any]) -> list[str]:
    """The data QR texts for one page's values (compact JSON, zlib, base64url, in chunks)."""
    if not values:
        return []
    raw = json.dumps(values, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    payload = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")
    chunks = [payload[i : i + DATA_QR_CHUNK] for i in range(0, len(payload), DATA_QR_CHUNK)]
    if len(chunks) > DATA_QR_MAX:
        raise PayloadTooLarge(f"page {page} needs {len(chunks)} data codes")
    return [f"{DATA_QR_PREFIX}:{form_id}:{page}:{i + 1}/{len(chunks)}:{c}" for i, c in enumerate(chunks)]


def parse_data_texts(texts: list[str]) -> tuple[str, int, dict] | None:
    """(form id, page, values) from the data codes found on one page, or None when they are
    missing, incomplete or damaged."""
    found: dict[int, str] = {}
    total = form_id = page = None
    for text in texts:
        parts = (text or "").split(":", 4)
        if len(parts) != 5 or parts[0] != DATA_QR_PREFIX or not _FORM_ID.match(parts[1]):
            continue
        try:
            index, count = (int(n) for n in parts[3].split("/"))
            this_page = int(parts[2])
        except ValueError:
            continue
        if (total, form_id, page) != (None, None, None) and (count, parts[1], this_page) != (
            total,
            form_id,
            page,
        ):
            return None
        total, form_id, page = count, parts[1], this_page
        found[index] = parts[4]
    if total is None or sorted(found) != list(range(1, total + 1)):
        return None
    payload = "".join(found[i] for i in range(1, total + 1))
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)), bufsize=65536)
        values = json.loads(raw)
    except (ValueError, zlib.error):
        return None
    if not isinstance(values, dict):
        return None
    return form_id, page, values
