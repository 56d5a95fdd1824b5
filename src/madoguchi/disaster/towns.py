"""Which 町字 of the city an address is in: the longest town name (data/municipalities/<code>-towns.json,
as the form's suggestions use) that the address starts with, once the prefecture and the city are
taken off. Cheap (a few microseconds): it runs in the case-opening transaction."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from madoguchi.forms.lookups import town_names

_PREFECTURE = re.compile(r"^(?:東京都|北海道|(?:京都|大阪)府|.{2,3}県)")
_CITY = re.compile(r"^[^\d]{1,6}?市")
_CHOME_SHORT = re.compile(r"^(?P<base>\D+?)(\d{1,2})(?:-|ー|－|の|番)")
_KANJI_DIGITS = "〇一二三四五六七八九"


def _kanji_number(match: re.Match) -> str:
    n = int(match.group(2) if match.re is _CHOME_SHORT else match.group(1))
    if n < 10:
        text = _KANJI_DIGITS[n]
    elif n < 100:
        tens, ones = divmod(n, 10)
        text = ("" if tens == 1 else _KANJI_DIGITS[tens]) + "十" + ("" if ones == 0 else _KANJI_DIGITS[ones])
    else:
        text = str(n)
    return text + "丁目"


@lru_cache(maxsize=4)
def _names_longest_first(code: str | None = None) -> tuple[str, ...]:
    return tuple(sorted(town_names(code), key=len, reverse=True))


def normalise_address(address: str) -> str:
    text = unicodedata.normalize("NFKC", address or "")
    text = re.sub(r"\s+", "", text)
    text = _PREFECTURE.sub("", text, count=1)
    text = _CITY.sub("", text, count=1)  # no town name of the city contains 市
    text = text.removeprefix("字")
    return re.sub(r"(\d{1,3})丁目", _kanji_number, text)


def town_of(address: str) -> str:
    """The town name, or "" when none matches (shown as 不明)."""
    text = normalise_address(address)
    if not text:
        return ""
    names = _names_longest_first()
    chome = _CHOME_SHORT.match(text)  # 日和が丘2-3-4 → 日和が丘二丁目
    if chome:
        candidate = _kanji_number(chome)[: -len("丁目")]
        candidate = chome.group("base") + candidate + "丁目"
        if candidate in set(names):
            return candidate
    for name in names:
        if text.startswith(name):
            return name
    return ""


def known_towns() -> tuple[str, ...]:
    return town_names()
