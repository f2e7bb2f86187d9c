"""Stopping the app processes that integration and browser tests start in their own sessions."""
from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterable


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
