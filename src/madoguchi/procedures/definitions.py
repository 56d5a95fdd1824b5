"""Procedure definitions: YAML files checked against a schema and a few rules, with errors that
name the file, the line and the field (docs/procedures.md describes the format)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from madoguchi.forms.engine import compile_schema
from madoguchi.forms.fieldtypes import TYPES

L10N = {
    "type": "object",
    "properties": {"ja": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}},
    "required": ["ja", "en"],
    "additionalProperties": False,
}
IDENT = {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,60}$"}
CONDITION = {
    "type": "object",
    "properties": {"field": IDENT, "equals": {}, "not_equals": {}, "in": {"type": "array", "minItems": 1}},
    "required": ["field"],
    "minProperties": 2,
    "maxProperties": 2,
    "additionalProperties": False,
}
CHOICE = {
    "type": "object",
    "properties": {"value": {"type": "string", "pattern": "^[a-z0-9_]{1,40}$"}, "label": L10N},
    "required": ["value", "label"],
    "additionalProperties": False,
}
FIELD = {
    "type": "object",
    "properties": {
        "id": IDENT,
        "type": {"enum": sorted(TYPES)},
        "label": L10N,
        "help": L10N,
        "required": {"type": "boolean"},
        "show_if": CONDITION,
        "choices": {"type": "array", "minItems": 2, "items": CHOICE},
        "min": {"type": "integer"},
        "max": {"type": "integer"},
        "max_length": {"type": "integer", "minimum": 1, "maximum": 4000},
        "max_files": {"type": "integer", "minimum": 1, "maximum": 20},
        "past_only": {"type": "boolean"},
        "future_only": {"type": "boolean"},
        "address_field": IDENT,
        "suggest_towns": {"type": "boolean"},
        "given_optional": {"type": "boolean"},
        "autocomplete": {"type": "string", "pattern": "^[a-z -]+$"},
        "shared": {"type": "string", "pattern": "^[a-z_]+$"},
    },
    "required": ["id", "type", "label"],
    "additionalProperties": False,
}
PAGE = {
    "type": "object",
    "properties": {
        "id": IDENT,
        "title": L10N,
        "intro": L10N,
        "show_if": CONDITION,
        "repeat": {
            "type": "object",
            "properties": {
                "min": {"type": "integer", "minimum": 0},
                "max": {"type": "integer", "minimum": 1, "maximum": 20},
                "item": L10N,
            },
            "required": ["item"],
            "additionalProperties": False,
        },
        "fields": {"type": "array", "minItems": 1, "items": FIELD},
    },
    "required": ["id", "title", "fields"],
    "additionalProperties": False,
}
DEFINITION_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Madoguchi procedure definition",
    "type": "object",
    "properties": {
        "id": IDENT,
        "name": L10N,
        "summary": L10N,
        "department": {"type": "string", "pattern": "^[a-z0-9-]+$"},
        "legal_basis": {"type": "string", "minLength": 1},
        "legal_basis_verified": {"type": "boolean"},
        "processing_days": {"type": "integer", "minimum": 0, "maximum": 365},
        "fee": {"type": "integer", "minimum": 0},
        "fee_note": L10N,
        "filers": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": ["self", "proxy", "agent"]},
        },
        "filer": {
            "type": "object",
            "properties": {"field": IDENT, "proxy_name": IDENT},
            "required": ["field"],
            "additionalProperties": False,
        },
        "identity": {"enum": ["none", "email", "jpki"]},
        "channels": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": ["online", "counter", "paper"]},
        },
        "attachments": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": IDENT,
                    "label": L10N,
                    "help": L10N,
                    "required": {"type": "boolean"},
                    "show_if": CONDITION,
                    "max_files": {"type": "integer", "minimum": 1, "maximum": 20},
                },
                "required": ["id", "label"],
                "additionalProperties": False,
            },
        },
        "retention": {
            "type": "object",
            "properties": {"years": {"type": "integer", "minimum": 1, "maximum": 30}},
            "required": ["years"],
            "additionalProperties": False,
        },
        "personal_data": {
            "type": "object",
            "properties": {
                "file_name": {"type": "string", "minLength": 1},
                "purpose": {"type": "string", "minLength": 1},
                "subjects": {"type": "string", "minLength": 1},
                "sensitive": {"type": "boolean"},
                "my_number_legal_basis": {"type": "string", "minLength": 1},
                "my_number_affair": {"type": "string", "minLength": 1},
            },
            "required": ["file_name", "purpose", "subjects", "sensitive"],
            "additionalProperties": False,
        },
        "life_events": {
            "type": "array",
            "uniqueItems": True,
            "items": {"enum": ["moving", "birth", "childcare", "care", "disaster"]},
        },
        "keywords": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "prepare": {"type": "array", "items": L10N},
        "to_confirm": {"type": "array", "items": {"type": "string"}},
        "workflow": {"type": "string", "pattern": "^[a-z_]+$"},
        "cases": {
            "type": "array",
            "minItems": 1,
            "maxItems": 10,
            "items": {
                "type": "object",
                "properties": {
                    "department": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                    "workflow": {"type": "string", "pattern": "^[a-z_]+$"},
                    "title": L10N,
                },
                "required": ["department"],
                "additionalProperties": False,
            },
        },
        "form": {
            "type": "object",
            "properties": {"pages": {"type": "array", "minItems": 1, "items": PAGE}},
            "required": ["pages"],
            "additionalProperties": False,
        },
    },
    "required": [
        "id",
        "name",
        "summary",
        "department",
        "legal_basis",
        "processing_days",
        "fee",
        "filers",
        "identity",
        "channels",
        "retention",
        "personal_data",
        "keywords",
        "form",
    ],
    "additionalProperties": False,
}

ATTACHMENTS_PAGE = "attachments"


class DefinitionError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class ParsedDefinition:
    data: dict  # normalised: the attachments page added
    source_text: str
    sha256: str
    schema: dict

    @property
    def id(self) -> str:
        return self.data["id"]


# --- YAML with line numbers ------------------------------------------------------------


def _line_map(node, path=(), lines=None) -> dict[tuple, int]:
    lines = {} if lines is None else lines
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _line_map(value_node, (*path, key_node.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, index), lines)
    return lines


def _error_path(error) -> tuple:
    """Where to point: for an unexpected key, the key itself rather than its parent."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = [k for k in error.instance if k not in error.schema.get("properties", {})]
        if extra:
            return (*path, extra[0])
    return path


