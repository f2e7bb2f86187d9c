"""The delivery fault suite's tools: what it counts (pure functions), the SMTP listener, the Celery stack.

The arithmetic is tested in tests/test_bench_faults.py without any service; the listener and the
stack are real (aiosmtpd in this process, `celery worker` and `celery beat` as child processes).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import time as dtime
from datetime import timedelta
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.processes import dies_with_parent, stop_process_groups

ROOT = Path(__file__).resolve().parent.parent

# aiosmtpd logs every SMTP command at INFO, and every dropped client when a worker is killed.
logging.getLogger("mail.log").setLevel(logging.CRITICAL)


# --- What a scenario counts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """What reached the listener, against the recipients that should each get exactly one message."""

    expected: int
    received: int  # every copy the listener accepted, for anyone
    lost: int  # expected recipients who never got their message
    duplicated: int  # extra copies to expected recipients
    kept_id: int  # of those extra copies, how many carry the Message-ID of the recipient's first copy
    unexpected: int  # copies to recipients who should get nothing


def tally(expected: Iterable[str], received: Sequence[tuple[str, str]]) -> Tally:
    """Count lost and duplicated messages by recipient, then check each duplicate's Message-ID.

    Every expected message goes to its own recipient, so a second copy is found by its address alone,
    whatever its Message-ID: the Message-ID check then says whether the copy is the same message.
    `received` is (recipient, Message-ID) in arrival order.
    """
    wanted = {address.lower() for address in expected}
    first_id: dict[str, str] = {}
    copies: Counter[str] = Counter()
    kept = unexpected = 0
    for address, message_id in received:
        address = address.lower()
        if address not in wanted:
            unexpected += 1
            continue
        copies[address] += 1
        if address not in first_id:
            first_id[address] = message_id
        elif message_id == first_id[address]:
            kept += 1
    return Tally(
        expected=len(wanted),
        received=len(received),
        lost=len(wanted - set(copies)),
        duplicated=sum(n - 1 for n in copies.values()),
        kept_id=kept,
        unexpected=unexpected,
    )


def duplicates(received: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Each recipient who got more than one copy, with the Message-IDs of the copies in arrival order."""
    ids: dict[str, list[str]] = {}
    for address, message_id in received:
        ids.setdefault(address.lower(), []).append(message_id)
    return {address: copies for address, copies in ids.items() if len(copies) > 1}


@dataclass(frozen=True)
class Check:
    """A scenario-specific condition, and what was seen."""

    ok: bool
    detail: str


@dataclass
class Outcome:
    scenario: str
    tally: Tally
    sent_db: int
    seconds: float
    checks: list[Check] = field(default_factory=list)
    duplicates: dict[str, list[str]] = field(default_factory=dict)  # recipient: Message-IDs of their copies

    @property
    def passed(self) -> bool:
        return self.tally.lost == 0 and self.tally.kept_id == self.tally.duplicated and all(c.ok for c in self.checks)

    def as_dict(self) -> dict:
        return {
            "scenario": self.scenario,
            **{k: getattr(self.tally, k) for k in Tally.__dataclass_fields__},
            "sent_db": self.sent_db,
            "seconds": round(self.seconds, 1),
            "checks": [{"ok": c.ok, "detail": c.detail} for c in self.checks],
            "duplicates": self.duplicates,
            "passed": self.passed,
        }


def all_passed(outcomes: Sequence[Outcome]) -> bool:
    return bool(outcomes) and all(o.passed for o in outcomes)


