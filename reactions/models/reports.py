"""What patients report after an infusion, and clinicians' reclassifications of it."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reactions.domain import catalogue
from reactions.domain.catalogue import Grade, Onset
from reactions.domain.severity import ReportLevel, report_level
from reactions.models.accounts import User
from reactions.models.infusions import Infusion

# ReactionReport.level == SEVERE as a filter: a clinician's reclassification wins over the patient's answers.
SEVERE_AFTER_REVIEW = Q(clinician_level=ReportLevel.SEVERE) | Q(clinician_level="", is_severe=True)


class ReactionReport(models.Model):
    """What a patient reported about how they felt after one infusion."""

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reports")
    # PROTECT: an infusion with reports cannot be deleted; nothing reported is lost.
    infusion = models.ForeignKey(Infusion, on_delete=models.PROTECT, related_name="reports")
    notes = models.TextField(_("anything else"), max_length=2000, blank=True)
    # Derived from the symptoms by reactions.domain.severity when the report is saved.
    is_severe = models.BooleanField(default=False)
    needs_review = models.BooleanField(default=False)
    # A clinician's reclassification after review (empty: as the patient reported).
    clinician_level = models.CharField(max_length=20, blank=True, choices=ReportLevel.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["infusion", "-created_at"]),
            models.Index(fields=["patient", "-created_at"]),
            # The few severe reports, by infusion: the product/lot report asks of every infusion whether
            # it had one, and this answers from the severe rows alone rather than all of its reports.
            models.Index(fields=["infusion"], name="report_severe_by_infusion", condition=SEVERE_AFTER_REVIEW),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(clinician_level__in=["", *ReportLevel.values]), name="report_clinician_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Report {self.pk} on {self.infusion}"

    SEVERE_AFTER_REVIEW = SEVERE_AFTER_REVIEW

    @property
    def patient_level(self) -> ReportLevel:
        """The level from the patient's own answers."""
        return report_level(is_severe=self.is_severe, needs_review=self.needs_review)

    @property
    def level(self) -> ReportLevel:
        """The level that counts: the clinician's reclassification, else the patient's answers."""
        return ReportLevel(self.clinician_level) if self.clinician_level else self.patient_level


class ReportedSymptom(models.Model):
    report = models.ForeignKey(ReactionReport, on_delete=models.CASCADE, related_name="symptoms")
    code = models.CharField(max_length=40, choices=catalogue.choices())
    grade = models.CharField(max_length=12, choices=Grade.choices)
    onset = models.CharField(max_length=12, choices=Onset.choices)
    ongoing = models.BooleanField(_("still going on"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "code"], name="symptom_once_per_report"),
            models.CheckConstraint(condition=Q(grade__in=Grade.values), name="symptom_grade_valid"),
            models.CheckConstraint(condition=Q(onset__in=Onset.values), name="symptom_onset_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.grade})"

    @property
    def symptom(self) -> catalogue.Symptom:
        return catalogue.get_translated(self.code)


class ReportReclassification(models.Model):
    """A clinician's change of a report's severity. The patient's own answers are never altered."""

    report = models.ForeignKey(ReactionReport, on_delete=models.CASCADE, related_name="reclassifications")
    from_level = models.CharField(max_length=20, choices=ReportLevel.choices)
    to_level = models.CharField(max_length=20, choices=ReportLevel.choices)
    reason = models.TextField(max_length=2000)
    by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(from_level__in=ReportLevel.values), name="reclassification_from_valid"),
            models.CheckConstraint(condition=Q(to_level__in=ReportLevel.values), name="reclassification_to_valid"),
            models.CheckConstraint(condition=~Q(to_level=F("from_level")), name="reclassification_changes_level"),
        ]

    def __str__(self) -> str:
        return f"Report {self.report_id}: {self.from_level} to {self.to_level}"
