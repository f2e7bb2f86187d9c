"""Delivery fault suite: `python -m bench.faults [--quick] [--smtp-down SECONDS]` (or `make faults`).

Each scenario queues a batch of due follow-up prompts (and, where it matters, severe alerts), runs
the real stack (Celery worker and beat processes, bench.settings: DEBUG off) against PostgreSQL,
Redis and an SMTP listener in this process, injects one fault, and counts what the listener got.

Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/faults; the database is
dropped and created again, so its name must start with "faults") and Redis (REDIS_URL, default
redis://127.0.0.1:6379/6; only that database is flushed). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.faultlib import (
    Batch,
    Check,
    Listener,
    Outcome,
    Stack,
    alert_wait_check,
    alert_waits,
    all_passed,
    duplicates,
    email_counts,
    format_table,
    latency_after,
    make_batch,
    raise_alerts,
    retire_leftovers,
    tally,
    task_durations,
    terminate_other_connections,
    time_limit_errors,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/faults"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"

# The stack's settings: a 2 s tick and short leases, so that each fault plays out in seconds.
# Retries back off from 1 s to 20 s: a 120 s outage costs a message at most about ten of its 20 tries
# (EMAIL_MAX_ATTEMPTS), as a 2-minute outage costs it two or three with the production settings.
TICK_SECONDS = 2
SENDING_LEASE_SECONDS = 15
URGENT_LEASE_SECONDS = 5
STACK_ENV = {
    "DISPATCH_INTERVAL_SECONDS": str(TICK_SECONDS),
    "EMAIL_SENDING_LEASE_SECONDS": str(SENDING_LEASE_SECONDS),
    "EMAIL_URGENT_LEASE_SECONDS": str(URGENT_LEASE_SECONDS),
    "EMAIL_RETRY_BASE_SECONDS": "1",
    "EMAIL_RETRY_CAP_SECONDS": "20",
    "LOG_LEVEL": "INFO",
    "PYTHONUNBUFFERED": "1",
}
SLOW_SECONDS = 1.0  # the slow mail server's time per message
SLOW_BUDGET_SECONDS = 5  # EMAIL_DELIVERY_BUDGET_SECONDS in the slow-server scenario
REFUSED = 3  # recipients the mail server refuses for good (550)
SETTLE_SECONDS = 3  # after the last message: room for a late duplicate to show up
# A severe report's alert e-mails are queued by the task enqueued on commit "within seconds" (README);
# the bench's target for the whole report-to-inbox path is a p95 under 2 s.
ALERT_QUEUED_LIMIT_SECONDS = 2.0


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 prompts a scenario, SMTP down 20 s")
    parser.add_argument("--prompts", type=int, default=None, help="due prompts per scenario (default 200, quick 40)")
    parser.add_argument(
        "--alerts",
        type=int,
        default=3,
        help="severe reports per scenario where alerts matter, each in its own clinic with two clinicians (default 3)",
    )
    parser.add_argument(
        "--smtp-down", type=float, default=None, help="seconds the SMTP server is down (default 120, quick 20)"
    )
    parser.add_argument("--timeout", type=float, default=180, help="seconds a scenario may take after its fault")
    parser.add_argument("--only", default="", help="comma-separated scenario keys: " + ",".join(SCENARIOS))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "faults-latest.json"))
    args = parser.parse_args()
    args.prompts = args.prompts or (40 if args.quick else 200)
    args.smtp_down = args.smtp_down if args.smtp_down is not None else (20.0 if args.quick else 120.0)
    args.only = [key for key in args.only.split(",") if key]
    if unknown := set(args.only) - set(SCENARIOS):
        parser.error(f"unknown scenario(s) {sorted(unknown)}; choose from {list(SCENARIOS)}")
    if args.prompts <= REFUSED:
        parser.error(f"--prompts must be more than {REFUSED}")
    return args


# --- Running a scenario --------------------------------------------------------------------------------


@dataclass
class Context:
    args: argparse.Namespace
    env: dict[str, str]
    log_root: Path
    redis: object


def wait_for(predicate: Callable[[], object], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


@contextmanager
def stack_for(ctx: Context, key: str, listener: Listener, **env: str) -> Iterator[Stack]:

    stack = Stack({**ctx.env, "EMAIL_URL": f"smtp://127.0.0.1:{listener.port}", **env}, ctx.log_root / key)
    try:
        yield stack
    finally:
        stack.stop()
        listener.down()


def finish(
    name: str, batch: Batch, listener: Listener, *, started: float, timeout: float, refused: Sequence[str] = ()
) -> Outcome:
    """Wait until every expected message is recorded (SENT; the refused ones FAILED) and received, then count."""

    expected = [a for a in batch.recipients if a not in refused]

    def done() -> bool:
        counts = email_counts(batch)
        arrived = {r.recipient.lower() for r in listener.received}
        return counts["sent"] >= len(expected) and counts["failed"] >= len(refused) and arrived >= set(expected)

    finished = wait_for(done, timeout, interval=0.25)
    seconds = time.time() - started
    time.sleep(SETTLE_SECONDS)
    counts = email_counts(batch)
    received = [(r.recipient, r.message_id) for r in listener.received]
    outcome = Outcome(name, tally(expected, received), sent_db=counts["sent"], seconds=seconds)
    outcome.duplicates = duplicates(received)
    if not finished:
        outcome.checks.append(Check(False, f"timed out after {timeout:.0f} s: {dict(counts)}"))
    if outcome.tally.unexpected:
        outcome.checks.append(Check(False, f"{outcome.tally.unexpected} copies to recipients who should get none"))
    return outcome


def _alert_wait(batch: Batch) -> Check:
    return alert_wait_check(alert_waits(batch), len(batch.alert_infusions), ALERT_QUEUED_LIMIT_SECONDS)


def _listener(delay: float = 0.0) -> Listener:
    listener = Listener().up()
    listener.delay_seconds = delay
    return listener


# --- The scenarios -------------------------------------------------------------------------------------


def kill_mid_send(ctx: Context) -> Outcome:
    """kill -9 of the worker (and its pool) while prompts and a severe alert are in flight; then a fresh worker."""
    from reactions.models import OutboundEmail

    batch = make_batch("kill", prompts=ctx.args.prompts, alerts=ctx.args.alerts)
    listener = _listener(delay=0.2)  # a slow server: the kill lands mid-batch
    alerts = OutboundEmail.objects.filter(clinic_id__in=batch.clinic_ids[1:])
    with stack_for(ctx, "kill", listener) as stack:
        started = time.time()
        doomed = stack.worker("doomed")
        stack.beat()
        wait_for(lambda: len(listener.received) >= len(batch.patients) // 5, ctx.args.timeout)
        raise_alerts(batch)
        alert_in_flight = wait_for(lambda: alerts.filter(status="sending").exists(), 30, interval=0.02)
        stack.kill(doomed)
        killed = time.time()
        held = email_counts(batch)["sending"]
        alerts_held = alerts.filter(status="sending").count()
        before = len(listener.received)
        listener.delay_seconds = 0
        stack.worker("fresh")
        outcome = finish("worker kill -9 mid-send", batch, listener, started=started, timeout=ctx.args.timeout)
    latency = latency_after([(r.recipient, r.at) for r in listener.received], batch.clinicians, killed)
    limit = URGENT_LEASE_SECONDS + 3 * TICK_SECONDS + 5  # the alerts' lease, a few ticks, a worker's start
    outcome.checks.append(
        Check(
            True,
            f"killed after {before} received, holding {held} claimed rows "
            f"({alerts_held} alerts{'' if alert_in_flight else ', none in flight'})",
        )
    )
    if latency is None:
        outcome.checks.append(Check(False, "an alert never arrived after the kill"))
    else:
        outcome.checks.append(Check(latency <= limit, f"every alert {latency:.1f} s after the kill (limit {limit} s)"))
    outcome.checks.append(_alert_wait(batch))
    return outcome


def redis_flush(ctx: Context) -> Outcome:
    """Severe-alert and dispatcher tasks queued with no worker running, FLUSHDB, then the stack starts."""
    from reactions.tasks import dispatch_due

    batch = make_batch("flush", prompts=ctx.args.prompts, alerts=ctx.args.alerts)
    listener = _listener()
    raise_alerts(batch)  # each report enqueues its alert task on commit: no worker takes it
    for _ in range(3):
        dispatch_due.delay()  # what beat ticks would have left
    queued = ctx.redis.llen("celery")
    ctx.redis.flushdb()
    left = ctx.redis.dbsize()
    with stack_for(ctx, "flush", listener) as stack:
        started = time.time()
        stack.worker("w1")
        stack.beat()
        outcome = finish("Redis FLUSHDB, tasks queued", batch, listener, started=started, timeout=ctx.args.timeout)
    outcome.checks.append(
        Check(
            queued >= len(batch.alert_infusions) + 3 and left == 0,
            f"{queued} tasks queued, {left} keys left after FLUSHDB",
        )
    )
    return outcome


def smtp_down(ctx: Context) -> Outcome:
    """The mail server stops listening (connection refused) for --smtp-down seconds, with the stack running."""
    from reactions.models import DeliveryAttempt

    down = ctx.args.smtp_down
    batch = make_batch("smtpdown", prompts=ctx.args.prompts, alerts=ctx.args.alerts)
    listener = _listener()
    listener.down()
    with stack_for(ctx, "smtp-down", listener) as stack:
        started = time.time()
        stack.worker("w1")
        stack.beat()
        raise_alerts(batch)
        time.sleep(max(0.0, down - (time.time() - started)))
        refused = DeliveryAttempt.objects.filter(email__clinic_id__in=batch.clinic_ids, succeeded=False).count()
        listener.up()
        back = time.time()
        outcome = finish(f"SMTP down {down:.0f} s", batch, listener, started=started, timeout=ctx.args.timeout)
    counts = email_counts(batch)
    after = max((r.at for r in listener.received), default=back) - back
    outcome.checks.append(_alert_wait(batch))
    outcome.checks.append(
        Check(
            counts["failed"] == 0,
            f"{refused} tries refused while down, {counts['failed']} given up; all in {after:.0f} s once back",
        )
    )
    return outcome


def pg_terminate(ctx: Context) -> Outcome:
    """pg_terminate_backend on the workers' database connections, three times, while they send."""

    batch = make_batch("pgterm", prompts=ctx.args.prompts, alerts=ctx.args.alerts)
    listener = _listener(delay=0.05)  # slow enough that each termination lands mid-send
    terminated = []
    with stack_for(ctx, "pg-terminate", listener) as stack:
        started = time.time()
        stack.worker("w1")
        stack.beat()
        raise_alerts(batch)
        for fraction in (0.25, 0.5, 0.75):
            target = fraction * len(batch.recipients)
            wait_for(lambda target=target: len(listener.received) >= target, ctx.args.timeout, interval=0.02)
            terminated.append(terminate_other_connections())
        outcome = finish("pg_terminate_backend ×3 mid-send", batch, listener, started=started, timeout=ctx.args.timeout)
    outcome.checks.append(_alert_wait(batch))
    retried = stack.worker_logs().count("retrying on a fresh connection")
    outcome.checks.append(
        Check(
            all(terminated),
            f"connections terminated: {'+'.join(map(str, terminated))}; "
            f"{retried} records retried on a fresh connection",
        )
    )
    return outcome