def format_table(outcomes: Sequence[Outcome]) -> str:
    """A Markdown table, one row per scenario; a failed check is marked FAILED."""
    lines = [
        "| scenario | expected | sent (DB) | received | lost | duplicated | kept Message-ID | seconds | checks |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        t = o.tally
        checks = "; ".join(c.detail if c.ok else f"FAILED: {c.detail}" for c in o.checks) or "-"
        lines.append(
            f"| {o.scenario} | {t.expected} | {o.sent_db} | {t.received} | {t.lost} | {t.duplicated} | "
            f"{t.kept_id}/{t.duplicated} | {o.seconds:.0f} | {checks} |"
        )
    return "\n".join(lines)


def alert_wait_check(waits: Sequence[float | None], expected: int, limit: float) -> Check:
    """Every severe report's alert queued within `limit` seconds of the report."""
    if len(waits) < expected or any(w is None for w in waits):
        return Check(False, f"{sum(w is not None for w in waits)} of {expected} severe reports had their alert queued")
    worst = max(waits, default=0.0)
    return Check(worst <= limit, f"alerts queued {worst:.1f} s after the report at worst (limit {limit:g} s)")


def latency_after(arrivals: Sequence[tuple[str, float]], recipients: Iterable[str], since: float) -> float | None:
    """Seconds from `since` until every recipient had a message (their first), or None if one has none."""
    first: dict[str, float] = {}
    for address, at in arrivals:
        first.setdefault(address.lower(), at)
    times = [first.get(address.lower()) for address in recipients]
    if any(at is None for at in times):
        return None
    return max(0.0, max(times, default=since) - since)  # type: ignore[type-var]


def task_durations(log: str, task: str = "reactions.tasks.dispatch_due") -> list[float]:
    """How long each run of a task took, from the worker's INFO log ("... succeeded in 1.23s")."""
    return [float(s) for s in re.findall(re.escape(task) + r"\[[^\]]+\] succeeded in ([0-9.]+)s", log)]


def time_limit_errors(log: str) -> int:
    """Lines of a worker log where Celery's soft or hard time limit was hit (TimeLimitExceeded,
    SoftTimeLimitExceeded, or "Hard time limit (60s) exceeded for ...")."""
    pattern = re.compile(r"TimeLimitExceeded|time limit \([^)]*\) exceeded", re.IGNORECASE)
    return sum(1 for line in log.splitlines() if pattern.search(line))


# --- A scenario's rows (Django) ------------------------------------------------------------------------


@dataclass
class Batch:
    """One scenario's rows: a clinic of patients with a due prompt each, and clinics with a severe event to come."""

    clinic_ids: list[int]
    patients: list[str]  # one due prompt each
    alert_infusions: list  # one severe report each, when raise_alerts() is called
    clinicians: list[str]  # one alert each

    @property
    def recipients(self) -> list[str]:
        return self.patients + self.clinicians


def _clinic(name: str):
    from django.utils import timezone

    from reactions.models import Clinic, DigestRun

    # No quiet hours, and the daily reminder marked as sent: only the scenario's own e-mails go out.
    clinic = Clinic.objects.create(
        name=name, out_of_hours_phone="+44 20 7946 0000", quiet_hours_start=dtime(0), quiet_hours_end=dtime(0)
    )
    today = timezone.now().astimezone(clinic.tzinfo).date()
    DigestRun.objects.bulk_create(
        DigestRun(clinic=clinic, local_date=today + timedelta(days=d), created_at=timezone.now()) for d in (-1, 0, 1)
    )
    return clinic


def _patients_with_infusions(clinic, tag: str, count: int, ended_ago: timedelta) -> list:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from reactions.models import Infusion, User

    password = make_password(None)  # unusable: nobody signs in
    users = User.objects.bulk_create(
        User(
            email=f"{tag}{k}.c{clinic.pk}@faults.test",
            full_name=f"{tag} {k}",
            role=User.Role.PATIENT,
            clinic=clinic,
            password=password,
        )
        for k in range(count)
    )
    ended = timezone.now() - ended_ago
    return Infusion.objects.bulk_create(
        Infusion(
            patient=u,
            status=Infusion.Status.GIVEN,
            started_at=ended - timedelta(hours=3),
            ended_at=ended,
            product=Infusion.Product.PRIVIGEN,
            lot_number=f"F{k:05d}",
            logged_by=u,
        )
        for k, u in enumerate(users)
    )


def make_batch(name: str, *, prompts: int, alerts: int) -> Batch:
    """N patients whose +2 h prompt is due (made by followups_sync, as logging an infusion does), and
    `alerts` clinics of two clinicians, each with a patient who will report a severe event."""
    from django.contrib.auth.hashers import make_password

    from reactions import services
    from reactions.models import User

    clinic = _clinic(f"Faults: {name}")
    infusions = _patients_with_infusions(clinic, "patient", prompts, ended_ago=timedelta(hours=2, minutes=30))
    for infusion in infusions:
        services.followups.followups_sync(infusion=infusion)
    batch = Batch([clinic.pk], [i.patient.email for i in infusions], [], [])
    for k in range(alerts):
        alert_clinic = _clinic(f"Faults: {name}, alerts {k}")
        staff = User.objects.bulk_create(
            User(
                email=f"clinician{j}.c{alert_clinic.pk}@faults.test",
                full_name=f"Clinician {j}",
                role=User.Role.CLINICIAN,
                clinic=alert_clinic,
                password=make_password(None),
            )
            for j in range(2)
        )
        batch.clinic_ids.append(alert_clinic.pk)
        batch.clinicians += [u.email for u in staff]
        batch.alert_infusions += _patients_with_infusions(alert_clinic, "severe", 1, ended_ago=timedelta(hours=1))
    return batch


def raise_alerts(batch: Batch) -> None:
    """Severe reports saved as the report view saves them: the alert task leaves on commit."""
    from django.db import transaction

    from reactions import services

    for infusion in batch.alert_infusions:
        with transaction.atomic():
            services.reports.report_create(
                infusion=infusion, symptoms=[services.reports.SymptomEntry("breathing_trouble", "severe", "during")]
            )


def email_counts(batch: Batch) -> Counter[str]:
    from reactions.models import OutboundEmail

    return Counter(OutboundEmail.objects.filter(clinic_id__in=batch.clinic_ids).values_list("status", flat=True))


def alert_waits(batch: Batch) -> list[float | None]:
    """Seconds from each severe report to its first alert e-mail queued (None: never queued), by the database."""
    from django.db.models import Min

    from reactions.models import Flag

    flags = Flag.objects.filter(clinic_id__in=batch.clinic_ids, kind=Flag.Kind.SEVERE_EVENT).annotate(
        queued=Min("emails__created_at")
    )
    return [None if f.queued is None else (f.queued - f.created_at).total_seconds() for f in flags]


def retire_leftovers() -> None:
    """What an earlier scenario left unfinished must not be sent during the next one."""
    from reactions.models import Flag, FollowUp, OutboundEmail

    OutboundEmail.objects.filter(status__in=[OutboundEmail.Status.PENDING, OutboundEmail.Status.SENDING]).update(
        status=OutboundEmail.Status.CANCELLED
    )
    FollowUp.objects.filter(status=FollowUp.Status.SCHEDULED).update(status=FollowUp.Status.CANCELLED)
    Flag.objects.filter(next_alert_at__isnull=False).update(next_alert_at=None)


def terminate_other_connections() -> int:
    """pg_terminate_backend on every other client connection to this database: the workers'."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return cursor.fetchone()[0]


# --- The SMTP listener ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    recipient: str
    message_id: str
    at: float


class _Handler:
    def __init__(self, listener: Listener) -> None:
        self.listener = listener

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd hook)
        if address.lower() in self.listener.reject_addresses:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        if self.listener.refuse:
            return "451 4.3.0 try again later"
        headers = BytesHeaderParser(policy=policy.default).parsebytes(envelope.content)
        self.listener.record(envelope.rcpt_tos, str(headers.get("Message-ID", "")))
        if self.listener.delay_seconds:
            # Taken, then slow to say so: a client killed meanwhile never hears the 250, as when a
            # worker dies between the server's acceptance and its own record of it.
            await asyncio.sleep(self.listener.delay_seconds)
        return "250 Message accepted for delivery"


class Listener:
    """An aiosmtpd server on loopback that records every accepted copy (recipient, Message-ID, time).

    It can be slow (.delay_seconds between taking a message and answering 250), refusing (.refuse:
    451, temporary), refuse some addresses for good (.reject_addresses: 550), or down (.down():
    nothing listens on the port, connections are refused; .up() listens again on the same port).
    """

    def __init__(self) -> None:
        self.port = _free_port()
        self.delay_seconds = 0.0
        self.refuse = False
        self.reject_addresses: set[str] = set()
        self.lock = threading.Lock()
        self._received: list[Received] = []
        self._controller: Controller | None = None

    def record(self, recipients: Iterable[str], message_id: str) -> None:
        now = time.time()
        with self.lock:
            self._received.extend(Received(r, message_id, now) for r in recipients)

    @property
    def received(self) -> list[Received]:
        with self.lock:
            return list(self._received)

    def up(self) -> Listener:
        if self._controller is None:
            self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
            self._controller.start()
        return self

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- The Celery stack ----------------------------------------------------------------------------------


class Stack:
    """`celery worker` and `celery beat` processes of one scenario, each in its own process group.

    Started through setpriv's parent-death signal, so that a suite killed by its operator (even with
    SIGKILL) leaves no worker sending mail or holding the database.
    """

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []
        log_dir.mkdir(parents=True, exist_ok=True)

    def _start(self, args: list[str], name: str, extra: dict[str, str]) -> subprocess.Popen:
        log_path = self.log_dir / f"{name}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                dies_with_parent([sys.executable, "-m", "celery", "-A", "ivigtrack", *args]),
                cwd=ROOT,
                env={**self.env, **extra},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a kill takes the pool children too
            )
        proc.log_path = log_path  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def worker(self, name: str, concurrency: int = 2, **extra: str) -> subprocess.Popen:
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
            f"worker-{name}",
            extra,
        )
        self._wait_for_log(proc, b"ready.")
        return proc

    def beat(self, name: str = "beat") -> subprocess.Popen:
        schedule = self.log_dir / f"{name}-schedule"
        return self._start(["beat", "--loglevel=INFO", "-s", str(schedule)], name, {})

    def _wait_for_log(self, proc: subprocess.Popen, needle: bytes, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in Path(proc.log_path).read_bytes():
                return
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"celery did not become ready; see {proc.log_path}")

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL the process and its pool children: a crash, not a shutdown."""
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop(self) -> None:
        stop_process_groups(self.procs, grace=20)

    def worker_logs(self) -> str:
        return "\n".join(
            Path(p.log_path).read_text(errors="replace")
            for p in self.procs
            if Path(p.log_path).name.startswith("worker-")
        )