def _where(source: str, lines: dict[tuple, int], path: tuple) -> str:
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            line = lines[path[:cut]]
            break
    else:
        line = 1
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "(top)"
    return f"{source}:{line}: {dotted}"


# --- checking -----------------------------------------------------------------------------


def _semantic_errors(data: dict, known_departments: set[str] | None) -> list[tuple[tuple, str]]:
    errors: list[tuple[tuple, str]] = []
    if known_departments is not None and data["department"] not in known_departments:
        errors.append((("department",), f"no department with code {data['department']!r} in this city"))
    seen_pages: set[str] = set()
    seen_fields: dict[str, dict] = {}
    repeat_fields: set[str] = set()
    shared_seen: set[str] = set()
    for p_index, page in enumerate(data["form"]["pages"]):
        where = ("form", "pages", p_index)
        if page["id"] in seen_pages or page["id"] == ATTACHMENTS_PAGE:
            errors.append(((*where, "id"), f"page id {page['id']!r} is used twice (or reserved)"))
        seen_pages.add(page["id"])
        condition = page.get("show_if")
        if condition:
            errors.extend(_condition_errors(condition, seen_fields, repeat_fields, (*where, "show_if")))
        for f_index, f in enumerate(page["fields"]):
            fwhere = (*where, "fields", f_index)
            if f["id"] in seen_fields or f["id"] in seen_pages:
                errors.append(((*fwhere, "id"), f"field id {f['id']!r} is used twice"))
            if f.get("show_if"):
                if page.get("repeat"):
                    errors.append(((*fwhere, "show_if"), "fields of a repeating page cannot have conditions"))
                else:
                    errors.extend(
                        _condition_errors(f["show_if"], seen_fields, repeat_fields, (*fwhere, "show_if"))
                    )
            errors.extend(_field_errors(f, fwhere))
            if f.get("shared"):
                errors.extend(_shared_errors(f, page, fwhere, shared_seen))
            seen_fields[f["id"]] = f
            if page.get("repeat"):
                repeat_fields.add(f["id"])
        if page.get("repeat") and page["repeat"].get("min", 1) > page["repeat"].get("max", 10):
            errors.append(((*where, "repeat"), "min is more than max"))
    for a_index, attachment in enumerate(data.get("attachments", [])):
        if attachment["id"] in seen_fields:
            errors.append((("attachments", a_index, "id"), f"id {attachment['id']!r} is used twice"))
        if attachment.get("show_if"):
            errors.extend(
                _condition_errors(
                    attachment["show_if"], seen_fields, repeat_fields, ("attachments", a_index, "show_if")
                )
            )
    errors.extend(_filer_errors(data, seen_fields))
    types = {f["type"] for f in seen_fields.values()}
    if "my_number" in types and not data["personal_data"].get("my_number_legal_basis"):
        errors.append(
            (
                ("personal_data",),
                "the form asks for a My Number: name its legal basis in my_number_legal_basis",
            )
        )
    if "my_number" in types and not data["personal_data"].get("my_number_affair"):
        errors.append(
            (
                ("personal_data",),
                "the form asks for a My Number: name its 個人番号利用事務 in my_number_affair",
            )
        )
    from madoguchi.cases.workflows import workflows

    if data.get("workflow", "standard") not in workflows():
        errors.append((("workflow",), f"no workflow {data.get('workflow')!r} in data/workflows/"))
    errors.extend(_cases_errors(data, known_departments, workflows()))
    if "online" not in data["channels"]:
        errors.append((("channels",), "Madoguchi procedures are filed online: include 'online'"))
    return errors


