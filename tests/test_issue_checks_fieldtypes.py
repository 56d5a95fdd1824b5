"""Issue 4 check: the field types tests/test_fieldtypes.py does not exercise (address, multiple choice, choice,
text length), each validated on the server with a clear message in Japanese and in English."""

import pytest
from django.utils import translation

from madoguchi.forms.fieldtypes import TYPES, FieldInvalid

CHOICES = [{"value": "a", "label": {"ja": "あ", "en": "A"}}, {"value": "b", "label": {"ja": "い", "en": "B"}}]


def clean(kind, raw, **options):
    return TYPES[kind].clean({"type": kind, **options}, raw)


@pytest.mark.parametrize(
    ("kind", "raw", "options", "expected"),
    [
        ("address", "宮城県石巻市穀町１４番１号", {}, "宮城県石巻市穀町14番1号"),
        ("choice", "b", {"choices": CHOICES}, "b"),
        ("multi_choice", ["b", "a"], {"choices": CHOICES}, ["a", "b"]),
        ("text", "ＡＢＣ", {}, "ABC"),
    ],
)
def test_valid_input_is_normalised(kind, raw, options, expected):
    assert clean(kind, raw, **options) == expected


@pytest.mark.parametrize(
    ("kind", "raw", "options", "ja", "en"),
    [
        ("address", "石巻", {}, "番地まで", "block number"),
        ("multi_choice", ["a", "z"], {"choices": CHOICES}, "選択肢から選んで", "from the options"),
        ("text", "あ" * 11, {"max_length": 10}, "10文字以内", "at most 10 characters"),
    ],
)
def test_invalid_input_gets_a_clear_message_in_both_languages(kind, raw, options, ja, en):
    for language, expected in (("ja", ja), ("en", en)):
        with translation.override(language), pytest.raises(FieldInvalid) as exc:
            clean(kind, raw, **options)
        assert expected.lower() in exc.value.message.lower(), (language, exc.value.message)


def test_multiple_choice_and_choice_are_shown_in_the_readers_language():
    field = {"type": "multi_choice", "choices": CHOICES}
    assert TYPES["multi_choice"].display(field, ["a", "b"], "ja") == "あ、い"
    assert TYPES["multi_choice"].display(field, ["b"], "en") == "B"
    assert TYPES["multi_choice"].display(field, ["a", "b"], "en") == "A, B"
    assert TYPES["choice"].display({"type": "choice", "choices": CHOICES}, "b", "en") == "B"
