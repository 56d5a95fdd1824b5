from django.core.management.base import BaseCommand

from madoguchi.dashboards.services import kpi_refresh


class Command(BaseCommand):
    help = "Recompute the dashboards' KPI snapshot for the twelve months up to today (the daily job does it at 05:00)."

    def handle(self, *args, **options):
        self.stdout.write(f"{kpi_refresh()} snapshot rows written")
