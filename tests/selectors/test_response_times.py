"""A clinic's response times to severe events, for its admins: on a page and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reactions import selectors, services
from reactions.models import Flag
from tests.conftest import _client_for
from tests.factories import InfusionFactory, PatientFactory, make_report, make_severe_flag

pytestmark = pytest.mark.django_db


def _severe(clinic, *, raised_ago: timedelta, ack_after: int | None = None, contact_after: int | None = None) -> Flag:
    """A severe event raised `raised_ago`, acknowledged and first contacted so many minutes after."""
    flag = make_severe_flag(infusion=InfusionFactory(patient=PatientFactory(clinic=clinic)))
    raised = timezone.now() - raised_ago
    fields: dict = {"created_at": raised}
    if ack_after is not None:
        fields.update(status=Flag.Status.ACKNOWLEDGED, acknowledged_at=raised + timedelta(minutes=ack_after))
    if contact_after is not None:
        fields["contacted_at"] = raised + timedelta(minutes=contact_after)
    Flag.objects.filter(pk=flag.pk).update(**fields)
    return flag


@pytest.fixture
def history(clinic, other_clinic):
    day = timedelta(days=1)
    for ack, contact in [(2, 10), (5, 15), (8, 20), (20, 40), (60, None)]:
        _severe(clinic, raised_ago=3 * day, ack_after=ack, contact_after=contact)
    _severe(clinic, raised_ago=timedelta(minutes=5))  # open: not acknowledged, not contacted
    _severe(clinic, raised_ago=31 * day, ack_after=999, contact_after=999)  # before the window
    _severe(other_clinic, raised_ago=day, ack_after=999, contact_after=999)  # another clinic
    # A review flag is not a severe event.
    review = make_report(
        infusion=InfusionFactory(patient=PatientFactory(clinic=clinic)), symptoms=[("headache", "severe")]
    )
    Flag.objects.filter(report=review).update(
        status=Flag.Status.ACKNOWLEDGED, acknowledged_at=timezone.now() + timedelta(hours=5)
    )


def test_times_to_acknowledge_and_to_contact_over_the_last_30_days(clinic, history):
    times = selectors.response_times.severe_response_times(clinic=clinic)
    assert times.severe_events == 6
    assert (times.acknowledge.count, times.acknowledge.median_minutes) == (5, pytest.approx(8))
    assert times.acknowledge.p90_minutes == pytest.approx(44)  # 20 + 0.6 × (60 - 20)
    assert (times.contact.count, times.contact.median_minutes) == (4, pytest.approx(17.5))
    assert times.contact.p90_minutes == pytest.approx(34)  # 20 + 0.7 × (40 - 20)
    assert (times.not_acknowledged, times.not_contacted, times.raised_acknowledged) == (1, 2, 0)
    assert times.until - times.since == timedelta(days=30)


def test_an_event_raised_acknowledged_by_a_reclassification_is_not_timed_as_acknowledged_at_once(clinic, clinician):
    report = make_report(
        infusion=InfusionFactory(patient=PatientFactory(clinic=clinic)), symptoms=[("headache", "moderate")]
    )
    services.reports.report_reclassify(report=report, by=clinician, to_level="severe", reason="Meningitis?")
    times = selectors.response_times.severe_response_times(clinic=clinic)
    assert (times.severe_events, times.acknowledge.count, times.raised_acknowledged) == (1, 0, 1)
    assert times.acknowledge.median is None


def test_the_query_count_does_not_grow_with_the_events(clinic, django_assert_num_queries):
    for _ in range(3):
        _severe(clinic, raised_ago=timedelta(hours=1), ack_after=1, contact_after=2)
    with django_assert_num_queries(1):
        selectors.response_times.severe_response_times(clinic=clinic)


def test_clinic_admins_see_the_page_and_download_the_csv(clinic, clinic_admin, history):
    client = _client_for(clinic_admin)
    page = client.get(reverse("clinic_response_times"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "6 severe events raised" in html and "8 min" in html and "44 min" in html and "18 min" in html
    assert "1 not acknowledged" in html and "2 with no contact recorded" in html
    assert reverse("clinic_response_times") in client.get(reverse("clinic_settings")).content.decode()  # in the nav
    response = client.get(reverse("clinic_response_times_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["measure"], r["measured"], r["median_minutes"], r["p90_minutes"], r["not_yet"]) for r in rows] == [
        ("time_to_acknowledge", "5", "8.0", "44.0", "1"),
        ("time_to_contact", "4", "17.5", "34.0", "2"),
    ]
    assert {r["clinic"] for r in rows} == {clinic.name} and {r["severe_events"] for r in rows} == {"6"}


def test_clinicians_do_not_see_the_response_times(clinician_client):
    assert clinician_client.get(reverse("clinic_response_times")).status_code == 404
    assert clinician_client.get(reverse("clinic_response_times_csv")).status_code == 404
    assert reverse("clinic_response_times") not in clinician_client.get(reverse("clinic_flags")).content.decode()
