"""``manage.py worker``: django-tasks-db's ``db_worker`` with a heartbeat, so that the tasks of a
killed worker are put back in the queue (``madoguchi.core.worker``). Same options as ``db_worker``."""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from madoguchi.core.worker import Heartbeat, default_worker_id


class Command(DbWorkerCommand):
    help = (
        "Run a background worker (django-tasks-db's db_worker) that writes a heartbeat every few seconds "
        "and puts back in the queue the tasks of workers that stopped beating (killed, host lost)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(worker_id=default_worker_id())
        parser.add_argument(
            "--heartbeat-seconds", type=float, default=None, help="Seconds between heartbeats (default: 5)."
        )

    def handle(self, *args, heartbeat_seconds=None, **options):
        reload = options.get("reload") and not options.get("batch")
        # With --reload the parent process only restarts the child; the child (whose default id is made
        # in its own process) does the work and beats.
        if reload and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            return super().handle(*args, **options)
        kwargs = {"beat_seconds": heartbeat_seconds} if heartbeat_seconds else {}
        heartbeat = Heartbeat(options["worker_id"], **kwargs)
        heartbeat.start()
        try:
            return super().handle(*args, **options)
        finally:
            heartbeat.stop()
