"""What patients report after an infusion, and clinicians' reclassifications of it."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reactions.domain import catalogue, triage
from reactions.domain.catalogue import Grade, Onset
from reactions.domain.severity import ReportLevel, report_level
from reactions.domain.triage import BY_ID, Care, Tier
from reactions.models.accounts import User
from reactions.models.infusions import Infusion

# ReactionReport.level == SEVERE as a filter: a clinician's reclassification wins over the patient's answers.
SEVERE_AFTER_REVIEW = Q(clinician_level=ReportLevel.SEVERE) | Q(clinician_level="", is_severe=True)


class ReportSource(models.TextChoices):
    """Who gave the report: the patient in the app, or someone to the clinic's staff, who entered it."""

    PATIENT = "patient", _("The patient, in the app")
    PHONE_CALL = "phone_call", _("Phone call to the clinic")
    CLINIC_VISIT = "clinic_visit", _("Clinic visit")
    CAREGIVER = "caregiver", _("A caregiver, to the clinic")
    # A caregiver the patient invited, in the app with their own account (entered_by names them).
    CAREGIVER_APP = "caregiver_app", _("A caregiver, in the app")


class ReactionReport(models.Model):
    """What a patient reported about how they felt after one infusion."""

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reports")
    # PROTECT: an infusion with reports cannot be deleted; nothing reported is lost.
    infusion = models.ForeignKey(Infusion, on_delete=models.PROTECT, related_name="reports")
    notes = models.TextField(_("anything else"), max_length=2000, blank=True)
    care = models.CharField(_("medical care needed"), max_length=12, choices=Care.choices, blank=True, default="")
    source = models.CharField(max_length=20, choices=ReportSource.choices, default=ReportSource.PATIENT)
    # The member of staff who entered a report given by phone or in person, or the caregiver who reported in
    # the app; empty when the patient did.
    entered_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_entered"
    )
    # Decided by reactions.domain.triage when the report is saved, and never recomputed: the report keeps
    # the decision, the rules that made it and the version of the rule table they came from.
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.ROUTINE)
    rules_version = models.CharField(max_length=20, blank=True)
    rules = models.JSONField(default=list, blank=True)  # ids of the rules that fired
    notes_signs = models.JSONField(default=list, blank=True)  # warning signs the notes name, not ticked
    # Emergency or urgent: a severe event that alerts clinicians at once.
    is_severe = models.BooleanField(default=False)
    needs_review = models.BooleanField(default=False)
    # A clinician's reclassification after review (empty: as the patient reported).
    clinician_level = models.CharField(max_length=20, blank=True, choices=ReportLevel.choices)
    created_at = models.DateTimeField(default=timezone.now)
    # The version of what the report's card shows (its symptoms, reclassifications, assessment, flags and
    # their threads): cached fragments are keyed on it, so every write to any of them sets it
    # (services.versions.touch). The database default fills existing rows and bulk loads.
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

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
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="report_tier_valid"),
            models.CheckConstraint(condition=Q(care__in=Care.values), name="report_care_valid"),
            models.CheckConstraint(condition=Q(source__in=ReportSource.values), name="report_source_valid"),
            # One meaning for "severe": the tier says it.
            models.CheckConstraint(
                condition=Q(is_severe=True, tier__in=[Tier.EMERGENCY, Tier.URGENT])
                | Q(is_severe=False, tier=Tier.ROUTINE),
                name="report_severe_is_emergency_or_urgent",
            ),
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

    @property
    def shows_emergency_advice(self) -> bool:
        return triage.shows_emergency_advice(self.tier, self.notes_signs)

    @property
    def notes_sign_labels(self) -> list[str]:
        return [str(catalogue.get_translated(code).label) for code in self.notes_signs]

    @property
    def rule_summaries(self) -> list[str]:
        """Why the report got its tier, in the words of the rule table (rules since retired are named by id)."""
        return [str(BY_ID[rule].summary) if rule in BY_ID else rule for rule in self.rules]


GRADES = [(catalogue.NOT_GIVEN, catalogue.NOT_GIVEN_LABEL), *Grade.choices]
ONSETS = [(catalogue.NOT_GIVEN, catalogue.NOT_GIVEN_LABEL), *Onset.choices]
WARNING_SIGN_CODES = [s.code for s in catalogue.WARNING_SIGNS]


class ReportedSymptom(models.Model):
    report = models.ForeignKey(ReactionReport, on_delete=models.CASCADE, related_name="symptoms")
    code = models.CharField(max_length=40, choices=catalogue.choices())
    # Blank ("not given") only for a warning sign: see catalogue.NOT_GIVEN.
    grade = models.CharField(max_length=12, choices=GRADES, blank=True)
    onset = models.CharField(max_length=12, choices=ONSETS, blank=True)
    ongoing = models.BooleanField(_("still going on"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "code"], name="symptom_once_per_report"),
            models.CheckConstraint(
                condition=Q(grade__in=Grade.values) | Q(grade=catalogue.NOT_GIVEN, code__in=WARNING_SIGN_CODES),
                name="symptom_grade_valid",
            ),
            models.CheckConstraint(
                condition=Q(onset__in=Onset.values) | Q(onset=catalogue.NOT_GIVEN, code__in=WARNING_SIGN_CODES),
                name="symptom_onset_valid",
            ),
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