def _cases_errors(data: dict, known_departments: set[str] | None, flows) -> list[tuple[tuple, str]]:
    """``cases:``: one case per entry, the first in the procedure's own department, each
    department at most once, each department and workflow known, a title on every extra case."""
    errors: list[tuple[tuple, str]] = []
    seen: set[str] = set()
    for index, part in enumerate(data.get("cases", [])):
        where = ("cases", index)
        code = part["department"]
        if known_departments is not None and code not in known_departments:
            errors.append(((*where, "department"), f"no department with code {code!r} in this city"))
        if index == 0 and code != data["department"]:
            errors.append(
                ((*where, "department"), f"the first case is the procedure's own: use {data['department']!r}")
            )
        if code in seen:
            errors.append(((*where, "department"), f"{code!r} already has a case in this list"))
        seen.add(code)
        if "workflow" in part and part["workflow"] not in flows:
            errors.append(((*where, "workflow"), f"no workflow {part['workflow']!r} in data/workflows/"))
        if index > 0 and "title" not in part:
            errors.append((where, "name this case's part of the filing in title (ja/en)"))
    return errors


def _shared_errors(f: dict, page: dict, where: tuple, shared_seen: set[str]) -> list[tuple[tuple, str]]:
    """A shared answer (ワンスオンリー) is one of the known keys, of its type, asked always and once."""
    from madoguchi.forms.shared import SHARED_FIELDS

    key = f["shared"]
    if key not in SHARED_FIELDS:
        return [((*where, "shared"), f"{key!r} is not a shared answer; use one of {sorted(SHARED_FIELDS)}")]
    errors = []
    if SHARED_FIELDS[key]["type"] != f["type"]:
        errors.append(
            ((*where, "shared"), f"{key!r} is a {SHARED_FIELDS[key]['type']} field, not {f['type']}")
        )
    if page.get("repeat") or page.get("show_if") or f.get("show_if"):
        errors.append(
            ((*where, "shared"), "a shared answer is asked always: not in a repeating or conditional page")
        )
    if key in shared_seen:
        errors.append(((*where, "shared"), f"{key!r} is shared by another field of this form"))
    shared_seen.add(key)
    return errors


