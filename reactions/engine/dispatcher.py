"""The dispatcher: what is due, claimed once, turned into messages (e-mail, SMS), delivered."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import (
    F,
    Q,
)
from django.urls import reverse
from django.utils import timezone

from reactions.domain import schedule
from reactions.engine.delivery import DeliveryResult, email_deliver
from reactions.models import (
    Clinic,
    DigestRun,
    Flag,
    FollowUp,
    Heartbeat,
    Infusion,
    OutboundEmail,
    User,
)
from reactions.selectors import plans
from reactions.selectors.caregivers import prompt_recipients_prefetch
from reactions.selectors.clinic import clinic_open_items
from reactions.services.messages import messages_build, messages_queue
from reactions.services.outbox import email_queue

logger = logging.getLogger(__name__)


def followups_queue_due(*, now: datetime, limit: int = 1000, batch: int = 250) -> int:
    """Turn due follow-ups (prompts and day-before check-ins) into messages, each exactly once per recipient
    and channel.

    Works through at most `limit` due rows, oldest first, `batch` at a time: each batch is
    claimed (rows locked, SKIP LOCKED on PostgreSQL, so two dispatchers share the work) and its
    e-mails inserted in one transaction. Rows in their patient's quiet hours stay scheduled.
    """
    queued = examined = 0
    after: tuple[datetime, int] | None = None  # keyset cursor: rows left for the morning are passed over
    while examined < limit:
        with transaction.atomic():
            due = FollowUp.objects.filter(status=FollowUp.Status.SCHEDULED, due_at__lte=now)
            if after is not None:
                due = due.filter(Q(due_at__gt=after[0]) | Q(due_at=after[0], pk__gt=after[1]))
            rows = list(
                due.select_related("infusion", "patient__clinic")
                .prefetch_related(prompt_recipients_prefetch())
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("due_at", "pk")[: min(batch, limit - examined)]
            )
            if not rows:
                break
            examined += len(rows)
            after = (rows[-1].due_at, rows[-1].pk)
            queued += _followups_claim_and_queue(rows, now=now)
    return queued


def followups_due_count(*, limit: int) -> int:
    """How many follow-ups are due now, counted up to `limit` (an indexed, bounded count)."""
    return FollowUp.objects.filter(status=FollowUp.Status.SCHEDULED, due_at__lte=timezone.now())[:limit].count()


def _followups_claim_and_queue(rows: list[FollowUp], *, now: datetime) -> int:
    """Claim locked SCHEDULED rows and queue their e-mails; call inside the transaction that locked them."""
    by_status: dict[str, list[FollowUp]] = {}
    holds = plans.reminder_holds(infusion_ids=[f.infusion_id for f in rows if f.kind == FollowUp.Kind.PRE_INFUSION])
    for followup in rows:
        patient, clinic = followup.patient, followup.patient.clinic
        if schedule.in_quiet_hours(now, patient.tzinfo, clinic.quiet_hours_start, clinic.quiet_hours_end):
            continue  # caught up late at night: wait for the morning
        is_prompt = followup.kind == FollowUp.Kind.PROMPT
        if not patient.is_active or not patient.followups_allowed(now):
            new_status = FollowUp.Status.SKIPPED
        elif not is_prompt and (
            followup.infusion.status != Infusion.Status.PLANNED
            or followup.infusion.started_at <= now
            or followup.infusion_id in holds.stopped
        ):
            new_status = FollowUp.Status.CANCELLED
        elif not is_prompt and followup.infusion_id in holds.plan_needed:
            # After a severe event the patient is not told "see you tomorrow" before a clinician has decided:
            # the reminder stays due, and goes out at the first pass after a plan is recorded.
            continue
        else:
            new_status = FollowUp.Status.PROMPTED if is_prompt else FollowUp.Status.DONE
        by_status.setdefault(new_status, []).append(followup)
    emails = []
    for new_status, group in by_status.items():
        # The conditional update is the claim: of two dispatchers, one wins. The rows are locked
        # (or, on SQLite, the write transaction is exclusive), so it claims the whole group;
        # anything else is a bug, and rolling the batch back is the safe answer.
        claimed = FollowUp.objects.filter(pk__in=[f.pk for f in group], status=FollowUp.Status.SCHEDULED).update(
            status=new_status, prompted_at=now, closed_at=None if new_status == FollowUp.Status.PROMPTED else now
        )
        if claimed != len(group):
            raise IntegrityError(f"claimed {claimed} of {len(group)} locked follow-ups")
        if new_status not in (FollowUp.Status.PROMPTED, FollowUp.Status.DONE):
            continue
        for followup in group:
            kind = (
                OutboundEmail.Kind.FOLLOWUP_PROMPT
                if followup.kind == FollowUp.Kind.PROMPT
                else OutboundEmail.Kind.PRE_INFUSION
            )
            # One row per channel the patient chose, all of this follow-up.
            emails += messages_build(kind=kind, followup=followup)
    OutboundEmail.objects.bulk_create(emails)
    return len(emails)


def followups_queue_reminders(*, now: datetime) -> int:
    """One reminder for a prompt still unanswered after the clinic's delay."""
    queued = 0
    for clinic in Clinic.objects.all():
        threshold = now - timedelta(hours=clinic.prompt_reminder_after_hours)
        due = (
            FollowUp.objects.filter(
                status=FollowUp.Status.PROMPTED,
                kind=FollowUp.Kind.PROMPT,
                sent_at__lte=threshold,
                patient__clinic=clinic,
            )
            .select_related("infusion", "patient__clinic")
            .prefetch_related(prompt_recipients_prefetch())
        )
        for followup in due:
            patient = followup.patient
            if schedule.in_quiet_hours(now, patient.tzinfo, clinic.quiet_hours_start, clinic.quiet_hours_end):
                continue
            with transaction.atomic():
                skip = not patient.is_active or not patient.followups_allowed(now)
                if not FollowUp.objects.filter(pk=followup.pk, status=FollowUp.Status.PROMPTED).update(
                    status=FollowUp.Status.REMINDED,
                    reminded_at=now,
                    # With e-mails paused, no reminder goes out, and the no-response clock starts now.
                    reminder_sent_at=now if skip else None,
                ):
                    continue
                if skip:
                    continue
                queued += len(messages_queue(kind=OutboundEmail.Kind.FOLLOWUP_REMINDER, followup=followup))
    return queued


