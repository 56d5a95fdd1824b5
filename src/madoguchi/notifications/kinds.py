"""The kinds of notice, the variables each one's template may use, and sample values for previews.

Events (receipt, status, correction, message, decision) are fixed here; reminder kinds come from
``data/reminders.yaml`` (``reminders.py``), their variables from their rule type.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from madoguchi.core.i18n import current_language

RECEIPT, STATUS, CORRECTION, MESSAGE, DECISION = "receipt", "status", "correction", "message", "decision"

EVENT_LABELS = {
    RECEIPT: _("受付のお知らせ"),
    STATUS: _("状況の変更"),
    CORRECTION: _("補正のお願い"),
    MESSAGE: _("市からのメッセージ"),
    DECISION: _("決定のお知らせ"),
}

# Every template may use these.
COMMON_VARIABLES = ("user_name", "city_name", "city_phone", "link")
_CASE = ("procedure_name", "receipt_number", "submitted_at", "department_name", "department_phone")
EVENT_VARIABLES = {
    RECEIPT: _CASE,
    STATUS: (*_CASE, "status"),
    CORRECTION: (*_CASE, "status", "reason"),
    MESSAGE: _CASE,
    DECISION: (*_CASE, "status"),
}
# Reminder rule types (reminders.py) and what their templates may use.
REMINDER_VARIABLES = {
    "certification_expiry": ("procedure_name", "receipt_number", "expires_on", "days_left",
                             "department_name", "department_phone"),
    "yearly_season": ("procedure_name", "year", "season_starts_on", "season_ends_on",
                      "department_name", "department_phone"),
    "draft_idle": ("procedure_name", "updated_on", "expires_on"),
    "correction_open": ("procedure_name", "receipt_number", "requested_on", "days_waiting", "reason",
                        "department_name", "department_phone"),
}  # fmt: skip

VARIABLE_HELP = {
    "user_name": _("アカウントの呼び名（登録していなければ空）"),
    "city_name": _("市の名前"),
    "city_phone": _("市の代表電話"),
    "link": _("お知らせに関するページのアドレス"),
    "procedure_name": _("手続の名前"),
    "receipt_number": _("受付番号"),
    "submitted_at": _("受付日時（日時）"),
    "department_name": _("担当課の名前"),
    "department_phone": _("担当課の電話（なければ空）"),
    "status": _("申請の状況（決定のときは決定の内容）"),
    "reason": _("補正の理由（職員が書いたもの）"),
    "expires_on": _("期限の日（日付）"),
    "days_left": _("期限までの日数"),
    "year": _("年（西暦）"),
    "season_starts_on": _("届出の期間の始まりの日（日付）"),
    "season_ends_on": _("届出の期間の終わりの日（日付）"),
    "updated_on": _("最後に保存した日（日付）"),
    "requested_on": _("補正を依頼した日（日付）"),
    "days_waiting": _("補正を依頼してからの日数"),
}


def _samples() -> dict:
    from datetime import date, datetime

    from django.utils import timezone

    return {
        "user_name": {"ja": "石巻 花子", "en": "Hanako Ishinomaki"},
        "city_name": {"ja": "石巻市", "en": "Ishinomaki City"},
        "city_phone": "0225-95-1111",
        "link": "https://madoguchi.example/applications/",
        "procedure_name": {
            "ja": "要介護・要支援認定の申請",
            "en": "Application for long-term care certification",
        },
        "receipt_number": "12345678901234567890",
        "submitted_at": timezone.make_aware(datetime(2026, 4, 1, 10, 30)),
        "department_name": {"ja": "介護保険課", "en": "Long-term Care Insurance Division"},
        "department_phone": "0225-95-1111",
        "status": {"ja": "補正依頼中", "en": "Waiting for your correction"},
        "reason": {"ja": "電話番号をご確認ください。", "en": "Please check the phone number."},
        "expires_on": date(2026, 9, 30),
        "days_left": 60,
        "year": 2026,
        "season_starts_on": date(2026, 6, 1),
        "season_ends_on": date(2026, 6, 30),
        "updated_on": date(2026, 4, 1),
        "requested_on": date(2026, 4, 1),
        "days_waiting": 7,
    }


def event_kinds() -> list[str]:
    return list(EVENT_LABELS)


def reminder_kinds() -> list[str]:
    from .reminders import reminder_config

    return list(reminder_config())


def all_kinds() -> list[str]:
    return [*event_kinds(), *reminder_kinds()]


def is_known(kind: str) -> bool:
    return kind in EVENT_LABELS or kind in reminder_kinds()


def kind_label(kind: str) -> str:
    if kind in EVENT_LABELS:
        return str(EVENT_LABELS[kind])
    from .reminders import reminder_config

    rule = reminder_config().get(kind)
    if rule is None:
        return kind
    return rule.name.get(current_language()) or rule.name["ja"]


def variables_for(kind: str) -> tuple[str, ...]:
    if kind in EVENT_VARIABLES:
        return (*COMMON_VARIABLES, *EVENT_VARIABLES[kind])
    from .reminders import reminder_config

    rule = reminder_config()[kind]
    return (*COMMON_VARIABLES, *REMINDER_VARIABLES[rule.type])


def sample_context(kind: str) -> dict:
    samples = _samples()
    return {name: samples[name] for name in variables_for(kind)}
