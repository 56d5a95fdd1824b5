from django.core.management.base import BaseCommand, CommandError

from madoguchi.lifeevents.definitions import GuideError
from madoguchi.lifeevents.services import guides_load_from_files


class Command(BaseCommand):
    help = "Load every guide in data/life_events/ (all or nothing; unchanged files change nothing)."

    def handle(self, *args, **options):
        try:
            result = guides_load_from_files()
        except GuideError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(exc.errors)} problem(s) in the guides; nothing was loaded") from exc
        self.stdout.write(
            f"life-event guides: {result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.retired} retired"
        )