def two_workers(ctx: Context) -> Outcome:
    """Two workers (two processes each) and two beats: four dispatchers racing for the same rows."""
    from reactions.models import DeliveryAttempt

    batch = make_batch("two", prompts=ctx.args.prompts, alerts=ctx.args.alerts)
    listener = _listener(delay=0.02)  # passes that overlap for longer
    with stack_for(ctx, "two-workers", listener) as stack:
        started = time.time()
        stack.worker("w1")
        stack.worker("w2")
        stack.beat("beat-a")
        stack.beat("beat-b")
        raise_alerts(batch)
        outcome = finish("2 workers + 2 beats", batch, listener, started=started, timeout=ctx.args.timeout)
    recorded = DeliveryAttempt.objects.filter(email__clinic_id__in=batch.clinic_ids, succeeded=True).count()
    outcome.checks.append(Check(recorded == len(batch.recipients), f"{recorded} deliveries recorded"))
    outcome.checks.append(_alert_wait(batch))
    return outcome


def slow_smtp(ctx: Context) -> Outcome:
    """A mail server that takes 1 s a message, with a small EMAIL_DELIVERY_BUDGET_SECONDS."""

    batch = make_batch("slow", prompts=ctx.args.prompts, alerts=0)
    listener = _listener(delay=SLOW_SECONDS)
    timeout = ctx.args.timeout + len(batch.recipients) * SLOW_SECONDS / 2  # two processes send at once
    with stack_for(ctx, "slow", listener, EMAIL_DELIVERY_BUDGET_SECONDS=str(SLOW_BUDGET_SECONDS)) as stack:
        started = time.time()
        stack.worker("w1")
        stack.beat()
        outcome = finish(
            f"slow SMTP ({SLOW_SECONDS:g} s/message), budget {SLOW_BUDGET_SECONDS} s",
            batch,
            listener,
            started=started,
            timeout=timeout,
        )
        log = stack.worker_logs()
    errors = time_limit_errors(log)
    durations = task_durations(log)
    longest = max(durations, default=0.0)
    limit = SLOW_BUDGET_SECONDS + 2 * SLOW_SECONDS + 5  # the budget, the message in flight, the pass's bookkeeping
    outcome.checks.append(Check(errors == 0, f"{errors} time-limit errors in the worker log"))
    outcome.checks.append(
        Check(
            bool(durations) and longest <= limit,
            f"longest of {len(durations)} passes {longest:.1f} s (limit {limit:g} s)",
        )
    )
    return outcome


