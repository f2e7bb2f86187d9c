"""The follow-up window on the engine's rows: +10 d and +14 d, the quiet-hours exemption of the first
hours, courses over consecutive days, and the extra prompts of the risk rules."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.utils import timezone

from reactions import services
from reactions.models import Clinic, FollowUp, Infusion
from tests.factories import ClinicFactory, InfusionFactory, PatientFactory, clinic_for_engine_tests

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
DEFAULT = [2, 24, 72, 168, 240, 336]


def _known_patient(clinic: Clinic, **fields):
    """A patient with no risk factor, whose first infusion is long past (so none of the 'first' rules fire)."""
    patient = PatientFactory(clinic=clinic, birth_year=1980, weight_kg=Decimal("70"), **fields)
    InfusionFactory(
        patient=patient,
        started_at=datetime(2020, 1, 6, 9, tzinfo=UTC),
        ended_at=datetime(2020, 1, 6, 12, tzinfo=UTC),
        lot_number="LOT1",
    )
    return patient


def _infusion(patient, *, ended_at: datetime, hours: float = 3, **fields) -> Infusion:
    fields.setdefault("lot_number", "LOT1")
    return InfusionFactory(patient=patient, started_at=ended_at - timedelta(hours=hours), ended_at=ended_at, **fields)


def _prompts(infusion: Infusion) -> dict[int, FollowUp]:
    return {fu.offset_hours: fu for fu in infusion.followups.filter(kind=FollowUp.Kind.PROMPT)}


def _scheduled(infusion: Infusion) -> list[int]:
    return sorted(h for h, fu in _prompts(infusion).items() if fu.status == FollowUp.Status.SCHEDULED)


# --- The window ----------------------------------------------------------------------------------------


def test_a_new_clinic_asks_up_to_14_days_after():
    assert ClinicFactory().followup_offsets_hours == DEFAULT


def test_a_routine_infusion_gets_the_six_prompts_as_elapsed_hours():
    patient = _known_patient(clinic_for_engine_tests())
    end = timezone.now() - timedelta(minutes=5)
    infusion = _infusion(patient, ended_at=end)
    services.followups.followups_sync(infusion=infusion)
    prompts = _prompts(infusion)
    assert sorted(prompts) == DEFAULT
    assert {h: fu.due_at - end for h, fu in prompts.items()} == {h: timedelta(hours=h) for h in DEFAULT}


@pytest.mark.parametrize("hours", [240, 336])
def test_the_10_and_14_day_prompts_are_elapsed_hours_across_the_autumn_change(hours):
    clinic = ClinicFactory()  # quiet hours 22:00–08:00, London
    patient = _known_patient(clinic)
    end = datetime(2026, 10, 20, 10, 0, tzinfo=UTC)  # 11:00 BST; the clocks go back on 25 October
    infusion = _infusion(patient, ended_at=end)
    services.followups.followups_sync(infusion=infusion, now=end)
    due = _prompts(infusion)[hours].due_at
    assert due - end == timedelta(hours=hours)
    assert due.astimezone(LONDON).hour == 10  # 10:00 GMT


@pytest.mark.parametrize("hours", [240, 336])
def test_the_10_and_14_day_prompts_wait_for_the_end_of_quiet_hours(hours):
    clinic = ClinicFactory()
    patient = _known_patient(clinic)
    end = datetime(2026, 6, 1, 22, 30, tzinfo=UTC)  # 23:30 BST
    infusion = _infusion(patient, ended_at=end)
    services.followups.followups_sync(infusion=infusion, now=end)
    local = _prompts(infusion)[hours].due_at.astimezone(LONDON)
    assert (local.date(), local.hour, local.minute) == ((end + timedelta(hours=hours)).date() + timedelta(days=1), 8, 0)


def test_the_data_migration_moves_only_clinics_on_the_old_default():
    migration = importlib.import_module("reactions.migrations.0018_window")
    old = ClinicFactory(followup_offsets_hours=[2, 24, 72, 168])
    own = ClinicFactory(followup_offsets_hours=[2, 24, 96, 168])
    migration.extend_default_window(apps, None)
    old.refresh_from_db()
    own.refresh_from_db()
    assert old.followup_offsets_hours == DEFAULT
    assert own.followup_offsets_hours == [2, 24, 96, 168]


# --- Quiet hours never delay the early window -------------------------------------------------------------


def test_a_2100_end_gets_its_2h_prompt_at_2300_and_the_next_one_in_the_morning():
    clinic = ClinicFactory()  # quiet hours 22:00–08:00
    patient = _known_patient(clinic)
    end = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)  # 21:00 BST
    infusion = _infusion(patient, ended_at=end)
    services.followups.followups_sync(infusion=infusion, now=end)
    prompts = _prompts(infusion)
    assert prompts[2].due_at.astimezone(LONDON) == datetime(2026, 6, 10, 23, 0, tzinfo=LONDON)
    assert prompts[24].due_at.astimezone(LONDON) == datetime(2026, 6, 11, 21, 0, tzinfo=LONDON)
    assert prompts[72].due_at == end + timedelta(hours=72)


def test_a_risk_6h_prompt_at_0300_is_sent_at_0300():
    clinic = ClinicFactory()
    patient = _known_patient(clinic, iga_deficiency=True)
    end = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)  # 21:00 BST: +6 h is 03:00
    infusion = _infusion(patient, ended_at=end)
    services.followups.followups_sync(infusion=infusion, now=end)
    assert _prompts(infusion)[6].due_at.astimezone(LONDON) == datetime(2026, 6, 11, 3, 0, tzinfo=LONDON)


def test_a_clinic_that_switches_the_exemption_off_waits_for_the_morning():
    clinic = ClinicFactory(quiet_hours_spare_early_window=False)
    patient = _known_patient(clinic)
    end = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)
    infusion = _infusion(patient, ended_at=end)
    services.followups.followups_sync(infusion=infusion, now=end)
    assert _prompts(infusion)[2].due_at.astimezone(LONDON) == datetime(2026, 6, 11, 8, 0, tzinfo=LONDON)


# --- Courses --------------------------------------------------------------------------------------------


def _log_day(patient, *, start: datetime, lot: str = "LOT1") -> Infusion:
    return services.infusions.infusion_create(
        patient=patient,
        logged_by=patient,
        status=Infusion.Status.GIVEN,
        started_at=start,
        ended_at=start + timedelta(hours=3),
        product=Infusion.Product.PRIVIGEN,
        lot_number=lot,
        dose_grams=Decimal("28"),
    )


def test_logging_day_2_moves_day_1s_later_prompts_to_after_day_2():
    patient = _known_patient(clinic_for_engine_tests())
    now = timezone.now()
    day1 = _log_day(patient, start=now - timedelta(hours=3, minutes=30))
    assert _scheduled(day1) == DEFAULT
    # A day later (the test moves day 1 back instead of waiting): day 2 is logged.
    Infusion.objects.filter(pk=day1.pk).update(
        started_at=day1.started_at - timedelta(days=1), ended_at=day1.ended_at - timedelta(days=1)
    )
    services.followups.followups_sync(infusion=Infusion.objects.get(pk=day1.pk))
    day2 = _log_day(patient, start=now - timedelta(hours=3, minutes=30))
    assert _scheduled(day2) == DEFAULT
    day1_prompts = _prompts(day1)
    assert all(day1_prompts[h].status == FollowUp.Status.CANCELLED for h in DEFAULT if h > 6)
    assert _scheduled(day1) == []  # its +2 h was due yesterday (already sent in real life)


def test_a_course_of_three_days_gives_the_earlier_days_only_their_2h_prompt():
    patient = _known_patient(ClinicFactory(quiet_hours_start="00:00", quiet_hours_end="00:00"))
    last_end = datetime(2026, 6, 3, 13, 0, tzinfo=UTC)
    days = [_infusion(patient, ended_at=last_end - timedelta(days=2 - k)) for k in range(3)]
    before = last_end - timedelta(days=2, hours=1)  # all three logged the day before the course, as planned times
    for day in days:
        services.followups.followups_sync(infusion=day, now=before)
    assert [_scheduled(d) for d in days] == [[2], [2], DEFAULT]
    assert {h: fu.due_at - last_end for h, fu in _prompts(days[2]).items()} == {h: timedelta(hours=h) for h in DEFAULT}


def test_a_planned_day_2_does_not_take_day_1s_prompts_until_it_is_given():
    patient = _known_patient(clinic_for_engine_tests())
    now = timezone.now()
    day1 = _log_day(patient, start=now - timedelta(hours=3, minutes=30))
    tomorrow = day1.started_at + timedelta(days=1)
    day2 = services.infusions.infusion_create(
        patient=patient,
        logged_by=patient,
        status=Infusion.Status.PLANNED,
        started_at=tomorrow,
        ended_at=tomorrow + timedelta(hours=3),
        product=Infusion.Product.PRIVIGEN,
        lot_number="LOT1",
    )
    assert _scheduled(day1) == DEFAULT
    assert _scheduled(day2) == []


def test_deleting_or_moving_the_last_day_gives_the_day_before_its_prompts_back():
    patient = _known_patient(ClinicFactory(quiet_hours_start="00:00", quiet_hours_end="00:00"))
    now = timezone.now()
    day1 = _infusion(patient, ended_at=now - timedelta(minutes=10))
    day2 = _infusion(patient, ended_at=now + timedelta(days=1) - timedelta(minutes=10))  # a course logged ahead
    services.followups.followups_sync(infusion=day1)
    services.followups.followups_sync(infusion=day2)
    assert (_scheduled(day1), _scheduled(day2)) == ([2], DEFAULT)

    services.infusions.infusion_update(
        infusion=day2, started_at=day2.started_at + timedelta(days=6), ended_at=day2.ended_at + timedelta(days=6)
    )
    assert (_scheduled(day1), _scheduled(day2)) == (DEFAULT, DEFAULT)

    services.infusions.infusion_update(
        infusion=day2, started_at=day2.started_at - timedelta(days=6), ended_at=day2.ended_at - timedelta(days=6)
    )
    assert _scheduled(day1) == [2]
    services.infusions.infusion_delete(infusion=day2)
    assert _scheduled(day1) == DEFAULT
    assert {h: fu.due_at - day1.ended_at for h, fu in _prompts(day1).items()} == {
        h: timedelta(hours=h) for h in DEFAULT
    }


def test_a_course_across_the_spring_change_is_one_course_in_local_days():
    patient = _known_patient(ClinicFactory(quiet_hours_start="00:00", quiet_hours_end="00:00"))
    day1 = _infusion(patient, ended_at=datetime(2026, 3, 28, 12, 0, tzinfo=UTC))  # 09:00–12:00 GMT
    day2 = _infusion(patient, ended_at=datetime(2026, 3, 29, 11, 0, tzinfo=UTC))  # 09:00–12:00 BST
    now = datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    services.followups.followups_sync(infusion=day1, now=now)
    services.followups.followups_sync(infusion=day2, now=now)
    assert (_scheduled(day1), _scheduled(day2)) == ([2], DEFAULT)


# --- Risk -----------------------------------------------------------------------------------------------


def test_a_first_infusion_gets_6h_and_48h_extra():
    patient = PatientFactory(clinic=clinic_for_engine_tests(), birth_year=1980, weight_kg=Decimal("70"))
    infusion = _log_day(patient, start=timezone.now() - timedelta(hours=3, minutes=10))
    assert _scheduled(infusion) == sorted([*DEFAULT, 6, 48])


def test_recording_a_risk_factor_adds_prompts_to_an_infusion_already_scheduled():
    patient = _known_patient(clinic_for_engine_tests())
    infusion = _log_day(patient, start=timezone.now() - timedelta(hours=3, minutes=10))
    assert _scheduled(infusion) == DEFAULT
    services.accounts.patient_update_risk(patient=patient, thrombosis_history=True)
    assert _scheduled(infusion) == sorted([*DEFAULT, 48, 120])
    services.accounts.patient_update_risk(patient=patient, thrombosis_history=False)
    assert _scheduled(infusion) == DEFAULT


def test_a_rate_above_the_clinics_threshold_adds_prompts():
    patient = _known_patient(clinic_for_engine_tests())
    infusion = _log_day(patient, start=timezone.now() - timedelta(hours=3, minutes=10))
    services.infusions.rate_change_record(
        infusion=infusion,
        by=patient,
        changed_at=infusion.started_at + timedelta(hours=1),
        rate=Decimal("6"),
        unit="ml_kg_h",
    )
    assert _scheduled(infusion) == sorted([*DEFAULT, 6, 48])


def test_a_high_dose_day_adds_prompts_counted_from_the_courses_last_day():
    patient = _known_patient(ClinicFactory(quiet_hours_start="00:00", quiet_hours_end="00:00"))
    day1 = _infusion(patient, ended_at=datetime(2026, 6, 1, 12, tzinfo=UTC), dose_grams=Decimal("70"))  # 1 g/kg
    day2 = _infusion(patient, ended_at=datetime(2026, 6, 2, 12, tzinfo=UTC), dose_grams=Decimal("35"))
    now = datetime(2026, 6, 1, 8, tzinfo=UTC)
    services.followups.followups_sync(infusion=day2, now=now)
    assert _scheduled(day1) == [2]
    assert _scheduled(day2) == sorted([*DEFAULT, 48, 120])


def test_a_due_prompt_not_yet_sent_survives_a_change_to_another_infusion():
    patient = _known_patient(ClinicFactory(quiet_hours_start="00:00", quiet_hours_end="00:00"))
    end = timezone.now() - timedelta(hours=5)
    infusion = _infusion(patient, ended_at=end)
    services.followups.followups_sync(infusion=infusion, now=end)
    # The dispatcher has been down for three hours: the +2 h prompt is still scheduled, long past its time.
    other = InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(days=30), lot_number="LOT1")
    services.infusions.infusion_update(infusion=other, notes="edited")
    assert _prompts(infusion)[2].status == FollowUp.Status.SCHEDULED