def followups_mark_no_response(*, now: datetime) -> int:
    """A prompt still unanswered a reminder-delay after its reminder becomes a "no response" flag."""
    marked = 0
    for clinic in Clinic.objects.all():
        threshold = now - timedelta(hours=clinic.prompt_reminder_after_hours)
        due = FollowUp.objects.filter(
            status=FollowUp.Status.REMINDED, reminder_sent_at__lte=threshold, patient__clinic=clinic
        ).values_list("pk", "patient_id")
        for pk, patient_id in due:
            with transaction.atomic():
                if FollowUp.objects.filter(pk=pk, status=FollowUp.Status.REMINDED).update(
                    status=FollowUp.Status.NO_RESPONSE, closed_at=now
                ):
                    Flag.objects.create(
                        clinic=clinic, patient_id=patient_id, followup_id=pk, kind=Flag.Kind.NO_RESPONSE, created_at=now
                    )
                    marked += 1
    return marked


def flags_queue_alerts(*, now: datetime, flag_ids: Iterable[int] | None = None) -> list[int]:
    """Alert a clinic's clinicians about each severe event that is due; escalate while unacknowledged.

    Returns the ids of the queued e-mails. The claim compares alerts_sent, so an alert
    round is queued once however many dispatchers run.
    """
    email_ids: list[int] = []
    due = Flag.objects.filter(
        status=Flag.Status.OPEN, kind=Flag.Kind.SEVERE_EVENT, next_alert_at__lte=now
    ).select_related("clinic", "patient")
    if flag_ids is not None:
        due = due.filter(pk__in=list(flag_ids))
    for flag in due:
        clinic = flag.clinic
        escalation = flag.alerts_sent >= 1
        wait = clinic.escalation_repeat_minutes if escalation else clinic.escalation_after_minutes
        with transaction.atomic():
            if not Flag.objects.filter(pk=flag.pk, status=Flag.Status.OPEN, alerts_sent=flag.alerts_sent).update(
                alerts_sent=F("alerts_sent") + 1, next_alert_at=now + timedelta(minutes=wait)
            ):
                continue
            roles = [User.Role.CLINICIAN, User.Role.CLINIC_ADMIN] if escalation else [User.Role.CLINICIAN]
            recipients = list(User.objects.filter(clinic=clinic, role__in=roles, is_active=True).order_by("pk"))
            if not recipients:
                logger.error("Severe event %s: clinic %s has no active clinician to alert", flag.pk, clinic.pk)
            url = settings.SITE_URL + reverse("flag_detail", args=[flag.pk])
            for recipient in recipients:
                email = email_queue(
                    kind=OutboundEmail.Kind.ESCALATION if escalation else OutboundEmail.Kind.SEVERE_ALERT,
                    template="severe-alert",
                    to_user=recipient,
                    context={
                        "flag": flag,
                        "patient": flag.patient,
                        "clinic": clinic,
                        "url": url,
                        "escalation": escalation,
                        "round": flag.alerts_sent + 1,
                    },
                    flag=flag,
                    clinic=clinic,
                )
                email_ids.append(email.pk)
    return email_ids


