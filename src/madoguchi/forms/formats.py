"""JSON Schema ``format`` checkers for our field types, so that the compiled schema checks what
a generic validator cannot: My Number check digits, katakana, real dates."""

from __future__ import annotations

import re
import uuid
from datetime import date

from jsonschema import FormatChecker

from madoguchi.privacy.mynumber import is_valid_my_number

FORMAT_CHECKER = FormatChecker(formats=())


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _date(value) -> bool:
    if not isinstance(value, str):
        return True
    date.fromisoformat(value)
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


@FORMAT_CHECKER.checks("my-number")
def _my_number(value) -> bool:
    return not isinstance(value, str) or (len(value) == 12 and is_valid_my_number(value))


@FORMAT_CHECKER.checks("katakana")
def _katakana(value) -> bool:
    return not isinstance(value, str) or value == "" or bool(re.fullmatch(r"[\u30a0-\u30ff ー・]+", value))


@FORMAT_CHECKER.checks("email")
def _email(value) -> bool:
    return not isinstance(value, str) or bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value))


@FORMAT_CHECKER.checks("uuid", raises=ValueError)
def _uuid(value) -> bool:
    if isinstance(value, str):
        uuid.UUID(value)
    return True


# --- a compiled check of the common case ------------------------------------------------------------


def _as_predicate(check, raises):
    def predicate(value) -> bool:
        try:
            return bool(check(value))
        except raises:
            return False

    return predicate


# Keywords that mean the same in JSON Schema draft 7 (what fastjsonschema compiles) and in 2020-12
# (what jsonschema judges by); a schema using any other is left to jsonschema alone.
SAME_IN_BOTH_DRAFTS = frozenset({
    "$schema", "title", "description", "default", "type", "properties", "required",
    "additionalProperties", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "const", "enum",
    "format", "items", "minItems", "maxItems", "uniqueItems", "minLength", "maxLength", "pattern",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
})  # fmt: skip


_SUBSCHEMA = ("not", "if", "then", "else", "items", "additionalProperties")


def _same_in_both_drafts(schema) -> bool:
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or not SAME_IN_BOTH_DRAFTS.issuperset(schema):
        return False
    for key, value in schema.items():
        if key == "items" and not isinstance(value, (dict, bool)):  # a list: prefixItems in 2020-12
            return False
        if key == "properties":
            subschemas = list(value.values())
        elif key in ("allOf", "anyOf", "oneOf"):
            subschemas = list(value)
        elif key in _SUBSCHEMA:
            subschemas = [value]
        else:
            continue
        if not all(_same_in_both_drafts(s) for s in subschemas):
            return False
    return True


def compiled_check(schema: dict):
    """A function that returns normally for data the schema accepts and raises otherwise, compiled
    into Python by fastjsonschema (about a tenth of jsonschema's time for valid answers), or None
    when the schema uses something it cannot compile.

    It is only ever asked "is this valid?"; jsonschema (``Draft202012Validator`` with
    ``FORMAT_CHECKER``) remains the judge: when the compiled check refuses data, jsonschema decides
    and words the errors. So the compiled check may be stricter than jsonschema, never looser: it is
    made only for schemas whose keywords all mean the same in draft 7 (fastjsonschema's newest) and
    in 2020-12 (``SAME_IN_BOTH_DRAFTS``), the formats are ``FORMAT_CHECKER``'s own functions, and
    ``tests/test_schema_check.py`` compares the two on every procedure's schema with valid and
    broken answers.
    """
    import fastjsonschema

    if not _same_in_both_drafts(schema):
        return None
    formats = {
        name: _as_predicate(check, raises) for name, (check, raises) in FORMAT_CHECKER.checkers.items()
    }
    draft7 = {key: value for key, value in schema.items() if key != "$schema"}
    try:
        return fastjsonschema.compile(draft7, formats=formats)
    except (fastjsonschema.JsonSchemaDefinitionException, re.error, ValueError, TypeError):
        return None
