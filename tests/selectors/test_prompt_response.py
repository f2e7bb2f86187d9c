"""How patients answer the follow-up prompts, per clinic and offset, for its admins: on a page and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reactions import selectors
from reactions.models import FollowUp
from tests.conftest import _client_for
from tests.factories import ClinicAdminFactory, ClinicianFactory, InfusionFactory, PatientFactory

pytestmark = pytest.mark.django_db

S = FollowUp.Status


def _prompt(clinic, offset: int, status: str, *, sent_ago: timedelta, answer: str = "", answer_after: int = 0):
    """A prompt at `offset` sent `sent_ago`, in `status`; an answered one answered `answer_after` minutes later."""
    patient = PatientFactory(clinic=clinic)
    sent = timezone.now() - sent_ago
    answered = sent + timedelta(minutes=answer_after) if status == S.ANSWERED else None
    return FollowUp.objects.create(
        infusion=InfusionFactory(patient=patient),
        patient=patient,
        offset_hours=offset,
        due_at=sent,
        prompted_at=None if status in (S.SCHEDULED, S.CANCELLED) else sent,
        status=status,
        answer=answer,
        answered_at=answered,
    )


@pytest.fixture
def history(clinic, other_clinic):
    day = timedelta(days=2)
    for minutes in (10, 30, 50):
        _prompt(clinic, 2, S.ANSWERED, sent_ago=day, answer="no_symptoms", answer_after=minutes)
    _prompt(clinic, 2, S.ANSWERED, sent_ago=day, answer="reported", answer_after=90)
    _prompt(clinic, 2, S.NO_RESPONSE, sent_ago=day)
    _prompt(clinic, 24, S.ANSWERED, sent_ago=day, answer="no_symptoms", answer_after=60)
    _prompt(clinic, 24, S.REMINDED, sent_ago=day)
    _prompt(clinic, 24, S.UNDELIVERABLE, sent_ago=day)
    # Never sent, so never counted: e-mails paused, cancelled, not yet due.
    _prompt(clinic, 2, S.SKIPPED, sent_ago=day)
    _prompt(clinic, 2, S.CANCELLED, sent_ago=day)
    _prompt(clinic, 72, S.SCHEDULED, sent_ago=-day)
    # Outside the period, and another clinic's.
    _prompt(clinic, 2, S.NO_RESPONSE, sent_ago=timedelta(days=40))
    _prompt(other_clinic, 2, S.NO_RESPONSE, sent_ago=day)
    return clinic


def test_the_numbers_per_offset_and_in_all(history):
    response = selectors.prompt_response.prompt_response(clinic=history)
    by_offset = {line.offset_hours: line for line in response.offsets}
    assert sorted(by_offset) == [2, 24]
    two = by_offset[2]
    assert (two.sent, two.answered, two.no_symptoms, two.reported, two.no_response, two.awaiting) == (5, 4, 3, 1, 1, 0)
    assert two.answered_percent == 80
    assert two.time_to_answer.median_minutes == pytest.approx(40)  # 10, 30, 50, 90
    day = by_offset[24]
    assert (day.sent, day.answered, day.awaiting, day.undeliverable, day.no_response) == (3, 1, 1, 1, 0)
    assert day.time_to_answer.median_minutes == pytest.approx(60)
    total = response.total
    assert (total.sent, total.answered, total.no_response) == (8, 5, 1)
    assert total.time_to_answer.median_minutes == pytest.approx(50)


def test_the_period_is_whole_days_in_the_clinics_time_zone(history):
    today = timezone.localdate(timezone=history.tzinfo)
    old = selectors.prompt_response.prompt_response(
        clinic=history, date_from=today - timedelta(days=45), date_to=today - timedelta(days=35)
    )
    assert (old.total.sent, old.total.no_response) == (1, 1)
    assert selectors.prompt_response.prompt_response(clinic=history, date_from=date(2001, 1, 1)).total.sent == 9
    empty = selectors.prompt_response.prompt_response(clinic=history, date_from=today + timedelta(days=1))
    assert empty.total.sent == 0 and empty.total.answered_percent is None and empty.offsets == []


def test_only_clinic_admins_see_the_page_and_the_csv(history):
    for name in ("clinic_prompt_response", "clinic_prompt_response_csv"):
        url = reverse(name)
        assert _client_for(ClinicianFactory(clinic=history)).get(url).status_code == 404
        assert _client_for(PatientFactory(clinic=history)).get(url).status_code == 404
        assert _client_for(ClinicAdminFactory(clinic=history)).get(url).status_code == 200


def test_the_page_shows_the_numbers(history):
    page = _client_for(ClinicAdminFactory(clinic=history)).get(reverse("clinic_prompt_response")).content.decode()
    assert "+2 h" in page and "+24 h" in page and "80 %" in page and "40 min" in page


def test_the_csv_has_one_row_per_offset_and_one_for_all(history):
    admin = _client_for(ClinicAdminFactory(clinic=history))
    response = admin.get(reverse("clinic_prompt_response_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["offset_hours"] for row in rows] == ["2", "24", "all"]
    two = rows[0]
    assert (two["sent"], two["answered"], two["answered_percent"], two["no_response"]) == ("5", "4", "80.0", "1")
    assert (two["no_new_symptoms"], two["reported_symptoms"], two["median_minutes_to_answer"]) == ("3", "1", "40.0")
    assert rows[2]["sent"] == "8" and rows[1]["undeliverable"] == "1"


def test_the_csv_follows_the_date_filter(history):
    today = timezone.localdate(timezone=history.tzinfo)
    admin = _client_for(ClinicAdminFactory(clinic=history))
    response = admin.get(
        reverse("clinic_prompt_response_csv"),
        {"date_from": (today - timedelta(days=45)).isoformat(), "date_to": (today - timedelta(days=35)).isoformat()},
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["offset_hours"], row["sent"], row["no_response"]) for row in rows] == [
        ("2", "1", "1"),
        ("all", "1", "1"),
    ]
