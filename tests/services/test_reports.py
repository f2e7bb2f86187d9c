"""Saving a report: its tier, the rules and their version, the flags and alerts it raises."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from reactions import services
from reactions.domain import triage
from reactions.domain.triage import Care, Tier
from reactions.models import Flag, ReactionReport, ReportSource
from reactions.services.reports import SymptomEntry
from tests.factories import ClinicianFactory, InfusionFactory, make_report

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("symptoms", "tier", "flags"),
    [
        ([("breathing_trouble", "mild")], Tier.EMERGENCY, {Flag.Kind.SEVERE_EVENT}),
        ([("dark_urine", "moderate")], Tier.URGENT, {Flag.Kind.SEVERE_EVENT}),
        ([("headache", "severe"), ("fever", "moderate")], Tier.URGENT, {Flag.Kind.SEVERE_EVENT, Flag.Kind.REVIEW}),
        ([("rash", "very_severe")], Tier.URGENT, {Flag.Kind.SEVERE_EVENT, Flag.Kind.REVIEW}),
        ([("headache", "severe")], Tier.ROUTINE, {Flag.Kind.REVIEW}),
        ([("headache", "mild")], Tier.ROUTINE, set()),
    ],
)
def test_a_report_keeps_its_tier_and_raises_the_flags_of_that_tier(symptoms, tier, flags):
    report = make_report(symptoms=symptoms)
    report.refresh_from_db()
    assert report.tier == tier and report.is_severe is (tier != Tier.ROUTINE)
    assert report.rules_version == triage.RULES_VERSION
    assert report.rules == list(triage.assess(symptoms).rules)
    assert set(report.flags.values_list("kind", flat=True)) == flags


def test_emergency_and_urgent_both_alert_at_once_and_escalate():
    for code in ("throat_swelling", "painful_swollen_limb"):
        flag = make_report(symptoms=[(code, "mild")]).flags.get(kind=Flag.Kind.SEVERE_EVENT)
        assert flag.status == Flag.Status.OPEN and flag.next_alert_at is not None  # due now, until acknowledged


def test_notes_alone_that_name_a_warning_sign_make_the_report_urgent_and_say_what_they_mention():
    report = make_report(notes="No puedo respirar bien desde anoche")
    assert report.tier == Tier.URGENT and report.notes_signs == ["breathing_trouble"]
    assert report.flags.get().kind == Flag.Kind.SEVERE_EVENT
    assert report.shows_emergency_advice  # told to call an ambulance if they have it now
    assert report.notes_sign_labels == ["Trouble breathing, wheezing or gasping"]


def test_a_sign_both_ticked_and_written_is_not_repeated_as_a_notes_mention():
    report = make_report(symptoms=[("chest_pain", "mild")], notes="crushing chest pain")
    assert report.tier == Tier.EMERGENCY and report.notes_signs == []


def test_a_denied_sign_in_the_notes_raises_nothing():
    report = make_report(symptoms=[("headache", "mild")], notes="no chest pain, no fever")
    assert report.tier == Tier.ROUTINE and report.notes_signs == [] and not report.flags.exists()


@pytest.mark.parametrize(("care", "tier"), [(Care.ADMITTED, Tier.URGENT), (Care.URGENT_CARE, Tier.URGENT)])
def test_care_in_hospital_or_a_and_e_alerts_the_clinic_whatever_the_symptoms(care, tier):
    entries = [SymptomEntry(code="headache", grade="mild", onset="during")]
    report = services.reports.report_create(infusion=InfusionFactory(), symptoms=entries, care=care)
    assert (report.tier, report.care) == (tier, care)
    assert triage.is_serious(report.care) is (care == Care.ADMITTED)


def test_staff_enter_a_phoned_in_report_under_the_same_rules():
    infusion = InfusionFactory()
    nurse = ClinicianFactory(clinic=infusion.patient.clinic)
    entries = [SymptomEntry(code="chest_pain", grade="moderate", onset="1_6h")]
    report = services.reports.report_create(
        infusion=infusion, symptoms=entries, source=ReportSource.PHONE_CALL, entered_by=nurse
    )
    assert (report.tier, report.source, report.entered_by) == (Tier.EMERGENCY, ReportSource.PHONE_CALL, nurse)
    assert report.flags.get().kind == Flag.Kind.SEVERE_EVENT


@pytest.mark.parametrize(
    ("source", "staff"), [(ReportSource.PATIENT, True), (ReportSource.PHONE_CALL, False)], ids=["patient", "phone"]
)
def test_who_entered_a_report_matches_its_source(source, staff):
    infusion = InfusionFactory()
    entered_by = ClinicianFactory(clinic=infusion.patient.clinic) if staff else None
    with pytest.raises(ValueError, match="source"):
        services.reports.report_create(infusion=infusion, symptoms=[], notes="x", source=source, entered_by=entered_by)


def test_the_database_refuses_a_severe_report_in_the_routine_tier():
    report = make_report(symptoms=[("headache", "mild")])
    with pytest.raises(IntegrityError), transaction.atomic():
        ReactionReport.objects.filter(pk=report.pk).update(is_severe=True)


def test_reports_from_before_the_tiers_keep_their_decision_as_urgent_never_emergency():
    migration = importlib.import_module("reactions.migrations.0009_triage_tiers")
    severe = make_report(symptoms=[("breathing_trouble", "mild")])
    mild = make_report(symptoms=[("headache", "mild")])
    migration.label_earlier_reports(apps, None)
    severe.refresh_from_db()
    mild.refresh_from_db()
    assert (severe.tier, severe.rules_version, severe.is_severe) == (Tier.URGENT, "legacy", True)
    assert (mild.tier, mild.rules_version) == (Tier.ROUTINE, "legacy")
