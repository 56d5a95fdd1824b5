"""How bookings read, on pages and in e-mails, in Japanese and English."""

from __future__ import annotations

from datetime import date, time

from django.utils.translation import gettext as _

from madoguchi.forms.fieldtypes import localised
from madoguchi.forms.wareki import to_wareki

WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")  # fmt: skip


def day_label(day: date, language: str) -> str:
    if language == "en":
        return f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{to_wareki(day)}（{WEEKDAYS_JA[day.weekday()]}）"


def time_range(start: time, end: time) -> str:
    return f"{start.hour}:{start.minute:02d}–{end.hour}:{end.minute:02d}"


def when(slot, language: str) -> str:
    return f"{day_label(slot.day, language)} {time_range(slot.start, slot.end)}"


def place(department, language: str) -> str:
    """「資産税課（2階 21番窓口）」 from the city file's floor and counter."""
    name = department.name_en if language == "en" and department.name_en else department.name
    parts = []
    if department.floor:
        parts.append(_("%(floor)s階") % {"floor": department.floor})
    if department.counter:
        parts.append(_("%(counter)s番窓口") % {"counter": department.counter})
    location = department.location_en if language == "en" and department.location_en else department.location
    where = " ".join(p for p in (location, *parts) if p)
    return f"{name}（{where}）" if where and language != "en" else (f"{name} ({where})" if where else name)


def to_bring(procedure, language: str) -> list[str]:
    """What to bring: an identity document, then the procedure's own ``prepare`` list."""
    definition = procedure.current_version.definition
    items = [_("本人確認書類（マイナンバーカード、運転免許証、在留カードなど）")]
    if "proxy" in definition.get("filers", []):
        items.append(_("代理の方が来るときは、本人が署名した委任状と、代理の方の本人確認書類"))
    items += [localised(p, language) for p in definition.get("prepare", [])]
    return items
