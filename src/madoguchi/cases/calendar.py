"""Business days: weekends, national holidays (jpholiday) and the city's closing days
(29 December to 3 January) are not counted."""

from __future__ import annotations

from datetime import date, timedelta

import jpholiday


def is_closed(day: date) -> bool:
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return True
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def add_business_days(start: date, days: int) -> date:
    """The day ``days`` business days after ``start`` (the day of receipt is day 0)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if not is_closed(current):
            remaining -= 1
    return current


def business_days_between(start: date, end: date) -> int:
    """Business days after ``start`` up to and including ``end`` (0 if end <= start)."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if not is_closed(current):
            count += 1
    return count
