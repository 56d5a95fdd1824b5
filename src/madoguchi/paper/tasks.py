"""Background work of the paper channel: reading the pages of a batch (docs/paper.md).

``paper_process_batch`` claims and reads pages until none is left. A worker killed mid-page leaves
its job leased; ``paper_sweep`` comes back after the lease, takes over what is left and queues
itself again (first thing, so a sweep killed mid-way still has a successor) until the batch is done.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from . import services

logger = logging.getLogger(__name__)


@task()
def paper_process_batch(*, batch_id: str) -> None:
    services.jobs_run(batch_id=batch_id)


@task()
def paper_sweep(*, batch_id: str) -> None:
    if not services.batch_unfinished(batch_id=batch_id):
        services.batch_assemble(batch_id=batch_id)
        return
    if paper_sweep.get_backend().supports_defer:
        delay = timedelta(seconds=services.lease_seconds())
        paper_sweep.using(run_after=timezone.now() + delay).enqueue(batch_id=batch_id)
    services.jobs_run(batch_id=batch_id)