def _filer_errors(data: dict, seen_fields: dict[str, dict]) -> list[tuple[tuple, str]]:
    """Who may file (filers) must match the question that asks who is filing (filer.field).

    The values ``proxy`` and ``agent`` of that question mean 代理人 and 提出代行者; any other
    value (self, family, a household member...) is the applicant's own filing.
    """
    others = [kind for kind in data["filers"] if kind != "self"]
    filer = data.get("filer")
    if filer is None:
        if others:
            return [
                (
                    ("filers",),
                    f"{others!r} may file: name the question that asks who is filing in filer.field",
                )
            ]
        return []
    field_id = filer["field"]
    source = seen_fields.get(field_id)
    if source is None or source["type"] != "choice":
        return [(("filer", "field"), f"{field_id!r} is not a choice field of this form")]
    errors = []
    first_page = data["form"]["pages"][0]
    if source not in first_page["fields"] or first_page.get("show_if") or source.get("show_if"):
        errors.append((("filer", "field"), f"{field_id!r} must be asked on the first page, always"))
    values = {c["value"] for c in source.get("choices", [])}
    for kind in ("proxy", "agent"):
        if kind in data["filers"] and kind not in values:
            errors.append(
                (("filer", "field"), f"filers include {kind!r}: give {field_id!r} a choice {kind!r}")
            )
        if kind not in data["filers"] and kind in values:
            errors.append((("filers",), f"{field_id!r} offers {kind!r}: add it to filers"))
    name_field = filer.get("proxy_name")
    if name_field is not None and name_field not in seen_fields:
        errors.append((("filer", "proxy_name"), f"{name_field!r} is not a field of this form"))
    for a_index, attachment in enumerate(data.get("attachments", [])):
        if attachment["id"] != POWER_OF_ATTORNEY:
            continue
        if "proxy" not in data["filers"]:
            errors.append((("attachments", a_index, "id"), "a 委任状 is asked only where a proxy may file"))
        elif attachment.get("show_if") != {"field": field_id, "equals": "proxy"} or not attachment.get(
            "required"
        ):
            errors.append(
                (
                    ("attachments", a_index),
                    f"the 委任状 must be required: true with show_if: {{field: {field_id}, equals: proxy}}",
                )
            )
    return errors


def _condition_errors(condition, seen_fields, repeat_fields, where) -> list[tuple[tuple, str]]:
    target = condition["field"]
    if target not in seen_fields:
        return [((*where, "field"), f"{target!r} is not a field asked before this point")]
    if target in repeat_fields:
        return [((*where, "field"), f"{target!r} is inside a repeating page and cannot be a condition")]
    source = seen_fields[target]
    values = condition.get("in", [condition.get("equals", condition.get("not_equals"))])
    if source["type"] in ("choice",):
        allowed = {c["value"] for c in source.get("choices", [])}
        wrong = [v for v in values if v not in allowed]
        if wrong:
            return [((*where,), f"{wrong!r} is not a choice of {target!r}")]
    if source["type"] == "yes_no" and not all(isinstance(v, bool) for v in values):
        return [((*where,), f"{target!r} is yes/no: compare with true or false")]
    return []


def _field_errors(f: dict, where: tuple) -> list[tuple[tuple, str]]:
    errors = []
    kind = f["type"]
    if kind in ("choice", "multi_choice"):
        if "choices" not in f:
            errors.append(((*where, "choices"), f"a {kind} field needs choices"))
        else:
            values = [c["value"] for c in f["choices"]]
            if len(values) != len(set(values)):
                errors.append(((*where, "choices"), "choice values must differ"))
    elif "choices" in f:
        errors.append(((*where, "choices"), f"a {kind} field has no choices"))
    if "min" in f and "max" in f and f["min"] > f["max"]:
        errors.append(((*where, "min"), "min is more than max"))
    if f.get("past_only") and f.get("future_only"):
        errors.append(((*where, "past_only"), "a date cannot be both past_only and future_only"))
    if kind == "consent" and f.get("required") is False:
        errors.append(((*where, "required"), "a consent is always required"))
    return errors


POWER_OF_ATTORNEY = "power_of_attorney"


