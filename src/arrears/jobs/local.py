"""Worker processes on this machine for one run, so one command uses every core of a single server.

``arrears run --workers N`` starts N ``arrears worker`` processes here, runs the
day through the queue, and stops them. They are the same workers one starts by
hand on other machines; they write their logs to files, so the coordinator's
progress stays readable and a failed step's traceback is kept.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

STOP_SECONDS = 60.0
"""How long a worker asked to stop may take to finish the step it is on before it is killed."""


def worker_command() -> list[str]:
    """``arrears worker`` with this interpreter, whether or not the console script is on the PATH."""
    return [sys.executable, "-m", "arrears.cli.main", "worker"]


@contextmanager
def local_workers(database_url: str, count: int, log_dir: Path) -> Iterator[list[Path]]:
    """``count`` workers on ``database_url`` for the block's length; yields their log files.

    On leaving the block they are asked to stop (SIGTERM: a worker finishes the
    step it is on), and killed if they have not stopped after ``STOP_SECONDS``.
    A step cut short that way is rolled back, and redone by the next run.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "ARREARS_DATABASE_URL": database_url}
    logs = [log_dir / f"worker-{number}.log" for number in range(1, count + 1)]
    with ExitStack() as stack:
        workers = []
        for path in logs:
            log = stack.enter_context(path.open("a", encoding="utf-8"))
            workers.append(
                subprocess.Popen(worker_command(), env=environment, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            )
        try:
            yield logs
        finally:
            _stop(workers)


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
