from django.core.management.base import BaseCommand

from madoguchi.dashboards.tasks import schedule_kpi_refresh
from madoguchi.notifications.tasks import schedule_notification_work
from madoguchi.opendata.stats_tasks import schedule_statistics
from madoguchi.opendata.tasks import schedule_freshness
from madoguchi.privacy.tasks import schedule_purge


class Command(BaseCommand):
    help = (
        "Queue the periodic background work (the daily retention purge at 03:00, the notice e-mail sweep "
        "every 10 minutes, the daily reminders at 09:00, the open-data statistics on the 1st of each month at "
        "06:00, the dashboards' KPI snapshot daily at 05:00) unless it is already queued. Idempotent: run it "
        "at every deploy; `make run` does."
    )

    def handle(self, *args, **options):
        queued = schedule_purge()
        self.stdout.write("daily purge queued" if queued else "daily purge already queued")
        for name, queued in schedule_notification_work().items():
            self.stdout.write(f"{name} queued" if queued else f"{name} already queued")
        queued = schedule_statistics()  # the monthly open-data statistics, on the 1st at 06:00
        self.stdout.write("monthly statistics queued" if queued else "monthly statistics already queued")
        queued = schedule_freshness()  # open-data freshness reminders, daily at 08:00
        self.stdout.write("freshness reminders queued" if queued else "freshness reminders already queued")
        queued = schedule_kpi_refresh()  # the dashboards' KPI snapshot, daily at 05:00
        self.stdout.write("KPI refresh queued" if queued else "KPI refresh already queued")
