from django.core.management.base import BaseCommand, CommandError

from madoguchi.procedures.definitions import DefinitionError
from madoguchi.procedures.services import procedures_load_from_files


class Command(BaseCommand):
    help = "Load every definition in data/procedures/: changed files become new published versions (all or nothing)."

    def handle(self, *args, **options):
        try:
            result = procedures_load_from_files()
        except DefinitionError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(
                f"{len(exc.errors)} problem(s) in the definitions; nothing was loaded"
            ) from exc
        self.stdout.write(
            f"procedures: {result.created} new version(s) published, {result.unchanged} unchanged"
        )
