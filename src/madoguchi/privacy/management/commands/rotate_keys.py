from django.core.management.base import BaseCommand

from madoguchi.privacy.services import keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the first (active) field key and recompute every blind "
        "index with the first index key. Put the new key first in MADOGUCHI_FIELD_KEYS, keep the old ones "
        "after it, run this, then remove the old keys (docs/security.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        report = keys_rotate(batch_size=batch_size)
        for label, rows in sorted(report.rows.items()):
            self.stdout.write(f"{label}: {rows} rows re-encrypted")
        self.stdout.write("done")
