"""The clinician's workspace: triage actions, reclassification, vitals and rates, lot signals, reports."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from reactions import selectors, services
from reactions.forms.filters import QueueFilterForm
from reactions.models import (
    Flag,
    FlagEvent,
    FollowUp,
    Infusion,
    LotSignal,
    OutboundEmail,
    RateChange,
    ReactionReport,
    ReportReclassification,
    Vitals,
)
from tests.factories import ClinicianFactory, InfusionFactory, PatientFactory, make_report

pytestmark = pytest.mark.django_db


# --- Triage actions -------------------------------------------------------------------------


def test_acknowledge_is_recorded_once_and_stops_alerts(clinician, patient):
    flag = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("chest_pain", "severe")]).flags.get()
    assert flag.next_alert_at is not None
    assert services.triage.flag_acknowledge(flag=flag, by=clinician, note="Called her") is True
    assert services.triage.flag_acknowledge(flag=flag, by=ClinicianFactory(clinic=patient.clinic)) is False
    flag.refresh_from_db()
    assert (flag.status, flag.acknowledged_by, flag.next_alert_at) == (Flag.Status.ACKNOWLEDGED, clinician, None)
    assert list(flag.events.values_list("action", "note")) == [("acknowledged", "Called her")]


def test_assign_note_close_keep_a_dated_thread_and_close_leaves_the_queue(clinician, patient):
    colleague = ClinicianFactory(clinic=patient.clinic)
    flag = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("headache", "severe")]).flags.get()
    services.triage.flag_assign(flag=flag, by=clinician, assignee=colleague)
    services.triage.flag_add_note(flag=flag, by=colleague, note="Left a voicemail")
    services.triage.flag_close(flag=flag, by=colleague, outcome=Flag.Outcome.RESOLVED, note="Settled with paracetamol")
    flag.refresh_from_db()
    assert flag.assigned_to == colleague and flag.status == Flag.Status.CLOSED and flag.outcome == "resolved"
    # Assigning counts as acting on the flag.
    assert flag.acknowledged_by == clinician
    actions = list(flag.events.values_list("action", "actor"))
    assert actions == [("assigned", clinician.pk), ("note", colleague.pk), ("closed", colleague.pk)]
    assert "Settled with paracetamol" in flag.events.last().note
    assert flag not in selectors.triage_queue.clinic_queue(clinic=patient.clinic)
    assert flag in selectors.triage_queue.clinic_queue(clinic=patient.clinic, status="closed")
    with pytest.raises(services.triage.FlagActionError):
        services.triage.flag_close(flag=flag, by=clinician, outcome=Flag.Outcome.RESOLVED)


def test_assign_refuses_someone_from_another_clinic(clinician, patient, foreign_clinician):
    flag = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("headache", "severe")]).flags.get()
    with pytest.raises(services.triage.FlagActionError):
        services.triage.flag_assign(flag=flag, by=clinician, assignee=foreign_clinician)
    assert Flag.objects.get(pk=flag.pk).assigned_to is None


def test_review_flags_snooze_with_a_reason_but_severe_events_never(clinician, patient):
    review = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("rash", "severe")]).flags.get()
    services.triage.flag_snooze(
        flag=review, by=clinician, until=timezone.now() + timedelta(days=3), reason="Seen in clinic"
    )
    assert review not in selectors.triage_queue.clinic_queue(clinic=patient.clinic)
    assert review in selectors.triage_queue.clinic_queue(clinic=patient.clinic, status="snoozed")
    assert "Seen in clinic" in review.events.get(action="snoozed").note

    severe = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("blue_lips", "mild")]).flags.get()
    with pytest.raises(services.triage.FlagActionError):
        services.triage.flag_snooze(flag=severe, by=clinician, until=timezone.now() + timedelta(days=1), reason="x")
    # The database holds the rule too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.filter(pk=severe.pk).update(snoozed_until=timezone.now())


def test_reclassify_downgrade_keeps_the_patients_answer_and_records_who_and_why(clinician, patient):
    report = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("faint_collapse", "mild")])
    severe = report.flags.get(kind=Flag.Kind.SEVERE_EVENT)
    services.reports.report_reclassify(report=report, by=clinician, to_level="mild", reason="Vasovagal on cannulation")
    report.refresh_from_db()
    severe.refresh_from_db()
    assert report.is_severe is True and report.patient_level == "severe"  # the patient's answer is kept
    assert report.level == "mild"
    change = ReportReclassification.objects.get(report=report)
    assert (change.from_level, change.to_level, change.by, change.reason) == (
        "severe",
        "mild",
        clinician,
        "Vasovagal on cannulation",
    )
    assert severe.next_alert_at is None  # no more alerts about it
    assert severe.events.filter(action="reclassified").exists()
    assert list(report.symptoms.values_list("code", "grade")) == [("faint_collapse", "mild")]


def test_reclassify_upgrade_of_a_mild_report_opens_a_severe_event(clinician, patient):
    report = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("headache", "moderate")])
    assert not report.flags.exists()
    services.reports.report_reclassify(report=report, by=clinician, to_level="severe", reason="Sounds like meningitis")
    flag = report.flags.get()
    assert flag.kind == Flag.Kind.SEVERE_EVENT and flag.status == Flag.Status.ACKNOWLEDGED
    with pytest.raises(services.triage.FlagActionError):
        services.reports.report_reclassify(report=report, by=clinician, to_level="severe", reason="again")
    with pytest.raises(services.triage.FlagActionError):
        services.reports.report_reclassify(report=report, by=clinician, to_level="mild", reason="  ")


def test_the_database_holds_only_report_levels_and_real_changes(clinician, patient):
    report = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("headache", "moderate")])
    with pytest.raises(IntegrityError), transaction.atomic():
        ReactionReport.objects.filter(pk=report.pk).update(clinician_level="urgent")
    for from_level, to_level in (("mild", "urgent"), ("urgent", "mild"), ("mild", "mild")):
        with pytest.raises(IntegrityError), transaction.atomic():
            ReportReclassification.objects.create(
                report=report, from_level=from_level, to_level=to_level, reason="x", by=clinician
            )
    with pytest.raises(services.triage.FlagActionError):
        services.reports.report_reclassify(report=report, by=clinician, to_level="urgent", reason="Worse")


# --- Vitals and rate changes -----------------------------------------------------------------


def test_vitals_inside_the_safe_range_raise_nothing(clinician, patient):
    infusion = InfusionFactory(patient=patient)
    vitals = services.infusions.vitals_record(
        infusion=infusion,
        by=clinician,
        phase="start",
        recorded_at=infusion.started_at,
        systolic=120,
        diastolic=80,
        pulse=70,
        temperature=Decimal("36.8"),
    )
    assert vitals.out_of_range is False
    assert not Flag.objects.exists()


def test_vitals_outside_the_clinics_safe_range_are_highlighted_and_flagged(clinician, patient):
    infusion = InfusionFactory(patient=patient)
    vitals = services.infusions.vitals_record(
        infusion=infusion,
        by=clinician,
        phase="during",
        recorded_at=infusion.started_at + timedelta(minutes=40),
        systolic=172,
        diastolic=96,
        pulse=118,
    )
    assert vitals.out_of_range is True
    flag = Flag.objects.get(vitals=vitals)
    assert flag.kind == Flag.Kind.REVIEW and flag.clinic == patient.clinic
    assert "systolic BP 172" in flag.events.get().note and "pulse 118" in flag.events.get().note
    # A clinic with wider ranges does not flag the same values.
    clinic = patient.clinic
    clinic.vitals_safe_ranges = {**clinic.vitals_safe_ranges, "systolic": [90, 180], "pulse": [50, 120]}
    clinic.save()
    patient.refresh_from_db()
    again = services.infusions.vitals_record(
        infusion=Infusion.objects.get(pk=infusion.pk),
        by=clinician,
        phase="end",
        recorded_at=infusion.ended_at,
        systolic=172,
        diastolic=96,
        pulse=118,
    )
    assert again.out_of_range is False


@pytest.mark.parametrize(
    "values",
    [
        {"systolic": 400, "diastolic": 80},
        {"pulse": 5},
        {"temperature": Decimal("50.0")},
        {"systolic": 80, "diastolic": 90},
    ],
)
def test_impossible_vitals_are_refused_by_the_database(clinician, patient, values):
    infusion = InfusionFactory(patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vitals.objects.create(infusion=infusion, phase="start", recorded_at=infusion.started_at, **values)


def test_vitals_form_explains_impossible_values_at_the_field(clinician_client, clinician, patient):
    infusion = InfusionFactory(patient=patient)
    url = reverse("clinic_infusion_detail", args=[infusion.pk])
    local_start = timezone.localtime(infusion.started_at, patient.clinic.tzinfo)
    response = clinician_client.post(
        url,
        {
            "v-phase": "start",
            "v-recorded_at": local_start.strftime("%Y-%m-%dT%H:%M"),
            "v-systolic": "1200",
            "v-diastolic": "80",
            "v-pulse": "70",
        },
    )
    assert response.status_code == 400
    assert "not a possible value" in response.context["vitals_form"].errors["systolic"][0]
    assert not Vitals.objects.exists()


def test_rate_changes_are_recorded_and_impossible_rates_refused(clinician_client, clinician, patient):
    infusion = InfusionFactory(patient=patient)
    url = reverse("clinic_infusion_detail", args=[infusion.pk])
    at = timezone.localtime(infusion.started_at + timedelta(minutes=30), patient.clinic.tzinfo).strftime(
        "%Y-%m-%dT%H:%M"
    )
    ok = clinician_client.post(url, {"r-changed_at": at, "r-rate": "1.0", "r-unit": "ml_kg_h"})
    assert ok.status_code == 302
    assert list(RateChange.objects.values_list("rate", "unit", "recorded_by")) == [
        (Decimal("1.00"), "ml_kg_h", clinician.pk)
    ]
    bad = clinician_client.post(url, {"r-changed_at": at, "r-rate": "90", "r-unit": "ml_kg_h"})
    assert bad.status_code == 400
    assert "not a possible IVIG rate" in bad.context["rate_form"].errors["rate"][0]
    assert RateChange.objects.count() == 1


def test_a_clinician_logs_an_infusion_for_a_patient_who_then_gets_follow_ups(clinician_client, clinician, patient):
    now = timezone.localtime(timezone.now(), patient.clinic.tzinfo)
    response = clinician_client.post(
        reverse("clinic_infusion_create", args=[patient.pk]),
        {
            "status": "given",
            "started_at": (now - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "ended_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "product": "privigen",
            "lot_number": "p1234",
            "dose_grams": "30",
            "setting": "clinic",
            "pre_hydrated": "True",
        },
    )
    assert response.status_code == 302
    infusion = Infusion.objects.get(patient=patient)
    assert infusion.logged_by == clinician and infusion.lot_number == "P1234"
    # The clinic's six prompts, and +6 h and +48 h for a first infusion.
    assert infusion.followups.filter(kind="prompt").count() == 8


# --- Lot signals -------------------------------------------------------------------------------


def test_two_severe_events_on_one_lot_within_30_days_signal_the_clinic_admins(clinic, clinician, clinic_admin):
    first, second = PatientFactory(clinic=clinic), PatientFactory(clinic=clinic)
    make_report(infusion=InfusionFactory(patient=first, lot_number="X77"), symptoms=[("dark_urine", "moderate")])
    assert not LotSignal.objects.exists()
    make_report(infusion=InfusionFactory(patient=second, lot_number="X77"), symptoms=[("chest_pain", "severe")])
    signal = LotSignal.objects.get()
    assert (signal.lot_number, signal.severe_events, signal.patients) == ("X77", 2, 2)
    emails = OutboundEmail.objects.filter(kind=OutboundEmail.Kind.LOT_SIGNAL)
    assert list(emails.values_list("to_email", flat=True)) == [clinic_admin.email]
    assert "X77" in emails.get().subject
    # A third event in the same window does not signal again.
    make_report(infusion=InfusionFactory(patient=first, lot_number="X77"), symptoms=[("blue_lips", "mild")])
    assert LotSignal.objects.count() == 1


def test_the_lot_signal_e_mail_spans_the_days_the_events_were_reported(clinic, clinic_admin):
    """Events reported on 28 Nov and 2 Dec: "between 28 Nov and 2 Dec 2026", even when the history is
    written afterwards (the demo) or the second event is a clinician's later reclassification."""
    clinic_admin.time_zone = "Europe/London"
    clinic_admin.save(update_fields=["time_zone"])
    dec_2 = timezone.now().astimezone(clinic_admin.tzinfo) - timedelta(minutes=5)
    nov_28 = dec_2 - timedelta(days=4)
    for at in (nov_28, dec_2):
        services.reports.report_create(
            infusion=InfusionFactory(patient=PatientFactory(clinic=clinic), lot_number="G7790C"),
            symptoms=[services.reports.SymptomEntry("painful_swollen_limb", "severe", "1_3d")],
            reported_at=at,
        )
    signal = LotSignal.objects.get()
    assert (signal.first_event_at, signal.last_event_at) == (nov_28, dec_2)
    body = OutboundEmail.objects.get(kind=OutboundEmail.Kind.LOT_SIGNAL).body_text
    assert f"between {nov_28:%-d %b} and {dec_2:%-d %b %Y}" in body, body


