"""Outbox delivery: claim due rows with a lease, send each on its channel, record each result.

E-mail goes over one SMTP connection per pass; SMS (and any other channel) through its sender module
(reactions.channels.registry). Every channel shares the claim, the lease, the backoff and the record."""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from smtplib import (
    SMTPConnectError,
    SMTPException,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPServerDisconnected,
)
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import (
    Case,
    F,
    IntegerField,
    Value,
    When,
)
from django.utils import timezone

from reactions.channels import Channel, ChannelPermanentError, ChannelTemporaryError, sender_for
from reactions.domain import schedule
from reactions.engine.undeliverable import email_undeliverable
from reactions.models import (
    DeliveryAttempt,
    FollowUp,
    OutboundEmail,
)
from reactions.services.outbox import URGENT_KINDS

logger = logging.getLogger(__name__)


@dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    recovered: int = 0

    def __iadd__(self, other: DeliveryResult) -> DeliveryResult:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.recovered += other.recovered
        return self


# Rows are claimed a few at a time (one locking SELECT, one UPDATE), then sent one by one over one
# connection: a worker that dies holds no more than this many rows, each only until its lease ends.
CLAIM_CHUNK = 10


def email_lease(kind: str) -> timedelta:
    """How long a claimed message may stay SENDING before another worker may take it back.

    Short for alerts to clinicians, so that a dead worker delays a severe event by about a minute;
    longer for the rest, so that a slow mail server never makes a live send look abandoned.
    """
    seconds = settings.EMAIL_URGENT_LEASE_SECONDS if kind in URGENT_KINDS else settings.EMAIL_SENDING_LEASE_SECONDS
    return timedelta(seconds=seconds)


