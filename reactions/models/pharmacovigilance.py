"""A clinician's pharmacovigilance assessment of a reported event: seriousness, causality, action, outcome."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from reactions.domain import pharmacovigilance as pv
from reactions.models.accounts import User
from reactions.models.reports import ReactionReport

# Each ICH E2A criterion is a boolean field of the same name: the database can check them one by one.
CRITERION_FIELDS: tuple[str, ...] = tuple(pv.Seriousness.values)


class EventAssessment(models.Model):
    """One assessment of one reaction report by a clinician. The latest wins; earlier ones are kept.

    Recording a new assessment marks the previous one superseded (``superseded_at``) in the same
    transaction: the database allows one current assessment per report, and the rows are the history.
    """

    Seriousness = pv.Seriousness
    Causality = pv.Causality
    ActionTaken = pv.ActionTaken
    Outcome = pv.Outcome

    report = models.ForeignKey(ReactionReport, on_delete=models.CASCADE, related_name="assessments")
    death = models.BooleanField(default=False)
    life_threatening = models.BooleanField(default=False)
    hospitalisation = models.BooleanField(default=False)
    disability = models.BooleanField(default=False)
    congenital_anomaly = models.BooleanField(default=False)
    medically_important = models.BooleanField(default=False)
    causality = models.CharField(max_length=20, choices=pv.Causality.choices)
    action_taken = models.CharField(max_length=30, choices=pv.ActionTaken.choices)
    outcome = models.CharField(max_length=30, choices=pv.Outcome.choices)
    note = models.TextField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["report"], condition=Q(superseded_at__isnull=True), name="assessment_one_current_per_report"
            ),
            models.CheckConstraint(condition=Q(causality__in=pv.Causality.values), name="assessment_causality_valid"),
            models.CheckConstraint(condition=Q(action_taken__in=pv.ActionTaken.values), name="assessment_action_valid"),
            models.CheckConstraint(condition=Q(outcome__in=pv.Outcome.values), name="assessment_outcome_valid"),
            # pv.consistency_error() says the same to the clinician.
            models.CheckConstraint(condition=Q(death=True) | ~Q(outcome="fatal"), name="assessment_fatal_is_death"),
            models.CheckConstraint(condition=Q(death=False) | Q(outcome="fatal"), name="assessment_death_is_fatal"),
            models.CheckConstraint(
                condition=Q(superseded_at__isnull=True) | Q(superseded_at__gte=F("recorded_at")),
                name="assessment_superseded_after_recorded",
            ),
        ]
        indexes = [models.Index(fields=["report", "-recorded_at"])]

    def __str__(self) -> str:
        return f"Assessment of report {self.report_id} ({self.causality})"

    @property
    def criteria(self) -> list[str]:
        """The ICH E2A criteria met, in E2A's order."""
        return [name for name in CRITERION_FIELDS if getattr(self, name)]

    @property
    def criteria_labels(self) -> list[str]:
        return [str(pv.Seriousness(name).label) for name in self.criteria]

    @property
    def is_serious(self) -> bool:
        return pv.is_serious(self.criteria)

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None
