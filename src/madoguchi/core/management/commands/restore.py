from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from madoguchi.core.backup import KEYS_NOTE, BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into an empty database and an empty file root, after "
        "checking every hash in its manifest. Refuses a database with tables or a file root with files unless "
        "--force. The encryption keys must be configured separately (they are not in the backup)."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="The backup directory or .tar file")
        parser.add_argument(
            "--force", action="store_true", help="Replace a database and files that are not empty"
        )

    def handle(self, *args, backup, force=False, **options):
        try:
            manifest = backup_restore(path=Path(backup), force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"restored the {manifest['database']['vendor']} database of {manifest['created_at']} "
            f"(commit {manifest['git_commit'] or 'unknown'}) and {manifest['restored_files']} file(s)"
        )
        self.stdout.write(KEYS_NOTE)
        self.stdout.write("Next: manage.py migrate (if the code is newer), then manage.py audit_verify.")