def test_no_lot_signal_across_lots_clinics_or_older_than_30_days(clinic, other_clinic):
    make_report(
        infusion=InfusionFactory(patient=PatientFactory(clinic=clinic), lot_number="A1"),
        symptoms=[("chest_pain", "severe")],
    )
    make_report(
        infusion=InfusionFactory(patient=PatientFactory(clinic=clinic), lot_number="B2"),
        symptoms=[("chest_pain", "severe")],
    )
    make_report(
        infusion=InfusionFactory(patient=PatientFactory(clinic=other_clinic), lot_number="A1"),
        symptoms=[("chest_pain", "severe")],
    )
    old = ReactionReport.objects.get(patient__clinic=clinic, infusion__lot_number="A1")
    ReactionReport.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    make_report(
        infusion=InfusionFactory(patient=PatientFactory(clinic=clinic), lot_number="A1"),
        symptoms=[("chest_pain", "severe")],
    )
    assert not LotSignal.objects.exists()


# --- Queue, patient list, product report --------------------------------------------------------


def test_queue_orders_by_kind_then_who_has_waited_longest_and_filters(clinic, clinician):
    patient = PatientFactory(clinic=clinic)
    review = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("rash", "severe")]).flags.get()
    severe_old = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("vomiting", "mild")]).flags.get()
    Flag.objects.filter(pk=severe_old.pk).update(created_at=timezone.now() - timedelta(hours=5))
    severe_new = make_report(
        infusion=InfusionFactory(patient=patient, product=Infusion.Product.OCTAGAM), symptoms=[("chest_pain", "severe")]
    ).flags.get()
    assert list(selectors.triage_queue.clinic_queue(clinic=clinic)) == [severe_old, severe_new, review]
    assert list(selectors.triage_queue.clinic_queue(clinic=clinic, kind="review")) == [review]
    assert list(selectors.triage_queue.clinic_queue(clinic=clinic, product="octagam")) == [severe_new]
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert not selectors.triage_queue.clinic_queue(clinic=clinic, date_from=tomorrow).exists()
    assert selectors.triage_queue.clinic_queue(clinic=clinic, date_to=tomorrow).count() == 3


