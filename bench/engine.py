"""Engine benchmark: the follow-up dispatcher and severe-event alerts, through a real Celery worker.

- Dispatch: N due follow-up prompts (rows as followups_sync creates them) in a clinic with quiet
  hours off; one `dispatch_due` task (what the minute beat tick sends) to a Celery worker with
  two processes; timed from the task's enqueueing until the SMTP listener has all N messages.
- Floor: the very same N messages (subject, text and HTML bodies, recipient) sent by another
  process over one SMTP connection with Django's SMTP backend and no database.
- Severe alert: reports with a warning sign saved by services.reports.report_create in a transaction, as
  the view does; the alert task leaves on commit (delay_on_commit), the worker sends the e-mails;
  timed from the start of the submission until the last clinician's e-mail reached the listener.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from django.db import connection, transaction
from django.utils import timezone

from bench import stop_process
from bench.generate import PASSWORD, _reset_sequence, copy_rows
from reactions import services
from reactions.models import Clinic, FollowUp, Infusion, OutboundEmail, User

ROOT = Path(__file__).resolve().parent.parent
OFFSETS = [1, 2, 3, 6, 12, 24, 48, 72, 120, 168]  # ten prompts per infusion, all due


class Sink:
    """An SMTP listener (aiosmtpd) that only counts and timestamps what it accepts."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=_free_port())

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        now = time.time()
        with self.lock:
            self.arrivals.extend([now] * len(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    @property
    def count(self) -> int:
        return len(self.arrivals)

    def wait_for(self, n: int, timeout: float) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.count >= n:
                return True
            time.sleep(0.002)
        return self.count >= n


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Worker:
    """`celery -A ivigtrack worker` with two processes, on bench.settings, sending to the sink."""

    def __init__(self, env: dict[str, str], smtp_port: int) -> None:
        self.env = {**env, "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}"}

    def __enter__(self) -> Worker:
        from ivigtrack.celery import app

        app.control.purge()  # only the bench broker's queue (REDIS_URL's database)
        self.log = open(ROOT / "var" / "bench" / "celery.log", "w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ivigtrack",
                "worker",
                "--concurrency",
                "2",
                "--pool",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if app.control.ping(timeout=0.5):
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Celery worker exited; see {self.log.name}")
        raise RuntimeError("the Celery worker did not answer")

    def __exit__(self, *exc: object) -> None:
        stop_process(self.proc, grace=20)
        self.log.close()


def _engine_clinic(name: str, *, patients: int, clinicians: int) -> tuple[Clinic, list[User], list[Infusion]]:
    from django.contrib.auth.hashers import make_password

    clinic = Clinic.objects.create(
        name=name, out_of_hours_phone="+44 20 7946 0000", quiet_hours_start=dtime(0), quiet_hours_end=dtime(0)
    )
    password = make_password(PASSWORD)
    User.objects.bulk_create(
        User(
            email=f"staff{k}.{clinic.pk}@bench.test",
            full_name=f"Clinician {k}",
            role=User.Role.CLINICIAN,
            clinic=clinic,
            password=password,
        )
        for k in range(clinicians)
    )
    users = User.objects.bulk_create(
        User(
            email=f"p{k}.{clinic.pk}@bench.test",
            full_name=f"Patient {k}",
            role=User.Role.PATIENT,
            clinic=clinic,
            password=password,
        )
        for k in range(patients)
    )
    ended = timezone.now() - timedelta(days=8)
    infusions = Infusion.objects.bulk_create(
        Infusion(
            patient=u,
            status=Infusion.Status.GIVEN,
            started_at=ended - timedelta(hours=3),
            ended_at=ended,
            product=Infusion.Product.PRIVIGEN,
            lot_number=f"EN{k % 50:04d}",
            logged_by=u,
        )
        for k, u in enumerate(users)
    )
    return clinic, users, infusions


def _due_prompts(infusions: list[Infusion], n: int) -> int:
    """N scheduled prompts, all due: the rows followups_sync makes, written with COPY."""
    now = timezone.now()
    names = ["infusion", "patient", "kind", "offset_hours", "due_at", "status", "created_at", "answer"]

    def rows():
        made = 0
        for infusion in infusions:
            for offset in OFFSETS:
                if made == n:
                    return
                yield (
                    infusion.pk,
                    infusion.patient_id,
                    "prompt",
                    offset,
                    min(infusion.ended_at + timedelta(hours=offset), now - timedelta(seconds=1)),
                    "scheduled",
                    infusion.ended_at,
                    "",
                )
                made += 1

    copied = copy_rows(FollowUp, names, rows())
    _reset_sequence(FollowUp)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reactions_followup")
    return copied


def dispatch(sink: Sink, *, prompts: int) -> dict:
    from reactions.tasks import dispatch_due

    per_clinic = len(OFFSETS)
    _clinic, _users, infusions = _engine_clinic("Bench engine clinic", patients=-(-prompts // per_clinic), clinicians=1)
    made = _due_prompts(infusions, prompts)
    connection.close()
    before = sink.count
    started = time.time()
    dispatch_due.delay()  # what the beat tick sends
    if not sink.wait_for(before + made, timeout=900):
        raise RuntimeError(f"only {sink.count - before} of {made} prompts arrived")
    seconds = sink.arrivals[before + made - 1] - started
    return {"messages": made, "seconds": round(seconds, 3), "throughput": round(made / seconds, 1)}


def floor(sink: Sink, *, messages: int) -> dict:
    """The same messages, over one SMTP connection, from a process that touches no database."""
    rows = list(
        OutboundEmail.objects.filter(kind=OutboundEmail.Kind.FOLLOWUP_PROMPT, status=OutboundEmail.Status.SENT)
        .order_by("pk")
        .values("subject", "body_text", "body_html", "to_email")[:messages]
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(rows, f)
    try:
        before = sink.count
        out = subprocess.run(
            [sys.executable, "-m", "bench.smtp_floor", f.name, str(sink.controller.port)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        ).stdout
        started = float(out.split()[0])
        if not sink.wait_for(before + len(rows), timeout=300):
            raise RuntimeError("the floor's messages did not all arrive")
        seconds = sink.arrivals[before + len(rows) - 1] - started
    finally:
        os.unlink(f.name)
    return {"messages": len(rows), "seconds": round(seconds, 3), "throughput": round(len(rows) / seconds, 1)}


def severe_alerts(sink: Sink, *, reports: int, clinicians: int = 3) -> dict:
    _clinic, _users, infusions = _engine_clinic("Bench alert clinic", patients=reports, clinicians=clinicians)
    connection.close()
    latencies = []
    for infusion in infusions:
        before = sink.count
        started = time.time()
        with transaction.atomic():  # the request's transaction (ATOMIC_REQUESTS): the task leaves on commit
            services.reports.report_create(
                infusion=infusion, symptoms=[services.reports.SymptomEntry("breathing_trouble", "severe", "during")]
            )
        if not sink.wait_for(before + clinicians, timeout=30):
            raise RuntimeError("a severe alert did not arrive within 30 s")
        latencies.append(sink.arrivals[before + clinicians - 1] - started)
        time.sleep(0.05)
    latencies.sort()
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "reports": len(latencies),
        "clinicians_per_clinic": clinicians,
        "p50_s": round(statistics.median(latencies), 4),
        "p95_s": round(q[94], 4),
        "max_s": round(latencies[-1], 4),
    }


def run(*, env: dict[str, str], prompts: int, alerts: int, log=print) -> dict:
    sink = Sink()
    sink.controller.start()
    try:
        with Worker(env, sink.controller.port):
            d = dispatch(sink, prompts=prompts)
            log(f"    dispatcher: {d['messages']} prompts in {d['seconds']:.2f} s = {d['throughput']:.0f} msg/s")
            a = severe_alerts(sink, reports=alerts)
            log(
                f"    severe alerts: p50 {a['p50_s'] * 1000:.0f} ms, p95 {a['p95_s'] * 1000:.0f} ms over {a['reports']}"
            )
        f = floor(sink, messages=prompts)
        log(f"    SMTP floor: {f['messages']} messages in {f['seconds']:.2f} s = {f['throughput']:.0f} msg/s")
    finally:
        sink.controller.stop()
    d["x_floor"] = round(d["throughput"] / f["throughput"], 2)
    return {"dispatch": d, "floor": f, "severe_alert": a}
