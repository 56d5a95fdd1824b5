from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from madoguchi.opendata.demo import load_demo_opendata


class Command(BaseCommand):
    help = "Load the demo open data (several departments, standard datasets, one awaiting approval, one overdue). Idempotent."

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("load_demo_opendata refuses to run with MADOGUCHI_PROFILE=production.")
        created, existing = load_demo_opendata()
        self.stdout.write(f"demo open data: {created} datasets created, {existing} already there")
