"""The field types a procedure definition may use.

Each type knows how to read what was typed from a POST (``read``), turn it into the
value we store (``clean``, raising ``FieldInvalid`` with a message for the citizen),
describe that value as JSON Schema (``schema``, with our own ``format`` names checked
by ``formats.FORMAT_CHECKER``), and show it on the check-your-answers page and the
receipt (``display``). What the user typed is kept as ``raw`` so that a page with an
error shows it again unchanged.

Values are JSON: strings, numbers, booleans, lists, or small objects for composite
fields (a name is ``{"family": ..., "given": ...}``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

import jaconv
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.privacy.mynumber import mask_my_number, normalise_my_number, validate_my_number

from .wareki import DateParseError, parse_japanese_date, to_wareki


class FieldInvalid(Exception):
    def __init__(self, message: str, *, part: str | None = None):
        super().__init__(message)
        self.message = message
        self.part = part  # which input of a composite field, for focus


def list_separator(language: str) -> str:
    """How a list of answers is joined: 「、」 in Japanese, a comma in English."""
    return ", " if (language or "").startswith("en") else "、"


def localised(text: Any, language: str) -> str:
    if isinstance(text, dict):
        return text.get(language) or text.get("ja") or ""
    return "" if text is None else str(text)


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


_KATAKANA = re.compile(r"^[\u30a0-\u30ff\u3000 ー・]+$")


def to_katakana(value: str) -> str:
    """Hiragana and half-width katakana become full-width katakana; spaces are normalised."""
    text = jaconv.h2z(value or "", kana=True, ascii=False, digit=False)
    text = jaconv.hira2kata(text)
    return re.sub(r"[\s\u3000]+", " ", text).strip()


@dataclass
class FieldType:
    name: str
    template: str = "forms/fields/text.html"
    composite: tuple[str, ...] = ()

    # -- reading and cleaning --
    def read(self, field: dict, post, key: str) -> Any:
        if self.composite:
            return {part: post.get(f"{key}-{part}", "") for part in self.composite}
        return post.get(key, "")

    def is_empty(self, raw: Any) -> bool:
        if isinstance(raw, dict):
            return all(not str(v).strip() for v in raw.values())
        if isinstance(raw, list):
            return not raw
        return not str(raw or "").strip()

    def clean(self, field: dict, raw: Any) -> Any:
        return nfkc(raw)

    # -- describing --
    def schema(self, field: dict) -> dict:
        return {"type": "string", "minLength": 1, "maxLength": field.get("max_length", 200)}

    def display(self, field: dict, value: Any, language: str) -> str:
        return "" if value is None else str(value)

    def raw_from_value(self, field: dict, value: Any) -> Any:
        """What to put back in the inputs when a saved answer is shown for change."""
        return value


class TextType(FieldType):
    def clean(self, field, raw):
        value = nfkc(raw) if field.get("normalise", True) else str(raw).strip()
        limit = field.get("max_length", 200)
        if len(value) > limit:
            raise FieldInvalid(_("%(max)d文字以内で入力してください。") % {"max": limit})
        return value


class TextareaType(TextType):
    def __init__(self):
        super().__init__("textarea", "forms/fields/textarea.html")

    def clean(self, field, raw):
        value = str(raw or "").replace("\r\n", "\n").strip()
        limit = field.get("max_length", 2000)
        if len(value) > limit:
            raise FieldInvalid(_("%(max)d文字以内で入力してください。") % {"max": limit})
        return value

    def schema(self, field):
        return {"type": "string", "minLength": 1, "maxLength": field.get("max_length", 2000)}


class NameType(FieldType):
    def __init__(self):
        super().__init__("name", "forms/fields/name.html", ("family", "given"))

    def clean(self, field, raw):
        family, given = nfkc(raw.get("family", "")), nfkc(raw.get("given", ""))
        if not family:
            raise FieldInvalid(_("姓を入力してください。"), part="family")
        if not given and not field.get("given_optional"):
            raise FieldInvalid(_("名を入力してください。"), part="given")
        for part, value in (("family", family), ("given", given)):
            if len(value) > 50:
                raise FieldInvalid(_("50文字以内で入力してください。"), part=part)
            if re.search(r"[0-9<>{}\[\]@#$%^&*=+|\\/]", value):
                raise FieldInvalid(_("氏名に数字や記号は使えません。"), part=part)
        return {"family": family, "given": given}

    def schema(self, field):
        part = {"type": "string", "maxLength": 50}
        return {"type": "object", "properties": {"family": {**part, "minLength": 1}, "given": part},
                "required": ["family", "given"], "additionalProperties": False}  # fmt: skip

    def display(self, field, value, language):
        return f"{value.get('family', '')}　{value.get('given', '')}".strip() if value else ""


class FuriganaType(FieldType):
    def __init__(self):
        super().__init__("furigana", "forms/fields/name.html", ("family", "given"))

    def clean(self, field, raw):
        family, given = to_katakana(raw.get("family", "")), to_katakana(raw.get("given", ""))
        if not family:
            raise FieldInvalid(_("セイ（フリガナ）を入力してください。"), part="family")
        if not given and not field.get("given_optional"):
            raise FieldInvalid(_("メイ（フリガナ）を入力してください。"), part="given")
        for part, value in (("family", family), ("given", given)):
            if value and not _KATAKANA.match(value):
                raise FieldInvalid(
                    _("フリガナはカタカナで入力してください（ひらがなも使えます）。"), part=part
                )
            if len(value) > 50:
                raise FieldInvalid(_("50文字以内で入力してください。"), part=part)
        return {"family": family, "given": given}

    def schema(self, field):
        part = {"type": "string", "maxLength": 50, "format": "katakana"}
        return {"type": "object", "properties": {"family": {**part, "minLength": 1}, "given": part},
                "required": ["family", "given"], "additionalProperties": False}  # fmt: skip

    def display(self, field, value, language):
        return f"{value.get('family', '')}　{value.get('given', '')}".strip() if value else ""


class DateType(FieldType):
    def __init__(self):
        super().__init__("date", "forms/fields/date.html")

    def clean(self, field, raw):
        try:
            value = parse_japanese_date(raw)
        except DateParseError as exc:
            if exc.code == "era":
                raise FieldInvalid(_("その元号の年月日はありません。年号と年を確かめてください。")) from exc
            if exc.code == "invalid":
                raise FieldInvalid(_("存在しない日付です。月と日を確かめてください。")) from exc
            raise FieldInvalid(
                _("日付は「令和7年4月1日」「R7.4.1」「2025-04-01」のように入力してください。")
            ) from exc
        today = timezone.localdate()  # the city's date (Asia/Tokyo), whatever the server's clock zone
        if field.get("past_only") and value > today:
            raise FieldInvalid(_("今日より前の日付を入力してください。"))
        if field.get("future_only") and value < today:
            raise FieldInvalid(_("今日以降の日付を入力してください。"))
        if value.year < 1873:
            raise FieldInvalid(_("1873年（明治6年）以降の日付を入力してください。"))
        return value.isoformat()

    def schema(self, field):
        return {"type": "string", "format": "date"}

    def display(self, field, value, language):
        if not value:
            return ""
        parsed = date.fromisoformat(value)
        if language == "en":
            return parsed.strftime("%-d %B %Y")
        return f"{to_wareki(parsed)}（{parsed.year}年）"


class PostalCodeType(FieldType):
    def __init__(self):
        super().__init__("postal_code", "forms/fields/postal_code.html")

    def clean(self, field, raw):
        digits = re.sub(r"[\s\-ー－‐〒]", "", nfkc(raw))
        if not re.fullmatch(r"\d{7}", digits):
            raise FieldInvalid(_("郵便番号は7桁の数字で入力してください（例：986-8501）。"))
        from .lookups import postal_address

        if postal_address(digits) is None:
            raise FieldInvalid(_("この郵便番号は見つかりません。番号を確かめてください。"))
        return f"{digits[:3]}-{digits[3:]}"

    def schema(self, field):
        return {"type": "string", "pattern": r"^\d{3}-\d{4}$"}


class AddressType(TextType):
    def __init__(self):
        super().__init__("address", "forms/fields/address.html")

    def clean(self, field, raw):
        value = TextType.clean(self, {**field, "max_length": field.get("max_length", 200)}, raw)
        if len(value) < 4:
            raise FieldInvalid(_("住所を番地まで入力してください。"))
        return value


class PhoneType(FieldType):
    def __init__(self):
        super().__init__("phone", "forms/fields/text.html")

    def clean(self, field, raw):
        value = re.sub(r"[\s()（）ー－‐]", "-", nfkc(raw)).strip("-")
        digits = value.replace("-", "")
        if not re.fullmatch(r"0\d{9,10}", digits) or re.search(r"[^\d-]", value):
            raise FieldInvalid(
                _("電話番号は0から始まる10桁か11桁の数字で入力してください（例：0225-95-1111）。")
            )
        return value

    def schema(self, field):
        return {"type": "string", "pattern": r"^0[\d-]{9,13}$"}


class EmailType(FieldType):
    def __init__(self):
        super().__init__("email", "forms/fields/text.html")

    def clean(self, field, raw):
        value = nfkc(raw).lower()
        try:
            EmailValidator()(value)
        except Exception as exc:
            raise FieldInvalid(_("メールアドレスを正しく入力してください（例：name@example.jp）。")) from exc
        return value

    def schema(self, field):
        return {"type": "string", "format": "email", "maxLength": 254}


class MyNumberType(FieldType):
    def __init__(self):
        super().__init__("my_number", "forms/fields/text.html")

    def clean(self, field, raw):
        from django.core.exceptions import ValidationError

        try:
            validate_my_number(raw)
        except ValidationError as exc:
            raise FieldInvalid(str(exc.messages[0])) from exc
        return normalise_my_number(raw)

    def schema(self, field):
        return {"type": "string", "format": "my-number"}

    def display(self, field, value, language):
        return mask_my_number(value)

    def raw_from_value(self, field, value):
        return value


class InsuredNumberType(FieldType):
    """介護保険 被保険者番号: 10 digits (no national check digit)."""

    def __init__(self):
        super().__init__("kaigo_insured_number", "forms/fields/text.html")

    def clean(self, field, raw):
        digits = re.sub(r"[\s\-]", "", nfkc(raw))
        if not re.fullmatch(r"\d{10}", digits):
            raise FieldInvalid(
                _("被保険者番号は10桁の数字で入力してください（被保険者証に書かれています）。")
            )
        return digits

    def schema(self, field):
        return {"type": "string", "pattern": r"^\d{10}$"}


ACCOUNT_TYPES = {"futsu": ("普通", "Ordinary"), "toza": ("当座", "Current"), "chochiku": ("貯蓄", "Savings")}


class BankAccountType(FieldType):
    def __init__(self):
        super().__init__("bank_account", "forms/fields/bank_account.html",
                         ("bank_code", "branch_code", "account_type", "number", "holder"))  # fmt: skip

    def clean(self, field, raw):
        bank = re.sub(r"\s", "", nfkc(raw.get("bank_code", "")))
        branch = re.sub(r"\s", "", nfkc(raw.get("branch_code", "")))
        kind = raw.get("account_type", "")
        number = re.sub(r"[\s\-]", "", nfkc(raw.get("number", "")))
        holder = to_katakana(raw.get("holder", ""))
        if not re.fullmatch(r"\d{4}", bank):
            raise FieldInvalid(_("金融機関コードは4桁の数字で入力してください。"), part="bank_code")
        if not re.fullmatch(r"\d{3}", branch):
            raise FieldInvalid(_("支店コードは3桁の数字で入力してください。"), part="branch_code")
        if kind not in ACCOUNT_TYPES:
            raise FieldInvalid(_("口座の種類を選んでください。"), part="account_type")
        if re.fullmatch(r"\d{1,7}", number):
            number = number.zfill(7)
        if not re.fullmatch(r"\d{7}", number):
            raise FieldInvalid(_("口座番号は7桁以内の数字で入力してください。"), part="number")
        if not holder or not re.fullmatch(r"[\u30a0-\u30ffＡ-Ｚ０-９ ー（）．・]+", holder):
            raise FieldInvalid(_("口座名義はカタカナで入力してください。"), part="holder")
        return {
            "bank_code": bank,
            "branch_code": branch,
            "account_type": kind,
            "number": number,
            "holder": holder,
        }

    def schema(self, field):
        return {
            "type": "object",
            "properties": {
                "bank_code": {"type": "string", "pattern": r"^\d{4}$"},
                "branch_code": {"type": "string", "pattern": r"^\d{3}$"},
                "account_type": {"enum": list(ACCOUNT_TYPES)},
                "number": {"type": "string", "pattern": r"^\d{7}$"},
                "holder": {"type": "string", "minLength": 1, "maxLength": 60},
            },
            "required": ["bank_code", "branch_code", "account_type", "number", "holder"],
            "additionalProperties": False,
        }

    def display(self, field, value, language):
        if not value:
            return ""
        kind = ACCOUNT_TYPES[value["account_type"]][1 if language == "en" else 0]
        # Only the last three digits of the account number are shown back.
        return (
            f"{value['bank_code']}-{value['branch_code']} {kind} ****{value['number'][-3:]} {value['holder']}"
        )


class IntegerType(FieldType):
    def __init__(self, name: str = "number"):
        super().__init__(name, "forms/fields/number.html")

    def clean(self, field, raw):
        text = nfkc(raw).replace(",", "").replace("円", "").replace("¥", "").strip()
        if not re.fullmatch(r"-?\d+", text):
            raise FieldInvalid(_("数字で入力してください。"))
        value = int(text)
        low, high = field.get("min", 0), field.get("max", 10**12)
        if value < low:
            raise FieldInvalid(_("%(min)s以上の数を入力してください。") % {"min": f"{low:,}"})
        if value > high:
            raise FieldInvalid(_("%(max)s以下の数を入力してください。") % {"max": f"{high:,}"})
        return value

    def schema(self, field):
        return {"type": "integer", "minimum": field.get("min", 0), "maximum": field.get("max", 10**12)}

    def display(self, field, value, language):
        if value is None:
            return ""
        return f"{value:,}" + (("円" if language != "en" else " yen") if self.name == "money" else "")


class ChoiceType(FieldType):
    def __init__(self, name: str = "choice"):
        super().__init__(name, "forms/fields/choice.html")

    def clean(self, field, raw):
        values = {c["value"] for c in field["choices"]}
        if raw not in values:
            raise FieldInvalid(_("選択肢から選んでください。"))
        return raw

    def schema(self, field):
        return {"enum": [c["value"] for c in field["choices"]]}

    def display(self, field, value, language):
        for choice in field["choices"]:
            if choice["value"] == value:
                return localised(choice["label"], language)
        return ""


class MultiChoiceType(FieldType):
    def __init__(self):
        super().__init__("multi_choice", "forms/fields/multi_choice.html")

    def read(self, field, post, key):
        return post.getlist(key)

    def clean(self, field, raw):
        values = [c["value"] for c in field["choices"]]
        chosen = [v for v in values if v in raw]
        if len(chosen) != len(set(raw)):
            raise FieldInvalid(_("選択肢から選んでください。"))
        return chosen

    def schema(self, field):
        return {"type": "array", "items": {"enum": [c["value"] for c in field["choices"]]}, "minItems": 1,
                "uniqueItems": True}  # fmt: skip

    def display(self, field, value, language):
        labels = {c["value"]: localised(c["label"], language) for c in field["choices"]}
        return list_separator(language).join(labels[v] for v in value or [] if v in labels)


class YesNoType(FieldType):
    def __init__(self):
        super().__init__("yes_no", "forms/fields/yes_no.html")

    def clean(self, field, raw):
        if raw not in ("yes", "no"):
            raise FieldInvalid(_("「はい」か「いいえ」を選んでください。"))
        return raw == "yes"

    def is_empty(self, raw):
        return raw not in ("yes", "no")

    def schema(self, field):
        return {"type": "boolean"}

    def display(self, field, value, language):
        if value is None:
            return ""
        return ("Yes" if value else "No") if language == "en" else ("はい" if value else "いいえ")

    def raw_from_value(self, field, value):
        return "yes" if value is True else "no" if value is False else ""


class ConsentType(FieldType):
    def __init__(self):
        super().__init__("consent", "forms/fields/consent.html")

    def read(self, field, post, key):
        return post.get(key) == "yes"

    def is_empty(self, raw):
        return raw is not True

    def clean(self, field, raw):
        if raw is not True:
            raise FieldInvalid(_("内容を確認し、チェックを入れてください。"))
        return True

    def schema(self, field):
        return {"const": True}

    def display(self, field, value, language):
        return ("Agreed" if language == "en" else "同意します") if value else ""


class FileType(FieldType):
    """Attachments go through the privacy core's uploads; the value lists the stored files."""

    def __init__(self):
        super().__init__("file", "forms/fields/file.html")

    def read(self, field, post, key):
        kept = post.getlist(f"{key}-keep")
        return {"keep": kept, "uploads": []}  # uploads are added by the runner from request.FILES

    def is_empty(self, raw):
        return not raw.get("keep") and not raw.get("uploads")

    def clean(self, field, raw):
        # The runner has already stored each upload and turned it into {"id", "name"} entries.
        files = list(raw.get("files", []))
        limit = field.get("max_files", 5)
        if len(files) > limit:
            raise FieldInvalid(_("ファイルは%(n)d個までです。") % {"n": limit})
        return files

    def schema(self, field):
        return {"type": "array", "minItems": 1, "maxItems": field.get("max_files", 5),
                "items": {"type": "object", "properties": {"id": {"type": "string", "format": "uuid"},
                                                           "name": {"type": "string"}},
                          "required": ["id", "name"]}}  # fmt: skip

    def display(self, field, value, language):
        return list_separator(language).join(f["name"] for f in value or [])


TYPES: dict[str, FieldType] = {
    t.name: t
    for t in (
        TextType("text"),
        TextareaType(),
        NameType(),
        FuriganaType(),
        DateType(),
        PostalCodeType(),
        AddressType(),
        PhoneType(),
        EmailType(),
        MyNumberType(),
        InsuredNumberType(),
        BankAccountType(),
        IntegerType("money"),
        IntegerType("number"),
        ChoiceType("choice"),
        MultiChoiceType(),
        YesNoType(),
        ConsentType(),
        FileType(),
    )
}
