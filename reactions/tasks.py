"""Celery tasks: thin wrappers that take ids and call the engine.

No task is ever scheduled hours ahead (no long countdown/ETA): what is due lives in the database and
the minute beat tick finds it. The engine is imported inside each task, so that nothing the tasks
call can import this module back; services enqueue tasks by name (reactions/jobs.py).

Every task is idempotent (every send is claimed in the database), so acks_late is safe: a worker
killed mid-task leaves the message to be redelivered, and nothing is sent twice.
"""

from __future__ import annotations

from celery import shared_task

# A backlog larger than this (after an outage, a busy morning) gets a second worker process.
BACKLOG_HELP_THRESHOLD = 2000


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_flag_alert(flag_id: int) -> dict[str, int]:
    """Urgent: a severe event's first alert to the clinic's clinicians, within seconds."""
    from reactions.engine import dispatcher

    result = dispatcher.flag_alert_now(flag_id=flag_id)
    return {"sent": result.sent, "retrying": result.retrying}


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_emails(email_ids: list[int]) -> dict[str, int]:
    """These queued e-mails, now (an invitation, a set-up link) rather than at the next tick."""
    from reactions.engine import delivery

    result = delivery.email_deliver(email_ids=email_ids)
    return {"sent": result.sent, "retrying": result.retrying}


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def dispatch_due(helper: bool = False) -> dict[str, int]:
    """The minute tick: everything due, claimed once, sent, recorded.

    With a large backlog the tick asks for one helper: both claim rows with SKIP LOCKED, so
    they share the work and nothing is sent twice.
    """
    from reactions.engine import dispatcher

    if not helper and dispatcher.followups_due_count(limit=BACKLOG_HELP_THRESHOLD) >= BACKLOG_HELP_THRESHOLD:
        dispatch_due.delay(helper=True)
    return dispatcher.dispatch_tick().as_dict()
