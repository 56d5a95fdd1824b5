"""Running a form: which pages and fields apply given the answers so far, reading a page from a
POST, and the JSON Schema every submission is validated against on the server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from .fieldtypes import TYPES, FieldInvalid
from .formats import FORMAT_CHECKER

# --- conditions ------------------------------------------------------------------


def condition_holds(condition: dict | None, data: dict) -> bool:
    if not condition:
        return True
    value = data.get(condition["field"])
    if "equals" in condition:
        return value == condition["equals"]
    if "not_equals" in condition:
        return value is not None and value != condition["not_equals"]
    if "in" in condition:
        return value in condition["in"]
    return True


def visible_pages(definition: dict, data: dict) -> list[dict]:
    return [p for p in definition["form"]["pages"] if condition_holds(p.get("show_if"), data)]


def visible_fields(page: dict, data: dict) -> list[dict]:
    return [f for f in page["fields"] if condition_holds(f.get("show_if"), data)]


def page_fields(page: dict, data: dict) -> list[dict]:
    """The fields to draw on a page: those that apply, and those that depend on another
    answer on the same page (drawn with a note, since pages work without JavaScript)."""
    here = {f["id"] for f in page["fields"]}
    return [
        f for f in page["fields"]
        if condition_holds(f.get("show_if"), data) or (f.get("show_if") and f["show_if"]["field"] in here)
    ]  # fmt: skip


def condition_note(condition: dict | None, page: dict, language: str) -> str:
    """「いいえ」を選んだ場合 — for a field that depends on an answer on the same page."""
    from django.utils.translation import gettext as _

    from .fieldtypes import localised

    if not condition:
        return ""
    source = next((f for f in page["fields"] if f["id"] == condition["field"]), None)
    if source is None:
        return ""
    values = condition.get("in", [condition.get("equals", condition.get("not_equals"))])
    if source["type"] == "yes_no":
        labels = [_("はい") if v else _("いいえ") for v in values]
    else:
        names = {c["value"]: localised(c["label"], language) for c in source.get("choices", [])}
        labels = [names.get(v, str(v)) for v in values]
    joined = "、".join(f"「{label}」" for label in labels)
    if "not_equals" in condition:
        return _("%(answer)s以外を選んだ場合に入力してください。") % {"answer": joined}
    return _("%(answer)sを選んだ場合に入力してください。") % {"answer": joined}


def prune(definition: dict, data: dict) -> dict:
    """Drop answers to questions that no longer apply (after an earlier answer changed)."""
    kept: dict[str, Any] = {}
    for page in definition["form"]["pages"]:
        if not condition_holds(page.get("show_if"), {**data, **kept}):
            continue
        if page.get("repeat"):
            if page["id"] in data:
                kept[page["id"]] = data[page["id"]]
            continue
        for f in page["fields"]:
            if f["id"] in data and condition_holds(f.get("show_if"), {**data, **kept}):
                kept[f["id"]] = data[f["id"]]
    return kept


# --- reading a page -------------------------------------------------------------------


@dataclass
class PageResult:
    values: dict[str, Any] = field(default_factory=dict)  # cleaned, for the draft
    raw: dict[str, Any] = field(default_factory=dict)  # as typed, to show again
    errors: dict[str, FieldInvalid] = field(default_factory=dict)  # input key -> error

    @property
    def ok(self) -> bool:
        return not self.errors


def input_key(field_id: str, index: int | None = None) -> str:
    return f"f-{field_id}" if index is None else f"f-{field_id}-{index}"


def read_fields(fields: list[dict], post, data: dict, *, index: int | None = None,
                prepared_files: dict | None = None) -> PageResult:  # fmt: skip
    """Read and clean the given fields from a POST. ``prepared_files`` maps input keys of file
    fields to the already-stored uploads ({"files": [...]}), which the runner handles."""
    result = PageResult()
    for f in fields:
        ftype = TYPES[f["type"]]
        key = input_key(f["id"], index)
        raw = ftype.read(f, post, key)
        if not condition_holds(f.get("show_if"), {**data, **result.values}):
            result.raw[key] = raw  # kept, so that what was typed is not lost, but not asked
            continue
        if f["type"] == "file":
            raw = {**raw, **(prepared_files or {}).get(key, {"files": []})}
            empty = not raw.get("files")
        else:
            empty = ftype.is_empty(raw)
        result.raw[key] = raw
        if empty:
            if f.get("required", True):
                result.errors[key] = FieldInvalid(required_message(f))
            continue
        try:
            result.values[f["id"]] = ftype.clean(f, raw)
        except FieldInvalid as exc:
            result.errors[key] = exc
    return result


def required_message(f: dict) -> str:
    from django.utils.translation import gettext as _

    if f["type"] in ("choice", "yes_no", "multi_choice"):
        return (
            _("どれか一つを選んでください。")
            if f["type"] != "multi_choice"
            else _("一つ以上選んでください。")
        )
    if f["type"] == "consent":
        return _("内容を確認し、チェックを入れてください。")
    if f["type"] == "file":
        return _("ファイルを選んでください。")
    return _("入力してください。")


# --- the submission schema ---------------------------------------------------------------


def _condition_schema(condition: dict) -> dict:
    name = condition["field"]
    if "equals" in condition:
        test = {"const": condition["equals"]}
    elif "not_equals" in condition:
        test = {"not": {"const": condition["not_equals"]}}
    else:
        test = {"enum": list(condition["in"])}
    return {"properties": {name: test}, "required": [name]}


def _all(conditions: list[dict]) -> dict | None:
    schemas = [_condition_schema(c) for c in conditions if c]
    if not schemas:
        return None
    return schemas[0] if len(schemas) == 1 else {"allOf": schemas}


def compile_schema(definition: dict) -> dict:
    """JSON Schema (2020-12) of a complete, valid submission of this definition."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    conditional: list[dict] = []
    for page in definition["form"]["pages"]:
        page_condition = page.get("show_if")
        if page.get("repeat"):
            repeat = page["repeat"]
            item_props = {f["id"]: TYPES[f["type"]].schema(f) for f in page["fields"]}
            item_required = [f["id"] for f in page["fields"] if f.get("required", True)]
            properties[page["id"]] = {
                "type": "array", "minItems": repeat.get("min", 1), "maxItems": repeat.get("max", 10),
                "items": {"type": "object", "properties": item_props, "required": item_required,
                          "additionalProperties": False},
            }  # fmt: skip
            entries = [(page["id"], True, page_condition, None)]
        else:
            entries = [
                (f["id"], f.get("required", True), page_condition, f.get("show_if")) for f in page["fields"]
            ]
            for f in page["fields"]:
                properties[f["id"]] = TYPES[f["type"]].schema(f)
        for name, is_required, *conditions in entries:
            when = _all(conditions)
            if when is None:
                if is_required:
                    required.append(name)
                continue
            rule: dict[str, Any] = {"if": when, "else": {"not": {"required": [name]}}}
            if is_required:
                rule["then"] = {"required": [name]}
            conditional.append(rule)
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": definition["id"],
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    if conditional:
        schema["allOf"] = conditional
    return schema


