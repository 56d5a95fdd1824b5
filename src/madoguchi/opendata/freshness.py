"""Freshness: a dataset's update frequency sets its next due date; reminders before and after it.

| frequency | next due after an update | "before" reminder | "overdue" | escalated to the DX office |
| --- | --- | --- | --- | --- |
| daily | +1 day | — | the day after the due date | +7 days |
| weekly | +7 days | 2 days before | the day after | +7 days |
| monthly | +1 month | 7 days before | the day after | +14 days |
| quarterly | +3 months | 14 days before | the day after | +30 days |
| semiannual | +6 months | 14 days before | the day after | +30 days |
| annual | +12 months | 30 days before | the day after | +30 days |
| irregular | no due date | — | — | — |

Months are calendar months (31 January + 1 month = 28/29 February).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Rule:
    months: int = 0
    days: int = 0
    before: int | None = None  # days before the due date; None: no reminder
    escalate: int = 30  # days after the due date


RULES = {
    "daily": Rule(days=1, before=None, escalate=7),
    "weekly": Rule(days=7, before=2, escalate=7),
    "monthly": Rule(months=1, before=7, escalate=14),
    "quarterly": Rule(months=3, before=14, escalate=30),
    "semiannual": Rule(months=6, before=14, escalate=30),
    "annual": Rule(months=12, before=30, escalate=30),
}


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_due_after(day: date, frequency: str) -> date | None:
    rule = RULES.get(frequency)
    if rule is None:
        return None
    return add_months(day, rule.months) + timedelta(days=rule.days)


def reminder_due(frequency: str, due: date, today: date) -> list[str]:
    """The reminders that are due today for a dataset due on ``due`` (each is sent once)."""
    rule = RULES.get(frequency)
    if rule is None or due is None:
        return []
    kinds = []
    if rule.before is not None and due - timedelta(days=rule.before) <= today <= due:
        kinds.append("before")
    if today > due:
        kinds.append("overdue")
    if today > due + timedelta(days=rule.escalate):
        kinds.append("escalated")
    return kinds


def escalation_date(frequency: str, due: date) -> date | None:
    rule = RULES.get(frequency)
    return due + timedelta(days=rule.escalate) if rule and due else None
