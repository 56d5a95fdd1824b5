"""Answers several forms share (ワンスオンリー): the applicant's name, address, phone, bank account...

A form field that asks one of these says so with ``shared: <key>`` in its definition. In a
bundle (several procedures filed in one go) a shared answer is asked once, on the bundle's
first page, and flows into every form of the bundle; with the citizen's consent the profile
pre-fills it. Each key has one field type; a field that shares a key must have that type.
"""

from __future__ import annotations

SHARED_FIELDS: dict[str, dict] = {
    "applicant_name": {"type": "name", "label": {"ja": "お名前", "en": "Name"}},
    "applicant_kana": {"type": "furigana", "label": {"ja": "フリガナ", "en": "Name in katakana"}},
    "applicant_birth_date": {
        "type": "date",
        "past_only": True,
        "label": {"ja": "生年月日", "en": "Date of birth"},
        "help": {"ja": "例：昭和60年4月1日、S60.4.1", "en": "For example: 1985-04-01 or S60.4.1"},
    },
    "applicant_postal_code": {
        "type": "postal_code",
        "address_field": "applicant_address",
        "label": {"ja": "郵便番号", "en": "Postal code"},
    },
    "applicant_address": {"type": "address", "suggest_towns": True, "label": {"ja": "住所", "en": "Address"}},
    "applicant_phone": {
        "type": "phone",
        "label": {"ja": "日中に連絡がとれる電話番号", "en": "Daytime phone number"},
    },
    "applicant_my_number": {
        "type": "my_number",
        "label": {"ja": "個人番号（マイナンバー）", "en": "Individual Number (My Number)"},
        "help": {
            "ja": "マイナンバーカードの裏に書かれている12けたの番号です。",
            "en": "The 12-digit number on the back of the My Number card.",
        },
    },
    "bank_account": {
        "type": "bank_account",
        "label": {"ja": "振込先の口座", "en": "Bank account for payments"},
        "help": {"ja": "申請する人の名義の口座です。", "en": "An account in the applicant's name."},
    },
}

# Never kept in a profile: a My Number is asked in each bundle and stored only with the submissions.
NOT_IN_PROFILE = frozenset({"applicant_my_number"})
PROFILE_KEYS = tuple(k for k in SHARED_FIELDS if k not in NOT_IN_PROFILE)


def shared_spec(key: str) -> dict:
    """The field as the bundle's shared page (and the profile page) asks it."""
    return {"id": key, **SHARED_FIELDS[key]}


def shared_fields_of(definition: dict) -> dict[str, str]:
    """{shared key: field id} for a definition."""
    return {
        f["shared"]: f["id"]
        for page in definition["form"]["pages"]
        for f in page["fields"]
        if f.get("shared")
    }
