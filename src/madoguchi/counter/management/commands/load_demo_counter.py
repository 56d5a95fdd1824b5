"""Demo data of the counter for `make run`: booking hours for a few departments and a couple of bookings
of the demo citizens on the next business days. Idempotent: a department that has hours keeps them, and a
citizen who already has an upcoming booking of the procedure gets no second one."""

from __future__ import annotations

from datetime import time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from madoguchi.accounts.models import User
from madoguchi.cases.calendar import is_closed
from madoguchi.counter.models import Booking, CounterSchedule
from madoguchi.counter.services import CounterRefused, booking_create, schedule_add
from madoguchi.organisations.models import Department
from madoguchi.procedures.models import Procedure

WEEKDAYS = [0, 1, 2, 3, 4]
# department: [(opens, closes, slot minutes, visitors per slot), ...]
HOURS = {
    "shimin": [(time(8, 30), time(12, 0), 30, 4), (time(13, 0), time(17, 0), 30, 4)],
    "kaigo-hoken": [(time(9, 0), time(12, 0), 30, 2), (time(13, 0), time(16, 30), 30, 2)],
    "kosodate-shien": [(time(9, 0), time(12, 0), 30, 2), (time(13, 0), time(16, 30), 30, 2)],
    "shisanzei": [(time(9, 0), time(12, 0), 20, 3), (time(13, 0), time(16, 0), 20, 3)],
}
# (citizen, procedure, which business day from tomorrow (0 = the next one), start)
BOOKINGS = [
    ("citizen1@demo.madoguchi.example", "risai_shomei", 0, time(10, 0)),
    ("citizen1@demo.madoguchi.example", "kaigo_nintei_shinki", 1, time(14, 0)),
    ("citizen2@demo.madoguchi.example", "jidoteate_nintei_seikyu", 0, time(9, 30)),
]


def business_days(count: int) -> list:
    days, day = [], timezone.localdate()
    while len(days) < count:
        day += timedelta(days=1)
        if not is_closed(day):
            days.append(day)
    return days


class Command(BaseCommand):
    help = "Load the counter's demo booking hours and bookings (idempotent)."

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("load_demo_counter refuses to run with MADOGUCHI_PROFILE=production.")
        city = settings.MADOGUCHI_MUNICIPALITY_CODE
        added = 0
        for code, hours in HOURS.items():
            department = Department.objects.filter(municipality__code=city, code=code).first()
            if department is None or CounterSchedule.objects.filter(department=department).exists():
                continue
            for opens, closes, minutes, capacity in hours:
                schedule_add(by=None, department=department, weekdays=WEEKDAYS, opens_at=opens, closes_at=closes,
                             slot_minutes=minutes, capacity=capacity)  # fmt: skip
                added += 1
        days = business_days(3)
        made = 0
        for email, slug, which, start in BOOKINGS:
            user = User.objects.filter(email=email, kind=User.Kind.CITIZEN).first()
            procedure = Procedure.objects.filter(slug=slug, current_version__isnull=False).first()
            if user is None or procedure is None:
                continue
            if Booking.objects.filter(user=user, procedure=procedure, status=Booking.Status.BOOKED,
                                      slot__day__gte=timezone.localdate()).exists():  # fmt: skip
                continue
            try:
                booking_create(user=user, procedure=procedure, key=f"{days[which].isoformat()}T{start:%H:%M}",
                               notify=False)  # fmt: skip
                made += 1
            except CounterRefused as exc:
                self.stderr.write(f"demo booking of {slug} not made: {exc.message}")
        self.stdout.write(f"counter demo: {added} booking hours added, {made} bookings made")
