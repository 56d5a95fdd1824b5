"""Japanese field types: each validated on the server with a clear message, in Japanese and English."""

from datetime import timedelta

import pytest
from django.utils import translation

from madoguchi.forms.fieldtypes import TYPES, FieldInvalid


def clean(kind, raw, **options):
    return TYPES[kind].clean({"type": kind, **options}, raw)


@pytest.mark.parametrize(
    ("kind", "raw", "options", "expected"),
    [
        ("name", {"family": " 石巻 ", "given": "太郎"}, {}, {"family": "石巻", "given": "太郎"}),
        (
            "furigana",
            {"family": "いしのまき", "given": "ﾀﾛｳ"},
            {},
            {"family": "イシノマキ", "given": "タロウ"},
        ),
        ("date", "令和7年4月1日", {}, "2025-04-01"),
        ("date", "R7.4.1", {}, "2025-04-01"),
        ("date", "平成31年4月30日", {}, "2019-04-30"),
        ("date", "２０２５／４／１", {}, "2025-04-01"),
        ("postal_code", "９８６８５０１", {}, "986-8501"),
        ("phone", "0225 95 1111", {}, "0225-95-1111"),
        ("phone", "09012345678", {}, "09012345678"),
        ("email", "Taro@Example.JP", {}, "taro@example.jp"),
        ("my_number", "１２３４-５６７８-９０１８", {}, "123456789018"),
        ("kaigo_insured_number", "0000 123456", {}, "0000123456"),
        (
            "bank_account",
            {
                "bank_code": "０００１",
                "branch_code": "001",
                "account_type": "futsu",
                "number": "12345",
                "holder": "いしのまき たろう",
            },
            {},
            {
                "bank_code": "0001",
                "branch_code": "001",
                "account_type": "futsu",
                "number": "0012345",
                "holder": "イシノマキ タロウ",
            },
        ),
        ("money", "１２,０００円", {}, 12000),
        ("number", "3", {"min": 1, "max": 5}, 3),
        ("yes_no", "no", {}, False),
        ("consent", True, {}, True),
    ],
)
def test_valid_input_is_normalised(kind, raw, options, expected):
    assert clean(kind, raw, **options) == expected


@pytest.mark.parametrize(
    ("kind", "raw", "options", "ja", "en"),
    [
        ("name", {"family": "", "given": "太郎"}, {}, "姓を入力してください", "Enter the family name"),
        ("furigana", {"family": "Ishinomaki", "given": "タロウ"}, {}, "カタカナで入力", "in katakana"),
        ("date", "令和0年1月1日", {}, "その元号の年月日はありません", "no such date in that era"),
        ("date", "H31.5.1", {}, "その元号の年月日はありません", "no such date in that era"),
        ("date", "2025-02-30", {}, "存在しない日付です", "does not exist"),
        ("date", "あした", {}, "令和7年4月1日", "2025-04-01"),
        (
            "date",
            "TOMORROW",  # the city's tomorrow, computed when the test runs (not when it is collected)
            {"past_only": True},
            "今日より前の日付",
            "before today",
        ),
        ("postal_code", "123", {}, "7桁の数字", "7 digits"),
        ("postal_code", "0000000", {}, "この郵便番号は見つかりません", "not found"),
        ("phone", "1234", {}, "0から始まる", "starts with 0"),
        ("email", "a@", {}, "メールアドレスを正しく", "email address"),
        ("my_number", "123456789017", {}, "最後の1桁が合いません", "last digit"),
        ("my_number", "12345", {}, "数字12桁", "12 digits"),
        ("kaigo_insured_number", "12345678901", {}, "10桁の数字", "10 digits"),
        (
            "bank_account",
            {
                "bank_code": "0001",
                "branch_code": "01",
                "account_type": "futsu",
                "number": "1",
                "holder": "タロウ",
            },
            {},
            "支店コードは3桁",
            "branch code",
        ),
        (
            "bank_account",
            {
                "bank_code": "0001",
                "branch_code": "001",
                "account_type": "futsu",
                "number": "1",
                "holder": "Taro",
            },
            {},
            "口座名義はカタカナ",
            "katakana",
        ),
        ("money", "-5", {}, "0以上", "at least 0"),
        ("number", "9", {"min": 1, "max": 5}, "5以下", "at most 5"),
        (
            "choice",
            "x",
            {"choices": [{"value": "a", "label": {"ja": "A", "en": "A"}}]},
            "選択肢から選んで",
            "from the options",
        ),
        ("consent", False, {}, "チェックを入れて", "tick"),
    ],
)
def test_invalid_input_gets_a_clear_message_in_both_languages(kind, raw, options, ja, en):
    if raw == "TOMORROW":
        from django.utils import timezone

        raw = (timezone.localdate() + timedelta(days=1)).isoformat()
    for language, expected in (("ja", ja), ("en", en)):
        with translation.override(language), pytest.raises(FieldInvalid) as exc:
            clean(kind, raw, **options)
        assert expected.lower() in exc.value.message.lower(), (language, exc.value.message)


def test_my_number_is_shown_masked():
    assert TYPES["my_number"].display({}, "123456789018", "ja") == "●●●● ●●●● 9018"


def test_dates_are_shown_in_wareki_with_the_western_year():
    assert TYPES["date"].display({}, "2025-04-01", "ja") == "令和7年4月1日（2025年）"
    assert TYPES["date"].display({}, "2025-04-01", "en") == "1 April 2025"


def test_postal_code_lookup_is_offline():
    from madoguchi.forms.lookups import postal_address, town_names

    assert postal_address("9868501") == "宮城県石巻市穀町14番1号"
    assert postal_address("9860004") == "宮城県石巻市新栄"
    assert "穀町" in town_names() and len(town_names()) > 300