def test_an_unacknowledged_event_comes_before_a_newer_acknowledged_one(clinic, clinician):
    """An hour-old suspected clot nobody has acknowledged sits above an event acknowledged two minutes ago."""
    patient = PatientFactory(clinic=clinic)
    now = timezone.now()
    clot = make_report(
        infusion=InfusionFactory(patient=patient), symptoms=[("painful_swollen_limb", "severe")]
    ).flags.get(kind=Flag.Kind.SEVERE_EVENT)
    Flag.objects.filter(pk=clot.pk).update(created_at=now - timedelta(hours=1))
    seen = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("chest_pain", "severe")]).flags.get(
        kind=Flag.Kind.SEVERE_EVENT
    )
    Flag.objects.filter(pk=seen.pk).update(created_at=now - timedelta(minutes=2))
    services.triage.flag_acknowledge(flag=seen, by=clinician)
    waiting = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("chest_pain", "severe")]).flags.get(
        kind=Flag.Kind.SEVERE_EVENT
    )
    severe = [f for f in selectors.triage_queue.clinic_queue(clinic=clinic) if f.kind == Flag.Kind.SEVERE_EVENT]
    assert severe == [clot, waiting, seen]


def test_queue_page_and_badge_show_only_this_clinics_flags(clinician_client, clinic, other_clinic):
    mine = make_report(
        infusion=InfusionFactory(patient=PatientFactory(clinic=clinic, full_name="Mine Patient")),
        symptoms=[("chest_pain", "severe")],
    )
    make_report(
        infusion=InfusionFactory(patient=PatientFactory(clinic=other_clinic, full_name="Other Patient")),
        symptoms=[("chest_pain", "severe")],
    )
    response = clinician_client.get(reverse("clinic_flags"))
    assert response.status_code == 200
    assert "Mine Patient" in response.content.decode() and "Other Patient" not in response.content.decode()
    assert response.context["queue_count"] == 1
    assert [f.report_id for f in response.context["page"].object_list] == [mine.pk]


