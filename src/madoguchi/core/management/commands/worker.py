"""``manage.py worker``: django-tasks-db's ``db_worker`` with a heartbeat, so that the tasks of a
killed worker are put back in the queue (``madoguchi.core.worker``). Same options as ``db_worker``."""

import os

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from madoguchi.core.worker import Dispatcher, Heartbeat, HostLoad, default_worker_id, yield_while_busy


class PoliteWorker(Worker):
    """db_worker's worker that, before each task, steps back while the host is busy
    (``MADOGUCHI_WORKER_YIELD_BUSY``; ``madoguchi.core.worker.yield_while_busy``)."""

    def __init__(self, *, load: HostLoad, **kwargs):
        super().__init__(**kwargs)
        self.load = load

    def run_task(self, db_task_result) -> None:
        yield_while_busy(load=self.load, threshold=settings.MADOGUCHI_WORKER_YIELD_BUSY,
                         max_seconds=settings.MADOGUCHI_WORKER_YIELD_MAX_SECONDS,
                         running=lambda: self.running)  # fmt: skip
        super().run_task(db_task_result)


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
        load = HostLoad()
        load.start()
        dispatcher = Dispatcher(load=load)
        dispatcher.dispatch()  # at once: a --batch run also makes the filings accepted before it
        dispatcher.start()
        try:
            if reload:
                return super().handle(*args, **options)
            self.configure_logging(options["verbosity"])
            queue_names = options["queue_name"].split(",")
            excluded = options["exclude_queues"].split(",") if options.get("exclude_queues") else []
            if excluded and "*" not in queue_names:
                raise CommandError("--exclude-queues can only be used with --queue-name=*")
            worker = PoliteWorker(
                load=load, queue_names=queue_names, interval=options["interval"], batch=options["batch"],
                backend_name=options["backend_name"], startup_delay=options["startup_delay"],
                max_tasks=options["max_tasks"], worker_id=options["worker_id"], excluded_queue_names=excluded,
            )  # fmt: skip
            worker.configure_signals()
            worker.run()
        finally:
            dispatcher.stop()
            load.stop()
            heartbeat.stop()
