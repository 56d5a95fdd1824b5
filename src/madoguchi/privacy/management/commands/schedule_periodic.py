from django.core.management.base import BaseCommand

from madoguchi.privacy.tasks import schedule_purge


class Command(BaseCommand):
    help = (
        "Queue the periodic background work (the daily retention purge at 03:00) unless it is already "
        "queued. Idempotent: run it at every deploy; `make run` does."
    )

    def handle(self, *args, **options):
        queued = schedule_purge()
        self.stdout.write("daily purge queued" if queued else "daily purge already queued")
