"""What templates need to draw a page of a procedure's form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .engine import input_key
from .fieldtypes import TYPES, FieldInvalid, localised


@dataclass
class RenderField:
    spec: dict
    key: str
    raw: Any
    error: FieldInvalid | None
    language: str
    note: str = ""

    @property
    def type(self) -> str:
        return self.spec["type"]

    @property
    def template(self) -> str:
        return TYPES[self.type].template

    @property
    def label(self) -> str:
        return localised(self.spec["label"], self.language)

    @property
    def help(self) -> str:
        return localised(self.spec.get("help"), self.language)

    @property
    def required(self) -> bool:
        return self.spec.get("required", True)

    @property
    def choices(self) -> list[dict]:
        return [
            {"value": c["value"], "label": localised(c["label"], self.language)}
            for c in self.spec.get("choices", [])
        ]

    @property
    def error_part(self) -> str | None:
        return self.error.part if self.error else None

    @property
    def first_input_id(self) -> str:
        """Where the error summary's link should take the keyboard."""
        if TYPES[self.type].composite:
            return f"{self.key}-{self.error_part or TYPES[self.type].composite[0]}"
        if self.type in ("choice", "yes_no", "multi_choice"):
            return f"{self.key}-0"
        return self.key

    @property
    def describedby(self) -> str:
        ids = []
        if self.help or self.note:
            ids.append(f"{self.key}-help")
        if self.error:
            ids.append(f"{self.key}-error")
        return " ".join(ids)

    def part(self, name: str) -> str:
        return "" if not isinstance(self.raw, dict) else str(self.raw.get(name, "") or "")

    @property
    def selected(self) -> list[str]:
        if isinstance(self.raw, list):
            return [str(v) for v in self.raw]
        return [str(self.raw)] if self.raw not in (None, "") else []

    @property
    def files(self) -> list[dict]:
        return self.raw.get("files", []) if isinstance(self.raw, dict) else []

    @property
    def towns(self) -> tuple[str, ...]:
        if not self.spec.get("suggest_towns"):
            return ()
        from .lookups import town_names

        return town_names()

    @property
    def value_text(self) -> str:
        return "" if isinstance(self.raw, (dict, list)) or self.raw is None else str(self.raw)


@dataclass
class RenderItem:
    index: int
    fields: list[RenderField] = field(default_factory=list)


def render_fields(fields: list[dict], raw: dict, errors: dict, language: str, index: int | None = None,
                  page: dict | None = None) -> list[RenderField]:  # fmt: skip
    from .engine import condition_note

    out = []
    for spec in fields:
        key = input_key(spec["id"], index)
        note = condition_note(spec.get("show_if"), page, language) if page else ""
        out.append(RenderField(spec, key, raw.get(key, ""), errors.get(key), language, note))
    return out


def raw_from_values(fields: list[dict], values: dict, index: int | None = None) -> dict:
    """The inputs' contents for answers already saved."""
    raw = {}
    for spec in fields:
        if spec["id"] not in values:
            continue
        value = values[spec["id"]]
        key = input_key(spec["id"], index)
        raw[key] = (
            {"files": value} if spec["type"] == "file" else TYPES[spec["type"]].raw_from_value(spec, value)
        )
    return raw
