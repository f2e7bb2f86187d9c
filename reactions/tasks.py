"""Celery tasks: thin wrappers that take ids and call services.

No task is ever scheduled hours ahead (no long countdown/ETA): what is due lives in the
database and the minute beat tick finds it (DESIGN.md §3).
"""
from __future__ import annotations

import logging
from functools import partial
from typing import Any

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import transaction

from . import services

logger = logging.getLogger(__name__)


class EnqueueSafelyTask(DjangoTask):
    """delay_on_commit that never fails the request that caused it.

    If the broker is unreachable when the transaction commits, the work is still a due
    row in the database and the next beat tick sends it; the patient's report is saved.
    """

    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:
        transaction.on_commit(partial(self._delay_or_log, *args, **kwargs))

    def _delay_or_log(self, *args: Any, **kwargs: Any) -> None:
        try:
            self.delay(*args, **kwargs)
        except Exception:  # noqa: BLE001 - any broker failure: the sweep is the safety net
            logger.exception("Could not enqueue %s%r; the next dispatcher tick will do it", self.name, args)


# Both tasks are idempotent (every send is claimed in the database), so acks_late is safe:
# a worker killed mid-task leaves the message to be redelivered, and nothing is sent twice.
@shared_task(base=EnqueueSafelyTask, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_flag_alert(flag_id: int) -> dict[str, int]:
    """Urgent: a severe event's first alert to the clinic's clinicians, within seconds."""
    result = services.flag_alert_now(flag_id=flag_id)
    return {"sent": result.sent, "retrying": result.retrying}


# A backlog larger than this (after an outage, a busy morning) gets a second worker process.
BACKLOG_HELP_THRESHOLD = 2000


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def dispatch_due(helper: bool = False) -> dict[str, int]:
    """The minute tick: everything due, claimed once, sent, recorded.

    With a large backlog the tick asks for one helper: both claim rows with SKIP LOCKED, so
    they share the work and nothing is sent twice.
    """
    if not helper and services.followups_due_count(limit=BACKLOG_HELP_THRESHOLD) >= BACKLOG_HELP_THRESHOLD:
        dispatch_due.delay(helper=True)
    return services.dispatch_tick().as_dict()