def digests_queue(*, now: datetime) -> int:
    """Each clinic's daily reminder, once per local day, only when there is something to do."""
    queued = 0
    for clinic in Clinic.objects.all():
        local_date, due = schedule.daily_time_passed(now=now, tz=clinic.tzinfo, at=clinic.daily_reminder_at)
        if not due or DigestRun.objects.filter(clinic=clinic, local_date=local_date).exists():
            continue
        try:
            with transaction.atomic():
                run = DigestRun.objects.create(clinic=clinic, local_date=local_date, created_at=now)
                items = clinic_open_items(clinic=clinic, now=now)
                if items.total == 0:
                    continue  # nothing to do: no e-mail
                clinicians = User.objects.filter(clinic=clinic, role=User.Role.CLINICIAN, is_active=True)
                for clinician in clinicians:
                    email_queue(
                        kind=OutboundEmail.Kind.DAILY_DIGEST,
                        template="daily-digest",
                        to_user=clinician,
                        context={
                            "clinic": clinic,
                            "items": items,
                            "local_date": local_date,
                            "url": settings.SITE_URL + reverse("clinic_flags"),
                        },
                        clinic=clinic,
                    )
                    run.emails_queued += 1
                    queued += 1
                run.save(update_fields=["emails_queued"])
        except IntegrityError:
            continue  # another dispatcher created today's run first
    return queued


@dataclass
class DispatchResult:
    prompts_queued: int = 0
    reminders_queued: int = 0
    no_response: int = 0
    alerts_queued: int = 0
    digests_queued: int = 0
    delivery: DeliveryResult = field(default_factory=DeliveryResult)

    def as_dict(self) -> dict[str, int]:
        return {
            "prompts_queued": self.prompts_queued,
            "reminders_queued": self.reminders_queued,
            "no_response": self.no_response,
            "alerts_queued": self.alerts_queued,
            "digests_queued": self.digests_queued,
            "sent": self.delivery.sent,
            "retrying": self.delivery.retrying,
            "failed": self.delivery.failed,
            "recovered": self.delivery.recovered,
        }


def dispatch_due(*, now: datetime | None = None, deliver_for_seconds: float | None = None) -> DispatchResult:
    """One dispatcher pass: find what is due, queue its e-mails, deliver pending e-mails.

    Safe to run any number of times, by any number of workers at once. Delivery stops starting new
    messages after ``deliver_for_seconds`` (EMAIL_DELIVERY_BUDGET_SECONDS), well inside Celery's limits.
    """
    now = now or timezone.now()
    result = DispatchResult(
        alerts_queued=len(flags_queue_alerts(now=now)),  # urgent first
        prompts_queued=followups_queue_due(now=now),
        reminders_queued=followups_queue_reminders(now=now),
        no_response=followups_mark_no_response(now=now),
        digests_queued=digests_queue(now=now),
    )
    budget = settings.EMAIL_DELIVERY_BUDGET_SECONDS if deliver_for_seconds is None else deliver_for_seconds
    deadline = timezone.now() + timedelta(seconds=budget)
    more_due = result.prompts_queued > 0
    while True:
        # A severe event reported during this pass is alerted before the rest of its prompts.
        batch = email_deliver(now=timezone.now(), deadline=deadline, urgent_arrivals=_alerts_due_now)
        result.delivery += batch
        if timezone.now() >= deadline:
            break
        if batch.retrying and not batch.sent:
            break  # the mail server is failing: back off until the next tick
        if more_due:
            # A large backlog (after an outage, or a busy morning): keep queueing and delivering
            # in this tick rather than 1,000 prompts a minute.
            queued = followups_queue_due(now=now)
            result.prompts_queued += queued
            more_due = queued > 0
        elif batch.sent + batch.retrying + batch.failed == 0:
            break
    return result


def _alerts_due_now() -> list[int]:
    return flags_queue_alerts(now=timezone.now())


DISPATCHER = "dispatcher"


def dispatch_tick() -> DispatchResult:
    """The minute tick: one dispatcher pass, with a heartbeat row before and after it for /health/, and,
    when DISPATCH_HEARTBEAT_URL is set, a request to it after each pass (a dead man's switch elsewhere)."""
    started = timezone.now()
    Heartbeat.objects.update_or_create(name=DISPATCHER, defaults={"started_at": started, "finished_at": None})
    result = dispatch_due(now=started)
    Heartbeat.objects.filter(name=DISPATCHER, started_at=started).update(
        finished_at=timezone.now(), result=result.as_dict()
    )
    heartbeat_ping()
    return result


def heartbeat_ping() -> bool:
    """Tell an outside monitor (healthchecks.io style) that a pass ran; whether it answered 2xx."""
    url = settings.DISPATCH_HEARTBEAT_URL
    if not url:
        return False
    try:
        # The operator's own URL (http or https), not user input.
        with urllib.request.urlopen(url, timeout=settings.DISPATCH_HEARTBEAT_TIMEOUT) as response:  # nosec B310
            return 200 <= response.status < 300
    except (OSError, ValueError) as error:
        logger.warning("Dispatcher heartbeat to %s failed: %r", url, error)
        return False


def flag_alert_now(*, flag_id: int) -> DeliveryResult:
    """Queue and deliver a severe event's first alert straight away (called by the urgent task)."""
    email_ids = flags_queue_alerts(now=timezone.now(), flag_ids=[flag_id])
    if not email_ids:
        return DeliveryResult()
    return email_deliver(email_ids=email_ids)
