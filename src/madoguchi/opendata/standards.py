"""The standard datasets (推奨データセット / 自治体標準オープンデータセット) as Frictionless Table Schemas.

``data/opendata/standard-datasets.json`` holds the 2021 column layout (都道府県コード又は市区町村コード,
NO, 都道府県名, 市区町村名, 住所, 方書, …). Published municipal files now use the current layout
(全国地方公共団体コード, ID, 地方公共団体名, 所在地_連結表記 and its parts, 建物名等(方書)). Both are
accepted: ``LAYOUT_RENAMES`` derives the current layout from the old one, and ``match_layout``
picks the one a file's header follows. A file is checked against the columns it has: required
columns must be there, unknown columns are reported, order is free (docs/opendata.md).

Hand-written because the definitions are data we ship, not code we could install; the
validation of cells is frictionless's.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

DATA_FILE = Path(settings.BASE_DIR) / "data" / "opendata" / "standard-datasets.json"
RULES_FILE = Path(settings.BASE_DIR) / "data" / "opendata" / "machine-readability-rules.json"

# Columns that hold a 全国地方公共団体コード (6 digits with the check digit).
LG_CODE_COLUMNS = frozenset(
    {
        "全国地方公共団体コード",
        "都道府県コード又は市区町村コード",
        "市区町村コード",
        "所在地_全国地方公共団体コード",
    }
)
LATITUDE_COLUMNS = ("緯度", "latitude", "lat")
LONGITUDE_COLUMNS = ("経度", "longitude", "lng", "lon")
LAT_RANGE = (20.0, 46.0)  # Japan, 沖ノ鳥島 to 択捉島
LNG_RANGE = (122.0, 154.0)

# Old column -> the columns of the current layout that replace it (the first takes over "required").
LAYOUT_RENAMES: dict[str, tuple[str, ...]] = {
    "都道府県コード又は市区町村コード": ("全国地方公共団体コード",),
    "市区町村コード": ("全国地方公共団体コード",),
    "NO": ("ID",),
    "都道府県名": ("地方公共団体名",),
    "市区町村名": (),  # merged into 地方公共団体名
    "住所": (
        "所在地_連結表記",
        "所在地_全国地方公共団体コード",
        "町字ID",
        "所在地_都道府県",
        "所在地_市区町村",
        "所在地_町字",
        "所在地_番地以下",
    ),
    "方書": ("建物名等(方書)",),
}
TIME_PATTERN = r"^([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
LG_CODE_PATTERN = "^[0-9]{6}$"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string, number, time, date, url (as in the source file)
    required: bool
    note: str = ""


@dataclass(frozen=True)
class StandardDataset:
    id: str
    name: str
    description: str
    columns: tuple[Column, ...]  # 2021 layout
    current_columns: tuple[Column, ...]  # current layout

    def layout(self, key: str) -> tuple[Column, ...]:
        return self.current_columns if key == "current" else self.columns


def normalise_label(label: str) -> str:
    """Header comparison: NFKC (full-width brackets and letters), no spaces."""
    return "".join(unicodedata.normalize("NFKC", label or "").split())


def _current(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    result: list[Column] = []
    seen: set[str] = set()
    for column in columns:
        names = LAYOUT_RENAMES.get(column.name, (column.name,))
        for i, name in enumerate(names):
            if name in seen:
                continue
            seen.add(name)
            source = column if name == column.name else None
            result.append(
                Column(
                    name=name,
                    type="string" if source is None else source.type,
                    required=column.required and i == 0,
                    note=column.note if name == column.name else "",
                )
            )
    return tuple(result)


@cache
def standard_datasets() -> dict[str, StandardDataset]:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    result = {}
    for entry in raw:
        columns = tuple(
            Column(c["name_ja"], c["type"], bool(c["required"]), c.get("format_note", ""))
            for c in entry["columns"]
        )
        result[entry["id"]] = StandardDataset(
            id=entry["id"],
            name=entry["name_ja"],
            description=entry["description_ja"],
            columns=columns,
            current_columns=_current(columns),
        )
    return result


def standard_get(standard_id: str) -> StandardDataset | None:
    return standard_datasets().get(standard_id) if standard_id else None


def standard_choices() -> list[tuple[str, str]]:
    return [(s.id, s.name) for s in standard_datasets().values()]


@cache
def machine_readability_rules() -> dict[str, dict]:
    return {r["id"]: r for r in json.loads(RULES_FILE.read_text(encoding="utf-8"))}


def match_layout(standard: StandardDataset, header: list[str]) -> str:
    """ "current" or "legacy": the layout more of the header's columns belong to (current on a tie)."""
    labels = {normalise_label(h) for h in header}
    legacy = sum(normalise_label(c.name) in labels for c in standard.columns)
    current = sum(normalise_label(c.name) in labels for c in standard.current_columns)
    return "legacy" if legacy > current else "current"


def field_descriptor(column: Column) -> dict:
    """One Table Schema field for a standard column."""
    field: dict = {"name": column.name, "type": "string"}
    constraints: dict = {}
    if column.type == "number":
        field["type"] = "number"
    elif column.type == "date":
        field["type"] = "date"
    elif column.type == "url":
        field["format"] = "uri"
    elif column.type == "time":
        constraints["pattern"] = TIME_PATTERN
    if column.name in LG_CODE_COLUMNS:
        constraints["pattern"] = LG_CODE_PATTERN
    if column.name in LATITUDE_COLUMNS:
        field["type"] = "number"
        constraints.update(minimum=LAT_RANGE[0], maximum=LAT_RANGE[1])
    if column.name in LONGITUDE_COLUMNS:
        field["type"] = "number"
        constraints.update(minimum=LNG_RANGE[0], maximum=LNG_RANGE[1])
    if column.required:
        constraints["required"] = True
    if constraints:
        field["constraints"] = constraints
    if column.note:
        field["description"] = column.note.split(" [")[0]
    return field


def table_schema_for(standard: StandardDataset, layout: str, header: list[str]) -> dict:
    """The Table Schema a file following ``layout`` is published with: its own columns, in its order.

    Columns of the standard get their definition; other columns are strings.
    """
    by_label = {normalise_label(c.name): c for c in standard.layout(layout)}
    fields = []
    for name in header:
        column = by_label.get(normalise_label(name))
        fields.append(
            field_descriptor(Column(name, column.type, column.required, column.note))
            if column
            else {"name": name, "type": "string"}
        )
    return {"fields": fields, "missingValues": [""]}