def refused_for_good(ctx: Context) -> Outcome:
    """The mail server refuses a few patients' addresses for good (550 at RCPT)."""
    from reactions.models import Flag, FollowUp, OutboundEmail

    batch = make_batch("refused", prompts=ctx.args.prompts, alerts=0)
    n = len(batch.patients)
    refused = [batch.patients[i] for i in sorted({0, n // 2, n - 1})][:REFUSED]
    listener = _listener()
    listener.reject_addresses = set(refused)
    with stack_for(ctx, "refused", listener) as stack:
        started = time.time()
        stack.worker("w1")
        stack.beat()
        outcome = finish(
            f"550 for {len(refused)} recipients",
            batch,
            listener,
            started=started,
            timeout=ctx.args.timeout,
            refused=refused,
        )
    failed = OutboundEmail.objects.filter(to_email__in=refused, status=OutboundEmail.Status.FAILED).count()
    undeliverable = FollowUp.objects.filter(patient__email__in=refused, status=FollowUp.Status.UNDELIVERABLE).count()
    flagged = (
        Flag.objects.filter(patient__email__in=refused, kind=Flag.Kind.UNREACHABLE)
        .exclude(status=Flag.Status.CLOSED)
        .count()
    )
    k = len(refused)
    outcome.checks.append(
        Check(
            failed == undeliverable == flagged == k,
            f"{failed}/{k} FAILED, {undeliverable}/{k} follow-ups undeliverable, {flagged}/{k} unreachable flags",
        )
    )
    return outcome


SCENARIOS = {
    "kill": kill_mid_send,
    "flush": redis_flush,
    "smtp-down": smtp_down,
    "pg-terminate": pg_terminate,
    "two-workers": two_workers,
    "slow": slow_smtp,
    "refused": refused_for_good,
}


# --- Main ----------------------------------------------------------------------------------------------


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    env.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _services(ctx: Context) -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgresql = cursor.fetchone()[0].split()[0]
    return {"postgresql": postgresql, "redis": ctx.redis.info("server")["redis_version"]}


def _redis_database(url: str) -> int:
    from redis.connection import parse_url

    return int(parse_url(url).get("db", 0))


def main() -> int:
    args = _args()
    env = _environment()
    if _redis_database(env["REDIS_URL"]) == 0:
        # The suite flushes its Redis database; 0 is where an app's broker and cache most likely live.
        sys.exit("Refusing to flush Redis database 0: point REDIS_URL at a database of the suite's own (default 6).")
    # This process only writes rows and enqueues tasks: its own log stays quiet (the app warns of each
    # severe report); the stack's processes log at INFO to their files.
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}, LOG_LEVEL="ERROR")
    sys.path.insert(0, str(ROOT))
    from bench.__main__ import _machine, _reset_database

    started = time.perf_counter()
    keys = args.only or list(SCENARIOS)
    print(
        f"ivigtrack delivery faults: {', '.join(keys)}; {args.prompts} prompts a scenario, SMTP down "
        f"{args.smtp_down:g} s"
    )
    _reset_database(env["DATABASE_URL"], prefix="faults")
    print(f"  database {env['DATABASE_URL']} (dropped and created), redis {env['REDIS_URL']} (flushed)")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    import redis

    ctx = Context(args, {**env, **STACK_ENV}, ROOT / "var" / "faults", redis.Redis.from_url(env["REDIS_URL"]))
    outcomes = []
    try:
        for key in keys:
            print(f"\n== {key}: {SCENARIOS[key].__doc__.splitlines()[0]}", flush=True)
            retire_leftovers()
            ctx.redis.flushdb()  # only REDIS_URL's database: tasks an earlier scenario left
            outcome = SCENARIOS[key](ctx)
            outcomes.append(outcome)
            print(format_table([outcome]).splitlines()[-1], flush=True)
    finally:
        ctx.redis.flushdb()

    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**_machine(), **_services(ctx)},
        "settings": {
            "prompts": args.prompts,
            "alerts": args.alerts,
            "alert_emails": 2 * args.alerts,
            "smtp_down_s": args.smtp_down,
            "quick": args.quick,
            "stack_env": STACK_ENV,
            "slow_s_per_message": SLOW_SECONDS,
            "slow_budget_s": SLOW_BUDGET_SECONDS,
        },
        "scenarios": [o.as_dict() for o in outcomes],
        "passed": all_passed(outcomes),
        "total_seconds": round(time.perf_counter() - started, 1),
        "logs": str(ctx.log_root),
    }
    print()
    print(format_table(outcomes))
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    failed = [o.scenario for o in outcomes if not o.passed]
    verdict = "PASSED" if results["passed"] else f"FAILED ({'; '.join(failed) or 'no scenario ran'})"
    print(f"\n{verdict}: written {out} in {results['total_seconds']:.0f} s; worker logs in {ctx.log_root}")
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
