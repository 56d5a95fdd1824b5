"""Triage rows for 罹災証明 cases opened before the case-opening hook existed (idempotent)."""

from django.core.management.base import BaseCommand

from madoguchi.disaster.services import triage_backfill


class Command(BaseCommand):
    help = "罹災証明の振り分け（町字・被害の見込み）を、まだない案件について作る"

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        made = triage_backfill(batch_size=batch_size)
        self.stdout.write(f"triage rows made: {made}")
