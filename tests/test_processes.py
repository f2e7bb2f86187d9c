"""The helpers that start the integration and browser stacks' processes (tests/processes.py)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import dies_with_parent

ROOT = Path(__file__).resolve().parent.parent


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting for a parent that no longer exists to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(shutil.which("setpriv") is None or not Path("/proc").is_dir(), reason="needs Linux and setpriv")
def test_a_started_process_dies_with_the_test_run_even_when_it_is_sigkilled():
    # A stand-in for pytest: it starts a long-running command as the stacks do, in its own session, and
    # says its pid. Then it is SIGKILLed, as a CI timeout would: nothing of it may run on.
    starter = (
        "import subprocess, sys, time\n"
        "from tests.processes import dies_with_parent\n"
        "child = subprocess.Popen(dies_with_parent([sys.executable, '-c', 'import time; time.sleep(120)']),"
        " start_new_session=True)\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", starter], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    try:
        assert _alive(child_pid)
        time.sleep(0.5)
        assert _alive(child_pid), "the child should run as long as its parent does"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(child_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child_pid), "the child outlived its SIGKILLed parent"
    finally:
        if _alive(child_pid):
            os.kill(child_pid, signal.SIGKILL)
        parent.stdout.close()


def test_without_setpriv_the_command_runs_as_it_is(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert dies_with_parent(["celery", "worker"]) == ["celery", "worker"]
