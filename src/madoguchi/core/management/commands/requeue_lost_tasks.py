from datetime import timedelta

from django.core.management.base import BaseCommand

from madoguchi.core.worker import lost_after, tasks_requeue_lost


class Command(BaseCommand):
    help = (
        "Put back in the queue the background tasks left RUNNING by a worker that stopped beating (killed, "
        "host lost) for longer than MADOGUCHI_WORKER_LOST_AFTER_SECONDS (60 by default). Every "
        "`manage.py worker` also does this every 30 seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, default=None,
                            help="Seconds without a heartbeat after which a worker counts as lost.")  # fmt: skip

    def handle(self, *args, older_than=None, **options):
        counts = tasks_requeue_lost(
            older_than=timedelta(seconds=older_than) if older_than is not None else lost_after()
        )
        self.stdout.write(
            f"requeued {counts['requeued']} task(s), failed {counts['failed']} task(s) claimed too often, "
            f"forgot {counts['forgotten_workers']} lost worker(s)"
        )
