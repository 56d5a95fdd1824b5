from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from madoguchi.core.backup import KEYS_NOTE, BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump -Fc, or SQLite's online backup) and every stored file, with a manifest "
        "(time, version, git commit, migrations, SHA-256 of every file), into a new directory or a .tar file. "
        "Encryption keys are not included: keep them separately."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", help="A new directory, or a file name ending in .tar")

    def handle(self, *args, output, **options):
        try:
            result = backup_create(output=Path(output))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"backup written to {result.path}: database ({result.database}) and {result.files} file(s)"
        )
        self.stdout.write(KEYS_NOTE)