def test_flag_actions_through_the_views(clinician_client, clinician, patient):
    flag = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("rash", "severe")]).flags.get()
    url = lambda action: reverse("flag_action", args=[flag.pk, action])  # noqa: E731
    assert clinician_client.post(url("note"), {"note": "Photo requested"}).status_code == 302
    assert clinician_client.post(url("close"), {"outcome": ""}).status_code == 400  # error at the field
    assert clinician_client.post(url("close"), {"outcome": "not_a_reaction", "note": "Eczema"}).status_code == 302
    assert clinician_client.post(url("explode"), {}).status_code == 404
    flag.refresh_from_db()
    assert flag.outcome == "not_a_reaction"
    assert list(FlagEvent.objects.filter(flag=flag).values_list("action", flat=True)) == ["note", "closed"]


def test_patient_list_search_sort_and_counts(clinician_client, clinic):
    amy = PatientFactory(clinic=clinic, full_name="Amy Able")
    PatientFactory(clinic=clinic, full_name="Bob Baker")
    make_report(infusion=InfusionFactory(patient=amy), symptoms=[("chest_pain", "severe")])
    rows = list(selectors.clinic.clinic_patient_rows(clinic=clinic, sort="-open_flags"))
    assert [r.full_name for r in rows] == ["Amy Able", "Bob Baker"]
    assert (rows[0].open_flags, rows[1].open_flags) == (1, 0)
    assert rows[0].last_infusion_at is not None
    response = clinician_client.get(reverse("clinic_patients"), {"q": "bob"})
    assert [p.full_name for p in response.context["page"].object_list] == ["Bob Baker"]


