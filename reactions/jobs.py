"""Work handed to Celery when the transaction that causes it commits.

By task name, so that services never import the tasks module (which calls back into the engine). A
broker that cannot be reached never fails the request that enqueued: the work is a due row in the
database, and the next dispatcher tick does it.
"""

from __future__ import annotations

import logging
from functools import partial

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

SEND_FLAG_ALERT = "reactions.tasks.send_flag_alert"
DELIVER_EMAILS = "reactions.tasks.deliver_emails"


def enqueue_on_commit(task_name: str, *args: object) -> None:
    transaction.on_commit(partial(_send, task_name, args))


def _send(task_name: str, args: tuple[object, ...]) -> None:
    try:
        current_app.send_task(task_name, args=args)
    except Exception:
        logger.exception("Could not enqueue %s%r; the next dispatcher tick will do it", task_name, args)
