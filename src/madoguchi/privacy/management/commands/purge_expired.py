from django.core.management.base import BaseCommand

from madoguchi.privacy.services import retention_purge


class Command(BaseCommand):
    help = "Erase every record and file past its retention period, writing one erasure record each (削除・廃棄記録)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be erased; erase nothing"
        )

    def handle(self, *args, dry_run=False, **options):
        report = retention_purge(dry_run=dry_run)
        verb = "would erase" if dry_run else "erased"
        for kind, count in sorted(report.erased.items()):
            self.stdout.write(f"{kind}: {verb} {count}")
        for kind, count in sorted(report.failed.items()):
            self.stderr.write(f"{kind}: {count} failed (see the log)")
        self.stdout.write(f"{verb} {report.total} in all (run {report.run_id})")