def test_product_report_rates_per_product_and_lot(clinician_client, clinic):
    patient = PatientFactory(clinic=clinic)
    make_report(infusion=InfusionFactory(patient=patient, lot_number="L1"), symptoms=[("headache", "mild")])
    make_report(infusion=InfusionFactory(patient=patient, lot_number="L1"), symptoms=[("chest_pain", "severe")])
    InfusionFactory(patient=patient, lot_number="L2")
    InfusionFactory(patient=patient, lot_number="L2")
    report = selectors.products.product_report(clinic=clinic)
    (product,) = report["products"]
    assert (product["infusions"], product["patients"], product["mild"], product["severe"]) == (4, 1, 1, 1)
    lots = {row["lot_number"]: row for row in report["lots"]}
    assert (lots["L1"]["mild_rate"], lots["L1"]["severe_rate"]) == (0.5, 0.5)
    assert lots["L2"]["severe"] == 0
    assert clinician_client.get(reverse("product_report"), {"date_from": "2020-01-01"}).status_code == 200


# --- Query counts: constant whatever the data size ---------------------------------------------


def _grow(clinic, n):
    for _ in range(n):
        patient = PatientFactory(clinic=clinic)
        infusion = InfusionFactory(patient=patient)
        services.infusions.vitals_record(
            infusion=infusion, by=patient, phase="start", recorded_at=infusion.started_at, systolic=190, diastolic=90
        )
        make_report(infusion=infusion, symptoms=[("chest_pain", "severe"), ("headache", "very_severe")])


