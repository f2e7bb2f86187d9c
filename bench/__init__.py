"""ivigtrack benchmarks: `make bench` (or `python -m bench --help`). Not part of `make test`."""

from __future__ import annotations

import signal
import subprocess


def stop_process(proc: subprocess.Popen | None, grace: float) -> None:
    """SIGTERM a process the bench started; SIGKILL it if it outlives the grace."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
