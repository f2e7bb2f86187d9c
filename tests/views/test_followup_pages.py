"""What the pages say about follow-up: the course, the prompts planned and why, the prefilled infusion form,
the risk factors (clinicians edit them; the patient reads them) and the clinic's quiet-hours setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from reactions import services
from reactions.models import Infusion
from tests.factories import ClinicAdminFactory, InfusionFactory

pytestmark = pytest.mark.django_db


def _course(patient, days: int) -> list[Infusion]:
    end = timezone.now() - timedelta(hours=1)
    infusions = [
        InfusionFactory(
            patient=patient,
            started_at=end - timedelta(days=days - 1 - k, hours=3),
            ended_at=end - timedelta(days=days - 1 - k),
            lot_number="LOT1",
        )
        for k in range(days)
    ]
    for infusion in infusions:
        services.followups.followups_sync(infusion=infusion)
    return infusions


def test_the_infusion_form_prefills_a_start_of_now(patient_client):
    form = patient_client.get(reverse("infusion_create")).context["form"]
    start = form.initial["started_at"]
    assert timedelta(0) <= timezone.now() - start < timedelta(minutes=16)
    assert start.minute % 15 == 0
    assert form.initial["status"] == "given"


def test_log_the_next_day_prefills_product_lot_dose_and_a_start_a_day_later(patient, patient_client):
    start = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)  # 09:00 GMT in London; the clocks go forward that night
    day1 = InfusionFactory(
        patient=patient, started_at=start, ended_at=start + timedelta(hours=3), lot_number="G7790C", dose_grams=28
    )
    page = patient_client.get(reverse("infusion_detail", args=[day1.pk]))
    assert f"?after={day1.pk}" in page.content.decode()
    form = patient_client.get(reverse("infusion_create") + f"?after={day1.pk}").context["form"]
    assert form.initial["product"] == day1.product
    assert form.initial["lot_number"] == "G7790C"
    assert form.initial["dose_grams"] == Decimal("28")
    assert form.initial["started_at"] == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 09:00 BST the next day
    assert form.initial["status"] == "given"


def test_the_next_day_of_a_course_still_ahead_is_offered_as_planned(patient, patient_client):
    start = timezone.now() - timedelta(hours=4)
    day1 = InfusionFactory(patient=patient, started_at=start, ended_at=start + timedelta(hours=3))
    form = patient_client.get(reverse("infusion_create") + f"?after={day1.pk}").context["form"]
    assert form.initial["status"] == "planned"


def test_another_patients_infusion_prefills_nothing(patient_client, other_patient):
    theirs = InfusionFactory(patient=other_patient, lot_number="THEIRS")
    form = patient_client.get(reverse("infusion_create") + f"?after={theirs.pk}").context["form"]
    assert "lot_number" not in form.initial


def test_the_patients_infusion_page_says_day_2_of_3_and_lists_the_prompts(patient, patient_client):
    _day1, day2, day3 = _course(patient, 3)
    html = patient_client.get(reverse("infusion_detail", args=[day2.pk])).content.decode()
    assert "Day 2 of 3 of a course" in html
    assert "The later questions come after the last day of your course." in html
    html = patient_client.get(reverse("infusion_detail", args=[day3.pk])).content.decode()
    assert "Day 3 of 3 of a course" in html
    assert "+336 h" in html and "+240 h" in html


def test_the_clinician_sees_why_extra_prompts_come(patient, clinician_client):
    services.accounts.patient_update_risk(patient=patient, thrombosis_history=True, birth_year=1980)
    InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(days=40), lot_number="OLD", dose_grams=None)
    infusion = InfusionFactory(patient=patient, lot_number="NEW", dose_grams=None)
    services.followups.followups_sync(infusion=infusion)
    html = clinician_client.get(reverse("clinic_infusion_detail", args=[infusion.pk])).content.decode()
    assert (
        "Extra follow-up at +6 h, +48 h, +120 h:</strong> history of thrombosis; first infusion with this lot" in html
    )
    assert "+120 h" in html
    page = clinician_client.get(reverse("clinic_patient_detail", args=[patient.pk])).content.decode()
    assert "history of thrombosis; first infusion with this lot" in page


def test_an_unknown_weight_is_said_to_the_clinician(patient, clinician_client):
    infusion = InfusionFactory(patient=patient, dose_grams=Decimal("70"))
    services.followups.followups_sync(infusion=infusion)
    html = clinician_client.get(reverse("clinic_infusion_detail", args=[infusion.pk])).content.decode()
    assert "weight not recorded: a dose of 1 g/kg or more cannot be checked" in html


def test_a_clinician_records_risk_factors_and_the_patient_reads_them(patient, clinician_client, patient_client):
    response = clinician_client.post(
        reverse("clinic_patient_risk", args=[patient.pk]),
        {"birth_year": "1955", "weight_kg": "72.5", "kidney_disease": "on"},
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.birth_year, patient.weight_kg, patient.kidney_disease) == (1955, Decimal("72.5"), True)
    profile = patient_client.get(reverse("profile")).content.decode()
    assert "Kidney disease" in profile and "Year of birth: 1955" in profile
    assert "clinic_patient_risk" not in profile and 'name="kidney_disease"' not in profile  # read-only


def test_an_impossible_weight_is_refused_with_the_page_shown_again(patient, clinician_client):
    response = clinician_client.post(reverse("clinic_patient_risk", args=[patient.pk]), {"weight_kg": "7"})
    assert response.status_code == 400
    assert "between 20 and 350 kg" in response.content.decode()
    patient.refresh_from_db()
    assert patient.weight_kg is None


def test_the_clinic_admin_can_switch_the_quiet_hours_exemption_off(clinic, login):
    admin = ClinicAdminFactory(clinic=clinic)
    client = login(admin)
    form = client.get(reverse("clinic_settings")).context["form"]
    assert form.initial["quiet_hours_spare_early_window"] is True
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        open_days=clinic.open_days,
        followup_offsets="2, 24, 72, 168, 240, 336",
        opens_at="08:00",
        closes_at="18:00",
        quiet_hours_start="22:00",
        quiet_hours_end="08:00",
        daily_reminder_at="08:00",
        emergency_number="",
        phone="",
    )
    data.pop("quiet_hours_spare_early_window")
    response = client.post(reverse("clinic_settings"), data)
    assert response.status_code == 302, response.context["form"].errors
    clinic.refresh_from_db()
    assert clinic.quiet_hours_spare_early_window is False


def test_the_patients_own_data_holds_the_risk_factors(patient, patient_client):
    services.accounts.patient_update_risk(patient=patient, birth_year=1950, weight_kg=Decimal("64.5"), diabetes=True)
    profile = patient_client.get(reverse("my_data_json")).json()["profile"]
    assert (profile["year_of_birth"], profile["weight_kg"]) == (1950, "64.5")
    assert profile["followup_risk_factors"] == ["diabetes"]
    csv_text = patient_client.get(reverse("my_data_csv")).content.decode()
    assert "followup_risk_factors,diabetes" in csv_text