def power_of_attorney_attachment(filer_field: str) -> dict:
    """The 委任状 every procedure that a proxy may file asks for, unless its file words its own."""
    return {
        "id": POWER_OF_ATTORNEY,
        "label": {"ja": "委任状", "en": "Letter of authorisation (委任状)"},
        "help": {
            "ja": "本人が、あなたにこの手続を頼んだことがわかるもの。本人の署名があれば、押印はいりません。",
            "en": "A letter showing that the person asked you to do this for them. Their signature is enough: no seal is needed.",
        },
        "required": True,
        "show_if": {"field": filer_field, "equals": "proxy"},
    }


def filer_kind(definition: dict, data: dict) -> str:
    """Who filed: 'self' (the applicant or their family), 'proxy' (代理人) or 'agent' (提出代行者)."""
    filer = definition.get("filer")
    answer = data.get(filer["field"]) if filer else None
    return answer if answer in ("proxy", "agent") else "self"


def normalise(data: dict) -> dict:
    """The definition as the runner uses it: attachments become a last page of file fields."""
    data = json.loads(json.dumps(data))  # a deep copy of plain JSON
    attachments = data.get("attachments", [])
    if "proxy" in data["filers"] and not any(a["id"] == POWER_OF_ATTORNEY for a in attachments):
        attachments = [*attachments, power_of_attorney_attachment(data["filer"]["field"])]

    if attachments:
        data["form"]["pages"].append(
            {
                "id": ATTACHMENTS_PAGE,
                "title": {"ja": "書類の添付", "en": "Documents"},
                "intro": {
                    "ja": "写真やPDFのファイルを選んでください（1つ10MBまで）。",
                    "en": "Choose photos or PDF files (up to 10 MB each).",
                },
                "fields": [
                    {
                        "id": a["id"],
                        "type": "file",
                        "label": a["label"],
                        **({"help": a["help"]} if "help" in a else {}),
                        "required": a.get("required", False),
                        "max_files": a.get("max_files", 5),
                        **({"template_for": data["id"]} if a["id"] == POWER_OF_ATTORNEY else {}),
                        **({"show_if": a["show_if"]} if "show_if" in a else {}),
                    }
                    for a in attachments
                ],
            }
        )
    return data


def checked_yaml(
    text: str, *, source: str, schema: dict, error: type[Exception], what: str
) -> tuple[dict, dict]:
    """YAML checked against a JSON Schema, with its line map; ``error`` (raised with a list of
    ``file:line: path: message``) for a YAML mistake, a non-mapping (``what`` says what it should
    be) or any schema error. Shared by every data file the city edits by hand."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise error([f"{source}:{line}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from exc
    if not isinstance(data, dict) or node is None:
        raise error([f"{source}:1: {what}"])
    lines = _line_map(node)
    validator = Draft202012Validator(schema)
    problems = [
        f"{_where(source, lines, _error_path(e))}: {e.message}"
        for e in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    ]
    if problems:
        raise error(problems)
    return data, lines


def parse_definition(
    text: str, *, source: str, known_departments: set[str] | None = None
) -> ParsedDefinition:
    """Parse and check a definition; raise DefinitionError listing every problem with its place."""
    data, lines = checked_yaml(text, source=source, schema=DEFINITION_SCHEMA, error=DefinitionError,
                               what="a definition is a mapping (id, name, form, ...)")  # fmt: skip
    semantic = _semantic_errors(data, known_departments)
    if semantic:
        raise DefinitionError([f"{_where(source, lines, path)}: {message}" for path, message in semantic])
    normalised = normalise(data)
    return ParsedDefinition(
        data=normalised,
        source_text=text,
        sha256=hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest(),
        schema=compile_schema(normalised),
    )


def all_fields(definition: dict) -> list[dict]:
    return [f for page in definition["form"]["pages"] for f in page["fields"]]


def has_my_number(definition: dict) -> bool:
    return any(f["type"] == "my_number" for f in all_fields(definition))


def fields_of(definition: dict) -> dict[str, dict]:
    return {f["id"]: f for f in all_fields(definition)}


def labels(definition: dict, language: str = "ja") -> dict[str, Any]:
    return {f["id"]: f["label"].get(language, f["label"]["ja"]) for f in all_fields(definition)}
