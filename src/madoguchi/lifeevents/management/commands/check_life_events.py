from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from madoguchi.lifeevents.files import parse_files


class Command(BaseCommand):
    help = "Check life-event guide files (all of data/life_events/, or the given files) without loading them."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path)

    def handle(self, *args, paths, **options):
        parsed, errors = parse_files(paths or None)
        for error in errors:
            self.stderr.write(error)
        if errors:
            raise CommandError(f"{len(errors)} problem(s); {len(parsed)} guide(s) are fine")
        self.stdout.write(f"{len(parsed)} guide(s) are fine")
