from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from madoguchi.opendata.services import freshness_reminders_run


class Command(BaseCommand):
    help = "Send the open-data freshness reminders due today (idempotent; the daily task does the same)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=date.fromisoformat, help="run as if today were this day (YYYY-MM-DD)"
        )

    def handle(self, *args, **options):
        sent = freshness_reminders_run(today=options["date"] or timezone.localdate())
        self.stdout.write(", ".join(f"{kind}: {n}" for kind, n in sent.items()))