@pytest.mark.parametrize("name", ["clinic_flags", "clinic_patients", "product_report"])
def test_clinic_pages_use_a_constant_number_of_queries(clinician_client, clinic, name, count_queries):
    _grow(clinic, 2)
    small = count_queries(clinician_client, reverse(name))
    _grow(clinic, 15)
    large = count_queries(clinician_client, reverse(name))
    assert large == small, f"{name}: {small} queries with 2 patients, {large} with 17"


def test_the_queue_shows_every_kind_of_row_in_a_constant_number_of_queries(clinician_client, clinic, count_queries):
    # Severe (acknowledged and assigned), review, out-of-range vitals and no-response flags, all on the
    # first page at both sizes: each kind of row reads only what the queue loads.
    staff = ClinicianFactory(clinic=clinic, full_name="Nurse Amal Haddad")

    def grow(n):
        for _ in range(n):
            infusion = InfusionFactory(patient=PatientFactory(clinic=clinic))
            services.infusions.vitals_record(
                infusion=infusion, by=staff, phase="start", recorded_at=infusion.started_at, systolic=190, diastolic=90
            )
            report = make_report(infusion=infusion, symptoms=[("chest_pain", "severe"), ("headache", "very_severe")])
            severe = report.flags.get(kind=Flag.Kind.SEVERE_EVENT)
            services.triage.flag_acknowledge(flag=severe, by=staff)
            services.triage.flag_assign(flag=severe, by=staff, assignee=staff)
            Flag.objects.create(
                clinic=clinic,
                patient=infusion.patient,
                kind=Flag.Kind.NO_RESPONSE,
                followup=_prompt(infusion, 24, FollowUp.Status.NO_RESPONSE),
            )

    grow(1)
    small = count_queries(clinician_client, reverse("clinic_flags"))
    grow(5)
    page = clinician_client.get(reverse("clinic_flags")).content.decode()
    assert page.count("<tr class=") == Flag.objects.filter(clinic=clinic).count() <= 25
    assert "✓ Nurse Amal Haddad" in page and "→ Nurse Amal Haddad" in page and "No answer to the +24 h" in page
    assert "Vitals outside the safe range" in page and "Chest pain (suspected MI or PE)" in page
    assert count_queries(clinician_client, reverse("clinic_flags")) == small


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_queue_filters_are_what_a_fresh_form_writes_filtered_or_not(clinician_client, language):
    # Unfiltered, the fields are crispy's for a fresh form in the page's language; filtered, they show the filter.
    page = clinician_client.get(reverse("clinic_flags"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    with translation.override(language):
        fresh = [as_crispy_field(QueueFilterForm()[name]) for name in QueueFilterForm.base_fields]
    assert len(fresh) == 5 and all(html in page for html in fresh)
    filtered = clinician_client.get(
        reverse("clinic_flags"), {"kind": "review", "date_from": "2026-13-01"}, HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert '<option value="review" selected>' in filtered and "is-invalid" in filtered  # the bad date is shown
    assert '<option value="review" selected>' not in page


def test_queue_details_asks_only_for_what_the_page_has(clinic, clinician, django_assert_num_queries):
    # Report flags only: one query (their symptoms, in the order entered); nobody acknowledged or
    # assigned, no vitals, no prompts, so nothing else is asked.
    for _ in range(3):
        make_report(
            infusion=InfusionFactory(patient=PatientFactory(clinic=clinic)),
            symptoms=[("headache", "very_severe"), ("chest_pain", "severe")],
        )
    page = list(selectors.triage_queue.clinic_queue(clinic=clinic))
    with django_assert_num_queries(1):
        flags = selectors.triage_queue.queue_details(page)
    assert len(flags) == 6  # each report: a severe event flag and a review flag
    assert all([s.code for s in f.report.symptom_list] == ["headache", "chest_pain"] for f in flags)
    with django_assert_num_queries(0):
        rows = "".join(_queue_row(flag) for flag in flags)
    assert rows.count("Chest pain (suspected MI or PE)") == 6
    # Each other kind of row adds the queries for its own relation, and the rows still ask nothing.
    flag = flags[0]
    services.triage.flag_acknowledge(flag=flag, by=clinician)
    infusion = InfusionFactory(patient=PatientFactory(clinic=clinic))
    Flag.objects.create(
        clinic=clinic,
        patient=infusion.patient,
        kind=Flag.Kind.NO_RESPONSE,
        followup=_prompt(infusion, 24, FollowUp.Status.NO_RESPONSE),
    )
    page = list(selectors.triage_queue.clinic_queue(clinic=clinic))
    with django_assert_num_queries(1 + 1 + 2):  # symptoms, who acknowledged, the prompt and its infusion
        flags = selectors.triage_queue.queue_details(page)
    with django_assert_num_queries(0):
        rows = "".join(_queue_row(flag) for flag in flags)
    assert f"✓ {clinician.full_name}" in rows and "No answer to the +24 h follow-up prompt" in rows


def _queue_row(flag: Flag) -> str:
    return render_to_string("reactions/clinic_flags.html#queue-row", {"flag": flag})


def _prompt(infusion: Infusion, hours: int, status: str) -> FollowUp:
    due = infusion.started_at + timedelta(hours=hours)
    answered = {"answer": FollowUp.Answer.NO_SYMPTOMS, "answered_at": due + timedelta(minutes=5)}
    # The engine may have made this prompt already (a rate change reruns it): the row becomes the one wanted.
    followup, _ = FollowUp.objects.update_or_create(
        infusion=infusion,
        kind=FollowUp.Kind.PROMPT,
        offset_hours=hours,
        defaults={
            "patient": infusion.patient,
            "due_at": due,
            "status": status,
            **(answered if status == FollowUp.Status.ANSWERED else {}),
        },
    )
    return followup


def test_patient_timeline_and_flag_page_use_a_constant_number_of_queries(clinician_client, clinic, count_queries):
    patient = PatientFactory(clinic=clinic)

    def add(n):
        for _ in range(n):
            infusion = InfusionFactory(patient=patient)
            services.infusions.rate_change_record(
                infusion=infusion, by=patient, changed_at=infusion.started_at, rate=Decimal("1"), unit="ml_kg_h"
            )
            services.infusions.vitals_record(
                infusion=infusion, by=patient, phase="start", recorded_at=infusion.started_at, pulse=70
            )
            make_report(infusion=infusion, symptoms=[("headache", "severe"), ("fatigue", "mild")])
            _prompt(infusion, 2, FollowUp.Status.ANSWERED)
            _prompt(infusion, 24, FollowUp.Status.NO_RESPONSE)

    add(2)
    url = reverse("clinic_patient_detail", args=[patient.pk])
    small = count_queries(clinician_client, url)
    add(8)
    assert count_queries(clinician_client, url) == small


def test_product_report_keeps_different_other_products_apart(clinic):
    patient = PatientFactory(clinic=clinic)
    InfusionFactory(patient=patient, product="other", product_other="Hizentra IV")
    InfusionFactory(patient=patient, product="other", product_other="Yimmugo")
    names = sorted(row["product_name"] for row in selectors.products.product_report(clinic=clinic)["products"])
    assert names == ["Hizentra IV", "Yimmugo"]


def test_the_timeline_shows_what_only_some_infusions_and_reports_have(clinician_client, clinician, clinic):
    # Vitals, rates, reclassifications and flags are loaded only where they exist: both kinds on one page.
    patient = PatientFactory(clinic=clinic)
    now = timezone.now()
    busy = InfusionFactory(patient=patient, started_at=now - timedelta(days=2))
    services.infusions.vitals_record(infusion=busy, by=clinician, phase="start", recorded_at=busy.started_at, pulse=131)
    services.infusions.rate_change_record(
        infusion=busy, by=clinician, changed_at=busy.started_at, rate=Decimal("2.5"), unit="ml_kg_h"
    )
    flagged = make_report(infusion=busy, symptoms=[("chest_pain", "severe")])
    services.triage.flag_add_note(flag=flagged.flags.get(), by=clinician, note="Called the patient back")
    services.reports.report_reclassify(
        report=make_report(infusion=busy, symptoms=[("rash", "mild")]),
        by=clinician,
        to_level="review",
        reason="Spreading rash",
    )
    with timezone.override(clinician.tzinfo):  # the viewer's time zone
        answered_at = _prompt(busy, 2, FollowUp.Status.ANSWERED).answered_at.astimezone(timezone.get_current_timezone())
    _prompt(busy, 24, FollowUp.Status.NO_RESPONSE)
    _prompt(busy, 72, FollowUp.Status.SCHEDULED)  # not sent yet: not shown
    quiet = InfusionFactory(patient=patient, started_at=now - timedelta(days=40))
    make_report(infusion=quiet, symptoms=[("headache", "mild")])

    page = clinician_client.get(reverse("clinic_patient_detail", args=[patient.pk])).content.decode()
    assert "pulse 131" in page and "(outside safe range)" in page
    assert "Rates:" in page and "2.5 mL/kg/h" in page
    assert "Called the patient back" in page and "Spreading rash" in page
    assert page.count('class="card my-2"') == 3  # every report of both infusions
    assert f"Prompt +2 h: answered — no new symptoms {answered_at:%-d %b %H:%M}</div>" in page
    assert "Prompt +24 h: no response</div>" in page and "Prompt +72 h" not in page


def test_the_badge_counts_every_flag_needing_action_whatever_the_queue_shows(clinician_client, clinic):
    patient = PatientFactory(clinic=clinic)
    make_report(infusion=InfusionFactory(patient=patient), symptoms=[("chest_pain", "severe")])
    make_report(infusion=InfusionFactory(patient=patient), symptoms=[("rash", "severe")])
    expected = selectors.triage_queue.clinic_queue_count(clinic_id=clinic.pk)
    assert expected >= 2
    unfiltered = clinician_client.get(reverse("clinic_flags"))  # reuses the page's own count
    assert unfiltered.context["queue_count"] == expected == unfiltered.context["page"].paginator.count
    severe_only = clinician_client.get(reverse("clinic_flags"), {"kind": "severe_event"})
    assert severe_only.context["page"].paginator.count < expected
    assert severe_only.context["queue_count"] == expected  # the badge is not the filtered count


def test_each_timeline_card_links_to_a_reclassify_page_whose_form_works(clinician, patient, login):
    report = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("rash", "mild")])
    client = login(clinician)
    client.handler.enforce_csrf_checks = True
    timeline = client.get(reverse("clinic_patient_detail", args=[patient.pk])).content.decode()
    action = reverse("report_reclassify", args=[report.pk])
    assert f'href="{action}"' in timeline and 'name="to_level"' not in timeline  # no form per card
    page = client.get(action).content.decode()
    assert "Rash" in page and page.count('name="to_level"') == 1
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    missing = client.post(action, {"csrfmiddlewaretoken": token, "to_level": "review"})
    assert missing.status_code == 400 and not ReportReclassification.objects.exists()  # the reason is required
    same = client.post(action, {"csrfmiddlewaretoken": token, "to_level": "mild", "reason": "Fine"})
    assert same.status_code == 400 and "already has this severity" in same.content.decode()
    response = client.post(action, {"csrfmiddlewaretoken": token, "to_level": "review", "reason": "Spreading"})
    assert response.status_code == 302 and response.url.endswith(f"#report-{report.pk}")
    assert ReportReclassification.objects.filter(report=report, to_level="review").exists()