def schema_errors(schema: dict, data: dict) -> list[str]:
    """Every way the data breaks the schema, as 'path: message' (empty when valid)."""
    return validator_errors(Draft202012Validator(schema, format_checker=FORMAT_CHECKER), data)


def validator_errors(validator, data: dict) -> list[str]:
    errors = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in error.absolute_path) or "(root)"
        errors.append(f"{path}: {error.message}")
    return errors


# --- showing the answers ------------------------------------------------------------


@dataclass
class AnswerRow:
    field_id: str
    label: str
    value: str


@dataclass
class AnswerSection:
    page_id: str
    title: str
    rows: list[AnswerRow]
    items: list[list[AnswerRow]] | None = None  # a repeating page: one list of rows per item
    item_label: str = ""


def answers_summary(
    definition: dict, data: dict, language: str, *, include_unanswered: bool = False
) -> list[AnswerSection]:
    """The answers as the check-your-answers page, the receipt and staff show them."""
    from .fieldtypes import localised

    sections = []
    for page in visible_pages(definition, data):
        title = localised(page["title"], language)
        if page.get("repeat"):
            items = []
            for item in data.get(page["id"], []):
                items.append([
                    AnswerRow(f["id"], localised(f["label"], language), TYPES[f["type"]].display(f, item.get(f["id"]), language))
                    for f in page["fields"] if f["id"] in item
                ])  # fmt: skip
            sections.append(
                AnswerSection(page["id"], title, [], items, localised(page["repeat"]["item"], language))
            )
            continue
        rows = [
            AnswerRow(f["id"], localised(f["label"], language), TYPES[f["type"]].display(f, data[f["id"]], language))
            for f in visible_fields(page, data) if f["id"] in data
        ]  # fmt: skip
        unanswered = include_unanswered and any(f["id"] not in data for f in visible_fields(page, data))
        if rows or unanswered:
            sections.append(AnswerSection(page["id"], title, rows))
    return sections


def first_incomplete_page(definition: dict, data: dict) -> dict | None:
    """The first page that applies and still lacks a required answer."""
    for page in visible_pages(definition, data):
        if page.get("repeat"):
            if len(data.get(page["id"], [])) < page["repeat"].get("min", 1):
                return page
            continue
        for f in visible_fields(page, data):
            if f.get("required", True) and f["id"] not in data:
                return page
    return None
