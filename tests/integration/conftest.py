"""Real services for integration tests: Celery worker and beat processes, Redis, PostgreSQL, SMTP.

The worker runs as a separate process, against the test database that pytest-django
created and the machine's Redis, and sends mail to an aiosmtpd listener in this process.
Tests here use `transaction=True` so that the worker sees committed rows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.processes import dies_with_parent, stop_process_groups
from tests.smtp import SmtpListener

ROOT = Path(__file__).resolve().parents[2]


def _services_available() -> str | None:
    """Why the integration tests cannot run here, or None."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://… (as .ci/run does)"
    if not settings.REDIS_URL:
        return "needs Redis: set REDIS_URL=redis://… (as .ci/run does)"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at {settings.REDIS_URL} is unreachable: {error}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _services_available()
    for item in items:
        if "tests/integration/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.integration)
            if reason:
                # Loud on purpose: a silently skipped integration suite proves nothing.
                item.add_marker(pytest.mark.skip(reason=f"INTEGRATION TESTS NOT RUN: {reason}"))


@pytest.fixture
def smtp() -> Iterator[SmtpListener]:
    listener = SmtpListener()
    listener.start()
    yield listener
    listener.stop()


@pytest.fixture
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class CeleryProcesses:
    """Start and stop `celery worker` / `celery beat` processes for one test."""

    def __init__(self, smtp: SmtpListener, tmp_path: Path) -> None:
        self.smtp = smtp
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen] = []

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}",
            "VAR_DIR": str(self.tmp_path / "var"),
            "SITE_URL": "http://testserver",
            "DISPATCH_INTERVAL_SECONDS": "2",
            "EMAIL_RETRY_BASE_SECONDS": "1",
            "EMAIL_RETRY_CAP_SECONDS": "2",
            "EMAIL_SENDING_LEASE_SECONDS": "5",
            "CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
        }
        env.update(extra)
        return env

    def _start(self, args: list[str], name: str, **extra: str) -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}-{len(self.procs)}.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            dies_with_parent([sys.executable, "-m", "celery", "-A", "ivigtrack", *args]),
            cwd=ROOT,
            env=self.env(**extra),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() takes the pool children too
        )
        proc.log_path = log.name  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def worker(self, name: str = "w1", concurrency: int = 2, **extra: str) -> subprocess.Popen:
        proc = self._start(
            [
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{name}@%h",
            ],
            name,
            **extra,
        )
        self._wait_for_log(proc, b"ready.")
        return proc

    def beat(self) -> subprocess.Popen:
        return self._start(["beat", "--loglevel=INFO", "-s", str(self.tmp_path / "beat-schedule")], "beat")

    def _wait_for_log(self, proc: subprocess.Popen, needle: bytes, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if Path(proc.log_path).read_bytes().find(needle) >= 0:
                return
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"celery did not become ready:\n{Path(proc.log_path).read_text()[-3000:]}")

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL the whole process group: a crash, not a graceful shutdown."""
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop_all(self) -> None:
        stop_process_groups(self.procs)

    def logs(self) -> str:
        return "\n".join(Path(p.log_path).read_text(errors="replace")[-2000:] for p in self.procs)


@pytest.fixture
def celery_procs(smtp: SmtpListener, tmp_path: Path, redis_client: redis.Redis) -> Iterator[CeleryProcesses]:
    # Messages left by earlier tests (or by unit tests that committed reports) are not ours.
    redis_client.flushdb()
    procs = CeleryProcesses(smtp, tmp_path)
    yield procs
    procs.stop_all()
    # Captured by pytest and shown only when the test fails: what the worker and beat said.
    print(procs.logs())
    # The worker's connections are gone before pytest-django truncates or drops the database.
    connection.close()


def wait_until(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.1) -> float:
    """Poll until predicate() is truthy; return the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
