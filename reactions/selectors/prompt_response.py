"""How patients answer the follow-up prompts, per clinic and per prompt offset.

Patients' response to prompts (the clinicians' response to flags is selectors/response_times.py). A prompt
counts from the moment it was sent; prompts never sent (e-mails paused, cancelled, not yet due) are not
counted. An answer in the app (a report about the infusion) answers the open prompts as "reported".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from reactions.domain import dates
from reactions.domain.percentiles import DurationSummary, summarise
from reactions.models import Clinic, FollowUp

PROMPT_RESPONSE_DEFAULT_DAYS = 30

SENT_STATUSES = (
    FollowUp.Status.PROMPTED,
    FollowUp.Status.REMINDED,
    FollowUp.Status.ANSWERED,
    FollowUp.Status.NO_RESPONSE,
    FollowUp.Status.UNDELIVERABLE,
)
AWAITING_STATUSES = (FollowUp.Status.PROMPTED, FollowUp.Status.REMINDED)


@dataclass(frozen=True)
class OffsetResponse:
    """The prompts at one offset (None: all offsets together) sent in the period."""

    offset_hours: int | None
    sent: int
    answered: int
    no_symptoms: int
    reported: int
    no_response: int  # unanswered after the reminder: a "no response" flag was raised
    awaiting: int  # sent, not answered yet, still inside the reminder's time
    undeliverable: int
    time_to_answer: DurationSummary

    @property
    def answered_percent(self) -> float | None:
        return None if not self.sent else 100 * self.answered / self.sent


@dataclass(frozen=True)
class PromptResponse:
    date_from: date
    date_to: date
    offsets: list[OffsetResponse]
    total: OffsetResponse


def default_period(*, clinic: Clinic, now: datetime | None = None) -> tuple[date, date]:
    """The last 30 days, today included, in the clinic's time zone."""
    today = timezone.localtime(now or timezone.now(), clinic.tzinfo).date()
    return today - timedelta(days=PROMPT_RESPONSE_DEFAULT_DAYS - 1), today


def _summarise(offset: int | None, rows: list[tuple]) -> OffsetResponse:
    statuses = [status for _offset, status, _answer, _sent, _answered in rows]
    answers = [answer for _offset, status, answer, _sent, _answered in rows if status == FollowUp.Status.ANSWERED]
    return OffsetResponse(
        offset_hours=offset,
        sent=len(rows),
        answered=len(answers),
        no_symptoms=answers.count(FollowUp.Answer.NO_SYMPTOMS),
        reported=answers.count(FollowUp.Answer.REPORTED),
        no_response=statuses.count(FollowUp.Status.NO_RESPONSE),
        awaiting=sum(1 for status in statuses if status in AWAITING_STATUSES),
        undeliverable=statuses.count(FollowUp.Status.UNDELIVERABLE),
        time_to_answer=summarise(
            [
                answered - sent
                for _offset, status, _answer, sent, answered in rows
                if status == FollowUp.Status.ANSWERED and answered is not None and answered >= sent
            ]
        ),
    )


def prompt_response(*, clinic: Clinic, date_from: date | None = None, date_to: date | None = None) -> PromptResponse:
    """The clinic's prompts sent from ``date_from`` to ``date_to`` (whole days in the clinic's time zone; the
    last 30 days by default), per offset, soonest first, and all together. One query; the medians are
    computed here, so that SQLite and PostgreSQL give the same numbers."""
    default_from, default_to = default_period(clinic=clinic)
    date_to = date_to or default_to
    date_from = date_from or min(default_from, date_to)
    rows = list(
        FollowUp.objects.filter(
            patient__clinic=clinic,
            kind=FollowUp.Kind.PROMPT,
            status__in=SENT_STATUSES,
            prompted_at__isnull=False,
            **dates.within("prompted_at", date_from, date_to, clinic.tzinfo),
        ).values_list("offset_hours", "status", "answer", "prompted_at", "answered_at")
    )
    # Sent: when the e-mail was queued (the claim), which is when the patient could first have answered it.
    by_offset: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_offset[row[0]].append(row)
    return PromptResponse(
        date_from=date_from,
        date_to=date_to,
        offsets=[_summarise(offset, by_offset[offset]) for offset in sorted(by_offset)],
        total=_summarise(None, rows),
    )
