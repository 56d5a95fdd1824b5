from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from madoguchi.organisations.services import MunicipalityFileError, municipality_load_from_file


class Command(BaseCommand):
    help = "Create or update a municipality and its departments from a YAML data file (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="e.g. data/municipalities/042021-ishinomaki.yaml")

    def handle(self, *args, path: Path, **options):
        try:
            result = municipality_load_from_file(path=path)
        except MunicipalityFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{result.municipality.name} ({result.municipality.code}): "
            f"{result.created} departments created, {result.updated} updated, {result.deactivated} deactivated"
        )