def email_deliver(
    *,
    email_ids: Iterable[int] | None = None,
    now: datetime | None = None,
    limit: int = 500,
    deadline: datetime | None = None,
    urgent_arrivals: Callable[[], list[int]] | None = None,
) -> DeliveryResult:
    """Deliver due pending e-mails (or just these ones), each claimed by one worker only.

    The claim is a conditional UPDATE (pending -> sending): of two workers racing for a row,
    exactly one gets it. A row becomes SENT only after the mail server accepted it. Nothing is
    started after ``deadline`` (default: EMAIL_DELIVERY_BUDGET_SECONDS from now), and a claimed row
    not tried by then is given back at once, so a call never outlives its Celery time limit.

    ``urgent_arrivals``, asked before each chunk, names e-mails that became due since the call began
    (alerts about a severe event reported meanwhile): they go before the rest, so a long pass of
    prompts never holds an alert back by more than one chunk.
    """
    now = now or timezone.now()
    deadline = deadline or timezone.now() + timedelta(seconds=settings.EMAIL_DELIVERY_BUDGET_SECONDS)
    result = DeliveryResult(recovered=_email_recover_abandoned(now=now))
    due = OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING, due_at__lte=now)
    if email_ids is not None:
        due = due.filter(pk__in=list(email_ids))
    candidates = deque(
        due.annotate(
            urgent=Case(When(kind__in=URGENT_KINDS, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("urgent", "due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not candidates:
        return result
    connection = get_connection(fail_silently=False)
    down: set[str] = set()  # channels whose provider could not be reached in this call
    try:
        while timezone.now() < deadline:
            if urgent_arrivals is not None:
                candidates.extendleft(reversed(urgent_arrivals()))
            if not candidates:
                break
            chunk = [candidates.popleft() for _ in range(min(CLAIM_CHUNK, len(candidates)))]
            claimed_at = timezone.now()
            emails = _email_claim(chunk, now=now, claimed_at=claimed_at)
            for i, email in enumerate(emails):
                if timezone.now() >= deadline or (i and timezone.now() - claimed_at > email_lease(email.kind) / 3):
                    # Out of time, or a slow mail server: give the rest back long before its lease runs out,
                    # so that no other worker ever recovers (and sends) a row this one still holds.
                    _email_release([e.pk for e in emails[i:]], claimed_at=claimed_at)
                    candidates.extendleft(reversed([e.pk for e in emails[i:]]))
                    break
                if email.channel in down:
                    _email_release([email.pk], claimed_at=claimed_at)  # untried: for the next tick
                    continue
                if email.channel == Channel.EMAIL:
                    outcome = _email_send_one(email=email, connection=connection, started_at=claimed_at)
                else:
                    outcome = _channel_send_one(message=email, started_at=claimed_at)
                if outcome == "sent":
                    result.sent += 1
                    # Recorded before the next message goes: a worker killed between the server's
                    # acceptance and this record leaves only this one message to be sent a second time
                    # (with the same Message-ID: it stays SENDING, and the lease recovery sends it again).
                    _email_record_sent(email, started_at=claimed_at, finished_at=timezone.now())
                elif outcome == "failed":
                    result.failed += 1
                    # Who else must hear, at once (a bounced alert goes to the clinic's other staff).
                    candidates.extendleft(email_undeliverable(email=email))
                else:
                    result.retrying += 1
                    if outcome == "channel_down":
                        down.add(email.channel)
                    if outcome == "server_down":
                        # The mail server is unreachable: give back the rest untried (texts too), for the next tick.
                        _email_release([e.pk for e in emails[i + 1 :]], claimed_at=claimed_at)
                        return result
    finally:
        try:
            connection.close()
        except Exception:
            logger.debug("closing the SMTP connection failed", exc_info=True)
    return result


def _email_claim(pks: list[int], *, now: datetime, claimed_at: datetime) -> list[OutboundEmail]:
    """Claim these PENDING rows (pending -> sending) with a lease each: of two racing workers, one gets a row."""
    # Due by the caller's clock, or by now: an alert forwarded during this call is due at once.
    claimable = OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING, due_at__lte=max(now, claimed_at))
    lease_until = Case(
        When(kind__in=URGENT_KINDS, then=Value(claimed_at + email_lease(OutboundEmail.Kind.SEVERE_ALERT))),
        default=Value(claimed_at + email_lease(OutboundEmail.Kind.FOLLOWUP_PROMPT)),
    )
    with transaction.atomic():
        if connection_supports_row_locks():
            # Lock first, then update what is locked: the rows this worker claimed are exactly these.
            mine = list(claimable.filter(pk__in=pks).select_for_update(skip_locked=True).values_list("pk", flat=True))
        else:  # SQLite: the write transaction is exclusive, so what is still pending here is this worker's
            mine = list(claimable.filter(pk__in=pks).values_list("pk", flat=True))
        OutboundEmail.objects.filter(pk__in=mine).update(
            status=OutboundEmail.Status.SENDING,
            claimed_at=claimed_at,
            attempts=F("attempts") + 1,
            lease_until=lease_until,
        )
    order = {pk: i for i, pk in enumerate(pks)}
    return sorted(OutboundEmail.objects.filter(pk__in=mine), key=lambda e: order[e.pk])


def _email_release(pks: list[int], *, claimed_at: datetime) -> None:
    """Give back rows this worker claimed (at claimed_at) but never tried: the attempt did not happen."""
    if pks:
        OutboundEmail.objects.filter(pk__in=pks, status=OutboundEmail.Status.SENDING, claimed_at=claimed_at).update(
            status=OutboundEmail.Status.PENDING, claimed_at=None, lease_until=None, attempts=F("attempts") - 1
        )


def connection_supports_row_locks() -> bool:
    from django.db import connection

    return connection.features.has_select_for_update_skip_locked


def _email_send_one(*, email: OutboundEmail, connection: Any, started_at: datetime) -> str:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_email],
        connection=connection,
        headers={"Message-ID": email.message_id},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    try:
        if getattr(connection, "connection", False) is None:  # an SMTP backend, not yet connected
            # Opened here, not by send(): Django closes a connection that send() opened,
            # and one connection should carry the whole batch.
            connection.open()
        message.send()
    except (SMTPException, OSError) as error:
        permanent = _record_failure(email, started_at=started_at, error=error, refused=_is_permanent(error))
        with contextlib.suppress(Exception):
            connection.close()  # start the next message on a fresh connection
        if permanent:
            return "failed"
        return "server_down" if isinstance(error, OSError | SMTPServerDisconnected | SMTPConnectError) else "retrying"
    return "sent"


def _channel_send_one(*, message: OutboundEmail, started_at: datetime) -> str:
    """Send one SMS (or other non-e-mail) row through its channel's sender.

    "sent", "failed", "retrying", or "channel_down" (retrying, and the provider is unreachable)."""
    try:
        # Kept with the row (recorded with SENT): the provider's delivery receipts name the message by it.
        message.provider_id = sender_for(message.channel).send(message)[:64]
    except (ChannelTemporaryError, ChannelPermanentError) as error:
        if _record_failure(
            message, started_at=started_at, error=error, refused=isinstance(error, ChannelPermanentError)
        ):
            return "failed"
        return "channel_down" if getattr(error, "unreachable", False) else "retrying"
    except Exception as error:
        # A sender's own fault (a bad SMS_URL, a bug): retried like an outage, so that the row is not left
        # SENDING, and given up after EMAIL_MAX_ATTEMPTS, when the patient gets the e-mail copy instead.
        logger.exception("%s sender failed on message %s", message.channel, message.pk)
        failed = _record_failure(message, started_at=started_at, error=error, refused=False)
        return "failed" if failed else "retrying"
    return "sent"


def _record_failure(message: OutboundEmail, *, started_at: datetime, error: Exception, refused: bool) -> bool:
    """Record a failed try: its attempt, and the row back to PENDING with backoff, or FAILED. Whether FAILED.

    Tried often enough, a message the provider keeps refusing is treated as refused for good.
    """
    permanent = refused or message.attempts >= settings.EMAIL_MAX_ATTEMPTS
    finished = timezone.now()
    retry_at = finished + schedule.retry_backoff(
        message.attempts, base_seconds=settings.EMAIL_RETRY_BASE_SECONDS, cap_seconds=settings.EMAIL_RETRY_CAP_SECONDS
    )
    own = isinstance(error, ChannelTemporaryError | ChannelPermanentError)  # already worded by the sender
    error_text = (str(error) if own else repr(error))[:2000]
    if permanent and not refused:
        error_text = f"gave up after {message.attempts} attempts: {error_text}"[:2000]
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            email=message, started_at=started_at, finished_at=finished, succeeded=False, error=error_text
        )
        OutboundEmail.objects.filter(pk=message.pk, status=OutboundEmail.Status.SENDING).update(
            status=OutboundEmail.Status.FAILED if permanent else OutboundEmail.Status.PENDING,
            due_at=retry_at,
            claimed_at=None,
            lease_until=None,
            last_error=error_text,
        )
    message.last_error = error_text
    level = logging.ERROR if (permanent or message.kind in URGENT_KINDS or message.attempts >= 3) else logging.WARNING
    logger.log(
        level,
        "%s %s (%s) attempt %s failed%s: %s",
        message.get_channel_display(),
        message.pk,
        message.kind,
        message.attempts,
        " permanently" if permanent else f", retry at {retry_at:%H:%M:%S}",
        error_text,
    )
    return permanent


# Which follow-up time a delivered e-mail sets: the prompt's, or its reminder's.
_FOLLOWUP_TIME_FIELD = {
    OutboundEmail.Kind.FOLLOWUP_PROMPT: "sent_at",
    OutboundEmail.Kind.PRE_INFUSION: "sent_at",
    OutboundEmail.Kind.FOLLOWUP_REMINDER: "reminder_sent_at",
}


# Tries at recording a delivery before giving up (the lease then has it resent, with its Message-ID).
RECORD_ATTEMPTS = 4


def _email_record_sent(email: OutboundEmail, *, started_at: datetime, finished_at: datetime) -> None:
    """Record that the mail server accepted this message: SENT, its attempt, its follow-up's time.

    All or nothing, and again on a fresh database connection if the first one drops: the message is
    out, and a record lost to a blip would have the lease send it a second time.
    """
    followup_field = _FOLLOWUP_TIME_FIELD.get(email.kind) if email.followup_id else None

    def record() -> None:
        with transaction.atomic():
            # Conditional, so that a retry after a commit whose answer was lost records nothing twice.
            if not OutboundEmail.objects.filter(pk=email.pk, status=OutboundEmail.Status.SENDING).update(
                status=OutboundEmail.Status.SENT,
                sent_at=finished_at,
                claimed_at=None,
                lease_until=None,
                last_error="",
                provider_id=email.provider_id,
            ):
                return
            DeliveryAttempt.objects.create(email=email, started_at=started_at, finished_at=finished_at, succeeded=True)
            if followup_field:
                FollowUp.objects.filter(pk=email.followup_id, **{f"{followup_field}__isnull": True}).update(
                    **{followup_field: finished_at}
                )

    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            record()
            return
        except (OperationalError, InterfaceError):
            if db_connection.in_atomic_block or attempt == RECORD_ATTEMPTS:
                raise  # inside a caller's transaction a fresh connection would lose its work: let it fail
            logger.warning(
                "Recording e-mail %s as sent failed (attempt %s); retrying on a fresh connection",
                email.pk,
                attempt,
                exc_info=True,
            )
            db_connection.close()
            time.sleep(0.2 * 2**attempt)


def _is_permanent(error: Exception) -> bool:
    """5xx answers mean the server will never take this message; everything else is worth retrying."""
    if isinstance(error, SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, SMTPResponseException):
        return error.smtp_code >= 500
    return False


def _email_recover_abandoned(*, now: datetime) -> int:
    """Put back rows a dead worker left in SENDING past their lease, recording the lost attempt.

    A live worker gives back what it has not tried after a third of the lease (email_deliver), so a
    row past its lease was left by a worker that died mid-send (or lost its database).
    """
    stale = list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING, lease_until__lt=now).values_list(
            "pk", "claimed_at"
        )
    )
    recovered = 0
    for pk, claimed_at in stale:
        with transaction.atomic():
            if OutboundEmail.objects.filter(pk=pk, status=OutboundEmail.Status.SENDING, claimed_at=claimed_at).update(
                status=OutboundEmail.Status.PENDING,
                claimed_at=None,
                lease_until=None,
                due_at=now,
                last_error="worker stopped mid-send",
            ):
                DeliveryAttempt.objects.create(
                    email_id=pk,
                    started_at=claimed_at,
                    finished_at=now,
                    succeeded=False,
                    error="worker stopped mid-send",
                )
                recovered += 1
    if recovered:
        logger.warning("Recovered %s e-mails abandoned mid-send", recovered)
    return recovered
