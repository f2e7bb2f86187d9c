"""Date-range filters: every list, report and export refuses an end date before its start, the same way."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reactions.forms.filters import (
    AuditFilterForm,
    DateRangeForm,
    EventExportForm,
    InfusionExportForm,
    QueueFilterForm,
    SummaryRangeForm,
)
from reactions.models import AuditEvent

pytestmark = pytest.mark.django_db

FORMS = [QueueFilterForm, DateRangeForm, AuditFilterForm, InfusionExportForm, EventExportForm, SummaryRangeForm]


@pytest.mark.parametrize("form_class", FORMS)
def test_an_end_date_before_the_start_is_refused_at_the_end_date(form_class):
    form = form_class({"date_from": "2026-03-10", "date_to": "2026-03-09"})
    assert not form.is_valid()
    assert form.errors == {"date_to": ["The end date is before the start date."]}


@pytest.mark.parametrize("form_class", FORMS)
@pytest.mark.parametrize(
    ("date_from", "date_to"), [("2026-03-10", "2026-03-10"), ("2026-03-09", "2026-03-10"), ("", "2026-03-10"), ("", "")]
)
def test_one_day_and_open_ended_ranges_are_fine(form_class, date_from, date_to):
    form = form_class({"date_from": date_from, "date_to": date_to})
    assert form.is_valid(), form.errors


def test_the_filters_keep_their_fields_in_reading_order():
    assert list(QueueFilterForm().fields) == ["kind", "status", "product", "date_from", "date_to"]
    assert list(AuditFilterForm().fields) == ["patient", "actor", "date_from", "date_to"]
    assert list(EventExportForm().fields) == ["product", "date_from", "date_to", "kind", "status"]


def _event(clinic, patient, day: date) -> AuditEvent:
    at = timezone.make_aware(datetime.combine(day, time(12)))
    return AuditEvent.objects.create(
        actor_label="Dr Test",
        patient=patient,
        patient_ref=patient.pk,
        clinic=clinic,
        action="view",
        what=str(day),
        created_at=at,
    )


def test_the_audit_trail_filters_by_whole_days(login, clinic_admin, clinic, patient):
    today = timezone.localdate()
    for days_ago in (3, 2, 1):
        _event(clinic, patient, today - timedelta(days=days_ago))
    day = today - timedelta(days=2)
    response = login(clinic_admin).get(reverse("clinic_audit"), {"date_from": day, "date_to": day})
    assert response.status_code == 200
    assert [e.what for e in response.context["page"].object_list] == [str(day)]


def test_an_audit_filter_ending_before_it_starts_shows_the_error_and_no_rows(login, clinic_admin, clinic, patient):
    today = timezone.localdate()
    _event(clinic, patient, today - timedelta(days=1))
    admin = login(clinic_admin)
    inverted = {"date_from": today, "date_to": today - timedelta(days=7)}
    response = admin.get(reverse("clinic_audit"), inverted)
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    assert list(response.context["page"].object_list) == []
    csv_response = admin.get(reverse("clinic_audit_csv"), inverted)
    assert csv_response.status_code == 400
    assert "The end date is before the start date." in csv_response.content.decode()
