"""The follow-up prompts and day-before reminders the engine sends."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reactions.domain import checkin, warning_windows
from reactions.models.accounts import User
from reactions.models.infusions import Infusion
from reactions.models.reports import ReactionReport


class FollowUp(models.Model):
    """One scheduled message to a patient: a prompt after an infusion, or the day-before check-in.

    The row is the source of truth for what is due; the e-mail it causes is
    an OutboundEmail with its own delivery record.
    """

    class Kind(models.TextChoices):
        PROMPT = "prompt", _("Follow-up prompt")
        PRE_INFUSION = "pre_infusion", _("Day-before check-in")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        PROMPTED = "prompted", _("Prompt sent")
        REMINDED = "reminded", _("Reminder sent")
        ANSWERED = "answered", _("Answered")
        NO_RESPONSE = "no_response", _("No response")
        DONE = "done", _("Sent")  # a day-before check-in: sent, answerable until the infusion starts
        CANCELLED = "cancelled", _("Cancelled")
        SKIPPED = "skipped", _("Skipped (e-mails paused)")
        UNDELIVERABLE = "undeliverable", _("Could not be delivered")

    class Answer(models.TextChoices):
        # A prompt's answers
        NO_SYMPTOMS = "no_symptoms", _("No new symptoms")
        REPORTED = "reported", _("Reported symptoms")
        # A day-before check-in's answers (reactions/domain/checkin.py)
        ALL_WELL = checkin.ALL_WELL, _("All well")
        CHANGED = checkin.CHANGED, _("Something has changed")

    infusion = models.ForeignKey(Infusion, on_delete=models.CASCADE, related_name="followups")
    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="followups")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PROMPT)
    offset_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    created_at = models.DateTimeField(default=timezone.now)
    prompted_at = models.DateTimeField(null=True, blank=True)  # the prompt e-mail was queued
    sent_at = models.DateTimeField(null=True, blank=True)  # ... and delivered to the mail server
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=20, choices=Answer.choices, blank=True)
    # What changed, when a check-in is answered "something has changed" (each optional).
    changed_new_symptoms = models.BooleanField(_("new symptoms"), default=False)
    changed_infection = models.BooleanField(_("an infection"), default=False)
    changed_fever = models.BooleanField(_("a fever"), default=False)
    changed_other = models.BooleanField(_("something else"), default=False)
    answer_note = models.CharField(_("note"), max_length=300, blank=True)
    report = models.ForeignKey(ReactionReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Who answered when it was not the patient: a caregiver (or staff entering a report); empty: the patient.
    answered_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["infusion", "offset_hours"], condition=Q(kind="prompt"), name="followup_prompt_once_per_offset"
            ),
            models.UniqueConstraint(
                fields=["infusion"], condition=Q(kind="pre_infusion"), name="followup_pre_infusion_once"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "scheduled",
                        "prompted",
                        "reminded",
                        "answered",
                        "no_response",
                        "done",
                        "cancelled",
                        "skipped",
                        "undeliverable",
                    ]
                ),
                name="followup_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | (Q(answered_at__isnull=False) & ~Q(answer="")),
                name="followup_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=~Q(kind="prompt") | Q(offset_hours__isnull=False), name="followup_prompt_has_offset"
            ),
            models.CheckConstraint(
                condition=Q(answer="")
                | Q(kind="prompt", answer__in=["no_symptoms", "reported"])
                | Q(kind="pre_infusion", answer__in=["all_well", "changed"]),
                name="followup_answer_fits_kind",
            ),
            models.CheckConstraint(
                condition=Q(answer="changed")
                | Q(
                    changed_new_symptoms=False,
                    changed_infection=False,
                    changed_fever=False,
                    changed_other=False,
                    answer_note="",
                ),
                name="followup_changes_only_when_changed",
            ),
        ]
        indexes = [
            # The dispatcher's hot queries touch only rows still in play.
            models.Index(fields=["due_at"], name="followup_due", condition=Q(status="scheduled")),
            models.Index(fields=["sent_at"], name="followup_awaiting_reminder", condition=Q(status="prompted")),
            models.Index(fields=["reminder_sent_at"], name="followup_awaiting_answer", condition=Q(status="reminded")),
            models.Index(fields=["infusion", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} +{self.offset_hours or 0}h for infusion {self.infusion_id}"

    @property
    def warning_window(self) -> warning_windows.WarningWindow | None:
        """The warning signs a prompt names (none for a check-in)."""
        return None if self.offset_hours is None else warning_windows.warning_window(self.offset_hours)

    @property
    def change_codes(self) -> list[str]:
        """What the patient said changed, when a check-in was answered "something has changed" (its codes)."""
        picked = {
            checkin.Change.NEW_SYMPTOMS: self.changed_new_symptoms,
            checkin.Change.INFECTION: self.changed_infection,
            checkin.Change.FEVER: self.changed_fever,
            checkin.Change.OTHER: self.changed_other,
        }
        return [str(change.value) for change, chosen in picked.items() if chosen]

    @property
    def changes(self) -> list[str]:
        """The same, in words."""
        return [str(checkin.Change(code).label) for code in self.change_codes]

    @property
    def is_open(self) -> bool:
        """Sent and awaiting the patient's answer."""
        return self.status in OPEN_PROMPT_STATUSES


# Sent and awaiting the patient's answer.
OPEN_PROMPT_STATUSES = (FollowUp.Status.PROMPTED, FollowUp.Status.REMINDED, FollowUp.Status.NO_RESPONSE)
