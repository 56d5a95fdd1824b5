from datetime import date

from django.core.management.base import BaseCommand, CommandError

from madoguchi.notifications.services import reminders_run


class Command(BaseCommand):
    help = (
        "Send today's reminders (data/reminders.yaml): each at most once per person, subject and period, "
        "only kinds switched on by the data and the city, never to citizens who switched a kind off. "
        "The worker runs this every day at 09:00 (`schedule_periodic` seeds it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="run as if today were this day (YYYY-MM-DD)")
        parser.add_argument("--dry-run", action="store_true", help="count, send nothing")

    def handle(self, *args, today=None, dry_run=False, **options):
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError("--today takes a date as YYYY-MM-DD") from exc
        result = reminders_run(today=day, dry_run=dry_run)
        verb = "would send" if dry_run else "sent"
        for kind, count in result.items():
            self.stdout.write(f"{kind}: {verb} {count}")
