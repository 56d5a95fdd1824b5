"""Slots of a department's counter, computed from its schedules and the city's calendar.

A day the city is closed (weekends, national holidays by jpholiday, 29 December to 3 January:
``madoguchi.cases.calendar.is_closed``) has no slots, whatever the schedules say. A slot is named by
its key, ``YYYY-MM-DDTHH:MM`` (the day and its start), in forms and in the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from madoguchi.cases.calendar import is_closed

BOOKING_DAYS_AHEAD = 60  # how far ahead citizens may book
MIN_NOTICE = timedelta(minutes=30)  # a slot closes for booking this long before it starts
DAYS_PER_PAGE = 5
WEEKDAYS = (0, 1, 2, 3, 4)  # Monday to Friday: the city's counters do not open at weekends


@dataclass(frozen=True)
class Slot:
    day: date
    start: time
    end: time
    capacity: int
    booked: int = 0

    @property
    def key(self) -> str:
        return f"{self.day.isoformat()}T{self.start:%H:%M}"

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.booked)

    @property
    def starts_at(self) -> datetime:
        return aware(self.day, self.start)

    def open_for_booking(self, now: datetime) -> bool:
        return self.starts_at >= now + MIN_NOTICE and self.day <= timezone.localdate(now) + timedelta(
            days=BOOKING_DAYS_AHEAD
        )


def aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def slots_of(schedules, day: date) -> list[Slot]:
    """The slots the schedules open on ``day`` (none when the city is closed), by start time."""
    if is_closed(day):
        return []
    found: dict[time, Slot] = {}
    for schedule in schedules:
        if day.weekday() not in schedule.weekdays:
            continue
        length = timedelta(minutes=schedule.slot_minutes)
        start = datetime.combine(day, schedule.opens_at)
        close = datetime.combine(day, schedule.closes_at)
        while start + length <= close:
            begin = start.time()
            if begin not in found:  # overlapping schedules are refused when saved; the first wins
                found[begin] = Slot(day, begin, (start + length).time(), schedule.capacity)
            start += length
    return [found[t] for t in sorted(found)]


def open_days(schedules, first: date, count: int, last: date) -> list[date]:
    """Up to ``count`` days from ``first`` to ``last`` on which the schedules open some slot."""
    weekdays = {d for s in schedules for d in s.weekdays}
    days, day = [], first
    while len(days) < count and day <= last:
        if day.weekday() in weekdays and not is_closed(day):
            days.append(day)
        day += timedelta(days=1)
    return days


_KEY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$")


def parse_key(key: str) -> tuple[date, time] | None:
    match = _KEY.match(str(key or "").strip())
    if not match:
        return None
    y, m, d, hh, mm = (int(g) for g in match.groups())
    try:
        return date(y, m, d), time(hh, mm)
    except ValueError:
        return None


def parse_time(text: str) -> time | None:
    """「8:30」「08:30」「８：３０」「8時30分」「8時」 as a time of day; None when it is not one."""
    import unicodedata

    value = unicodedata.normalize("NFKC", str(text or "")).strip()
    match = re.match(r"^(\d{1,2})(?::|時)(\d{1,2})?分?$", value) or re.match(r"^(\d{1,2})(\d{2})$", value)
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        return None
    return time(hours, minutes)
