"""A task for the worker-kill test: it records each attempt, does its side effect once (an
exclusively created file is its idempotency key), then waits for a gate file, so that the test can
kill the worker while the task is RUNNING."""

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def record_then_block(*, directory: str) -> str:
    folder = Path(directory)
    with open(folder / "attempts.log", "a") as log:
        log.write(f"{os.getpid()}\n")
    try:
        fd = os.open(folder / "effect", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        pass  # done by an earlier attempt: not again
    else:
        os.close(fd)
        with open(folder / "effects.log", "a") as log:
            log.write(f"{os.getpid()}\n")
    deadline = time.monotonic() + 120
    while not (folder / "gate").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return "done"
