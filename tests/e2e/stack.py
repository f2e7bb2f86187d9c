"""The whole app, running as in production, for browser tests and the Lighthouse check.

gunicorn (DEBUG off, static files collected, compressed and served by whitenoise), a Celery
worker and beat, all in their own processes, on a throwaway database seeded with the demo
clinic, sending mail to an SMTP listener in this process. With DATABASE_URL/REDIS_URL pointing
at PostgreSQL and Redis (as in CI) it uses them, on a database and Redis db of its own;
otherwise SQLite and Celery's filesystem broker, like `make run`.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.processes import dies_with_parent, stop_process_groups
from tests.smtp import SmtpListener

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "e2e-demo-password-2026"
# Single-use two-factor backup codes that seed_demo gives each demo staff account.
DEMO_BACKUP_CODES = [f"demo{n:04d}" for n in range(1, 11)]
REDIS_DB_FOR_E2E = 14  # apart from the app's and the integration tests' queues


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_database(base_url: str, name: str) -> str:
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


class LiveStack:
    def __init__(
        self, workdir: Path, *, database_url: str = "", redis_url: str = "", extra_env: dict[str, str] | None = None
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://localhost:{self.port}"
        self.smtp = SmtpListener()
        self.procs: list[subprocess.Popen] = []
        self._pg_admin_url = ""
        self._pg_name = ""
        if database_url.startswith("postgres"):
            self._pg_admin_url = database_url
            self._pg_name = f"ivigtrack_e2e_{os.getpid()}_{secrets.token_hex(3)}"
            self.database_url = _postgres_database(database_url, self._pg_name)
        else:
            self.database_url = f"sqlite:///{workdir / 'e2e.sqlite3'}"
        self.redis_url = ""
        if redis_url:
            self.redis_url = urlunsplit(urlsplit(redis_url)._replace(path=f"/{REDIS_DB_FOR_E2E}"))
        self.extra_env = extra_env or {}
        self.secret_key = secrets.token_urlsafe(50)  # one for all processes: links signed by one are read by another

    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
        env.update(
            {
                "DEBUG": "false",
                "SECRET_KEY": self.secret_key,
                "ALLOWED_HOSTS": "localhost,127.0.0.1",
                "SITE_URL": self.base_url,
                # Plain HTTP on loopback: no redirect to HTTPS, no HSTS. Browsers treat localhost as a
                # secure context, so the Secure session and CSRF cookies still work.
                "SECURE_SSL_REDIRECT": "false",
                "SECURE_HSTS_SECONDS": "0",
                "DATABASE_URL": self.database_url,
                "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}",
                "VAR_DIR": str(self.workdir / "var"),
                "STATIC_ROOT": str(self.workdir / "static"),
                "DISPATCH_INTERVAL_SECONDS": "2",
                "CONN_MAX_AGE": "0",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        env.update(self.extra_env)
        return env

    def _manage(self, *args: str, **env: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            check=False,
            cwd=ROOT,
            env={**self.env(), **env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result.stdout

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            dies_with_parent(args),
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc.log_path = log.name  # type: ignore[attr-defined]
        self.procs.append(proc)

    def start(self) -> LiveStack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.smtp.start()
        if self._pg_name:
            self._psql(f'CREATE DATABASE "{self._pg_name}"')
        if self.redis_url:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()
        self._manage("migrate", "--noinput")
        self._manage("collectstatic", "--noinput")
        # seed_demo refuses to run without DEBUG (it must never touch a production database); this
        # database is a throwaway one.
        self._manage("seed_demo", "--password", DEMO_PASSWORD, DEBUG="true")
        self._spawn(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "ivigtrack.wsgi",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                "2",
                "--access-logfile",
                "-",
            ],
        )
        celery = [sys.executable, "-m", "celery", "-A", "ivigtrack"]
        self._spawn(
            "worker",
            [
                *celery,
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
        )
        self._spawn("beat", [*celery, "beat", "--loglevel=INFO", "-s", str(self.workdir / "beat-schedule")])
        self._wait_until_serving()
        return self

    def _wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{proc.args[:4]} exited:\n{self.logs()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/accounts/login/", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"the app did not start:\n{self.logs()}")

    def _psql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(_postgres_database(self._pg_admin_url, "postgres"), autocommit=True) as conn:
            conn.execute(statement)

    def logs(self) -> str:
        return "\n".join(
            f"--- {Path(p.log_path).stem} ---\n" + Path(p.log_path).read_text(errors="replace")[-3000:]
            for p in self.procs
        )

    def stop(self) -> None:
        stop_process_groups(self.procs)
        self.smtp.stop()
        if self._pg_name:
            self._psql(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')

    # --- Reading the mail the app sent -------------------------------------------------------

    def wait_for_mail(self, predicate, timeout: float = 30, what: str = "an e-mail"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.smtp.lock:
                found = [m for m in self.smtp.messages if predicate(m)]
            if found:
                return found[-1]
            time.sleep(0.2)
        subjects = [(m["To"], m["Subject"]) for m in self.smtp.messages]
        raise AssertionError(f"no {what} within {timeout}s; mail so far: {subjects}\n{self.logs()}")
