from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from madoguchi.cases.demo import seed_demo_cases


class Command(BaseCommand):
    help = "Load a few hundred demo cases across departments and statuses (only when there are none)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=300)

    def handle(self, *args, count, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo_cases refuses to run with MADOGUCHI_PROFILE=production.")
        made = seed_demo_cases(count=count)
        self.stdout.write(f"{made} demo cases" if made else "demo cases already present")
