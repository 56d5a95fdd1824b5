"""Everything `make run` loads before it serves, in one process (each `manage.py` start costs Django's
set-up again: about 3.5 s of CPU, ten times over). Each step is idempotent, so a second run only
tops up what is missing."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

STEPS = (
    ("migrate", ["--no-input"], {"verbosity": 0}),
    ("createcachetable", [], {}),
    ("load_demo", [], {}),
    ("load_procedures", [], {}),
    ("load_demo_opendata", [], {}),
    ("load_life_events", [], {}),
    ("seed_demo_cases", [], {}),
    ("load_demo_counter", [], {}),
    ("load_demo_disaster", [], {}),
    ("load_dx_policy", ["--demo"], {}),
    ("refresh_kpis", [], {}),
    ("schedule_periodic", [], {}),
)


class Command(BaseCommand):
    help = "Set up the demo city: migrate, then load every part of the demo (what `make run` does)."

    def handle(self, *args, **options):
        for name, arguments, extra in STEPS:
            call_command(name, *arguments, stdout=self.stdout, stderr=self.stderr, **extra)
