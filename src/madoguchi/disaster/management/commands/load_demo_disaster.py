"""Demo data for disaster mode (`make run`): one past disaster, ended, in the history; no active
one, so the normal demo is unchanged. Idempotent. The demo ICT users (admin@, dx@) switch the mode
on at /staff/disaster/ (docs/disaster.md)."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from madoguchi.disaster.models import Disaster

DEMO_NAME = "令和7年台風第19号（デモ）"


class Command(BaseCommand):
    help = "災害モードのデモデータ（終了した過去の災害を1件）を入れる"

    @transaction.atomic
    def handle(self, *args, **options):
        if Disaster.objects.filter(name=DEMO_NAME).exists():
            self.stdout.write("demo disaster already loaded")
            return
        started = timezone.make_aware(timezone.datetime(2025, 10, 12, 9, 0))
        Disaster.objects.create(
            name=DEMO_NAME, kind=Disaster.Kind.STORM_FLOOD, occurred_on=date(2025, 10, 12),
            area=["渡波", "湊町一丁目", "門脇町二丁目"], is_active=False, started_at=started,
            ended_at=started + timedelta(days=45), declared_via="demo", ended_via="demo",
        )  # fmt: skip
        self.stdout.write("demo disaster loaded (ended; no disaster mode is active)")
