"""The compiled check of answers (forms.formats.compiled_check) against jsonschema, the judge.

The online submit confirms valid answers with a schema compiled by fastjsonschema and leaves
everything it refuses to jsonschema. That is safe only if the compiled check is never looser than
jsonschema: here both see every procedure's schema with its valid sample answers and with each
answer broken in many ways (wrong types, empty, too long, impossible dates, full-width digits,
answers to questions that a condition hides, missing answers), and with answers inside repeating
groups broken the same way."""

from __future__ import annotations

import copy

import pytest
from jsonschema import Draft202012Validator

from madoguchi.forms.formats import FORMAT_CHECKER, compiled_check
from madoguchi.forms.samples import sample_answers
from madoguchi.procedures.files import parse_files
from madoguchi.procedures.selectors import VersionRules

DEFINITIONS = parse_files()[0]

BROKEN = (
    None, "", " ", "x" * 5000, 0, -1, 1.5, 10**12, True, False, [], {}, ["a"], [{}], {"a": 1},
    "abc", "2024-02-30", "2024-2-3", "0000-00-00", "１２３", "ｱｲｳ", "アイウ", "123456789012", "a@b",
    "a@b.jp", "984-8501", "9848501", "yes", "no", "other",
)  # fmt: skip


def _variants(data: dict, properties: dict):
    """The answers with each property (answered or not) replaced by each broken value, or dropped."""
    for key in sorted(set(data) | set(properties)):
        for value in BROKEN:
            changed = dict(data)
            changed[key] = copy.deepcopy(value)
            yield changed
        if key in data:
            yield {k: v for k, v in data.items() if k != key}
    for key, value in data.items():  # inside repeating groups: the first item's answers broken
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for inner in sorted(value[0]):
                for broken in BROKEN:
                    item = dict(value[0])
                    item[inner] = copy.deepcopy(broken)
                    yield {**data, key: [item, *value[1:]]}


def _accepts(check, data) -> bool:
    try:
        check(data)
    except Exception:
        return False
    return True


@pytest.mark.parametrize("parsed", DEFINITIONS, ids=[p.id for p in DEFINITIONS])
def test_the_compiled_check_is_never_looser_than_jsonschema(parsed):
    check = compiled_check(parsed.schema)
    assert check is not None, "every procedure's schema compiles"
    judge = Draft202012Validator(parsed.schema, format_checker=FORMAT_CHECKER)
    valid = sample_answers(parsed.data)
    assert judge.is_valid(valid) and _accepts(check, valid)  # the usual case takes the fast path
    looser, tried, agreed = [], 0, 0
    for data in _variants(valid, parsed.schema["properties"]):
        tried += 1
        fast, slow = _accepts(check, data), judge.is_valid(data)
        agreed += fast == slow
        if fast and not slow:
            looser.append(next(iter(judge.iter_errors(data))).message)
    assert not looser, f"accepted by the compiled check, refused by jsonschema: {looser[:5]}"
    assert tried > 100 and agreed / tried > 0.95  # stricter only in rare corners (it then defers)


def test_version_rules_word_the_errors_with_jsonschema_and_accept_valid_answers():
    parsed = next(p for p in DEFINITIONS if p.id == "risai_shomei")
    rules = VersionRules(parsed.data, parsed.schema)
    valid = sample_answers(parsed.data)
    assert rules.check is not None and rules.errors(valid) == []
    broken = {k: v for k, v in valid.items() if k not in parsed.schema["required"][:1]}
    errors = rules.errors(broken)
    assert errors == [f"(root): '{parsed.schema['required'][0]}' is a required property"]


def test_a_schema_with_keywords_of_2020_12_only_is_left_to_jsonschema_alone():
    # prefixItems is 2020-12's; draft 7 would ignore it (looser), so no compiled check is made.
    schema = {"type": "object", "properties": {"a": {"type": "array", "prefixItems": [{"type": "string"}]}}}
    rules = VersionRules({"id": "x"}, schema)
    assert rules.check is None
    assert rules.errors({"a": ["b"]}) == []
    assert rules.errors({"a": [1]}) == ["a/0: 1 is not of type 'string'"]
    # A list under items is tuple validation in draft 7 and an error in 2020-12: refused as well.
    assert compiled_check({"type": "array", "items": [{"type": "string"}]}) is None
    assert compiled_check({"type": "object", "properties": {"a": {"type": "string"}}}) is not None
