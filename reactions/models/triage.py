"""What clinicians act on: flags and their history, and lot signals."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reactions.models.accounts import Clinic, User
from reactions.models.infusions import Infusion
from reactions.models.reports import ReactionReport


class Flag(models.Model):
    """Something a clinician must act on: a severe event, a review flag, or a prompt with no response.

    Its source is exactly one of: a reaction report, out-of-range vitals, an unanswered follow-up.
    """

    class Kind(models.TextChoices):
        SEVERE_EVENT = "severe_event", _("Severe event")
        REVIEW = "review", _("Review flag")
        UNREACHABLE = "unreachable", _("Cannot reach patient")
        NO_RESPONSE = "no_response", _("No response to follow-up")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", _("Resolved")
        TREATED_IN_CLINIC = "treated_in_clinic", _("Treated in clinic")
        EMERGENCY_VISIT = "emergency_visit", _("Emergency visit")
        HOSPITALISED = "hospitalised", _("Hospitalised")
        PLAN_CHANGED = "plan_changed", _("Infusion plan changed")
        NOT_A_REACTION = "not_a_reaction", _("Not a reaction")

    # clinic and patient are copied from the source so that the clinic's queue is
    # one indexed query, whatever the number of reports.
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="flags")
    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="flags")
    report = models.ForeignKey(ReactionReport, on_delete=models.CASCADE, null=True, blank=True, related_name="flags")
    vitals = models.ForeignKey("Vitals", on_delete=models.CASCADE, null=True, blank=True, related_name="flags")
    followup = models.ForeignKey("FollowUp", on_delete=models.CASCADE, null=True, blank=True, related_name="flags")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    # The version of what the queue's row shows of the flag: cached fragments are keyed on it, so every
    # change a clinician or the engine makes to the flag or its thread sets it (services.versions.touch).
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    acknowledgement_note = models.TextField(max_length=2000, blank=True)
    assigned_to = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_flags"
    )
    # When a clinician first reached the patient about this flag (each contact is a CONTACTED event).
    contacted_at = models.DateTimeField(null=True, blank=True)
    # A review flag (never a severe event) can be snoozed: it leaves the queue until then.
    snoozed_until = models.DateTimeField(null=True, blank=True)
    snooze_reason = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Severe events alert the clinicians until acknowledged: when the next alert is due,
    # and how many went out (the second and later ones are escalations).
    next_alert_at = models.DateTimeField(null=True, blank=True)
    alerts_sent = models.PositiveIntegerField(default=0)
    # Why the app raised a flag no report stands behind, e.g. the mail server's refusal of an address.
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "kind"], name="flag_once_per_report_kind"),
            models.UniqueConstraint(fields=["followup"], name="flag_once_per_followup"),
            models.UniqueConstraint(fields=["vitals"], name="flag_once_per_vitals"),
            models.CheckConstraint(
                condition=Q(kind__in=["severe_event", "review", "unreachable", "no_response"]), name="flag_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "acknowledged", "closed"]), name="flag_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(acknowledged_at__isnull=False), name="flag_acknowledged_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | (Q(closed_at__isnull=False) & ~Q(outcome="")),
                name="flag_closed_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(kind="severe_event") | Q(snoozed_until__isnull=True), name="flag_severe_never_snoozed"
            ),
            # Reaching the patient is acting on the flag: it is acknowledged at the latest then.
            models.CheckConstraint(
                condition=Q(contacted_at__isnull=True) | ~Q(status="open"), name="flag_contacted_not_open"
            ),
            models.CheckConstraint(
                condition=(
                    Q(report__isnull=False, vitals__isnull=True, followup__isnull=True)
                    | Q(report__isnull=True, vitals__isnull=False, followup__isnull=True)
                    | Q(report__isnull=True, vitals__isnull=True, followup__isnull=False)
                ),
                name="flag_has_one_source",
            ),
        ]
        indexes = [
            models.Index(
                fields=["clinic", "kind", "-created_at"], name="flag_active_queue", condition=~Q(status="closed")
            ),
            models.Index(
                fields=["next_alert_at"], name="flag_alert_due", condition=Q(status="open", next_alert_at__isnull=False)
            ),
            models.Index(fields=["patient", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.patient}"

    @property
    def is_severe(self) -> bool:
        return self.kind == self.Kind.SEVERE_EVENT

    @property
    def is_active(self) -> bool:
        return self.status != self.Status.CLOSED

    @property
    def infusion(self) -> Infusion | None:
        if self.report_id:
            return self.report.infusion
        if self.vitals_id:
            return self.vitals.infusion
        if self.followup_id:
            return self.followup.infusion
        return None


class FlagEvent(models.Model):
    """Every action on a flag, with who and when: the flag's history and its notes thread."""

    class Action(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ASSIGNED = "assigned", _("Assigned")
        NOTE = "note", _("Note")
        CONTACTED = "contacted", _("Contacted the patient")
        SNOOZED = "snoozed", _("Snoozed")
        RECLASSIFIED = "reclassified", _("Reclassified")
        CLOSED = "closed", _("Closed with outcome")
        REOPENED = "reopened", _("Reopened")

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    note = models.TextField(max_length=4000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["flag", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor} on flag {self.flag_id}"


class LotSignal(models.Model):
    """Two or more severe events on the same product lot within 30 days, in one clinic."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="lot_signals")
    product = models.CharField(max_length=20)
    lot_number = models.CharField(max_length=40)
    severe_events = models.PositiveIntegerField()
    patients = models.PositiveIntegerField()
    first_event_at = models.DateTimeField()
    last_event_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "product", "lot_number", "-created_at"])]

    def __str__(self) -> str:
        return f"Lot signal {self.product} {self.lot_number}"
