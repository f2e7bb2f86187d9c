"""Starting and stopping the app processes that integration and browser tests run in their own sessions."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterable, Sequence


def dies_with_parent(args: Sequence[str]) -> list[str]:
    """The command, run so that it gets SIGTERM when the process that starts it dies, even by SIGKILL.

    util-linux's setpriv sets Linux's parent-death signal and then execs the command (same pid, same
    process group). A pytest killed by a CI timeout would otherwise leave gunicorn, Celery workers and
    beat running, holding their ports and databases for the next run. Without setpriv (not Linux), the
    command is run as it is.
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *args] if setpriv else list(args)


def stop_process_groups(procs: Iterable[subprocess.Popen], grace: float = 15) -> None:
    """SIGTERM each process group (the pool children too), then SIGKILL what outlives the grace."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
