"""Pages show a bounded amount per request; what is left out stays reachable (pagination, links)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reactions.models import Flag
from reactions.views import clinic as clinic_views
from reactions.views import patient as patient_views
from reactions.views import triage as triage_views
from tests.factories import InfusionFactory, PatientFactory, make_report, make_severe_flag

pytestmark = pytest.mark.django_db


def test_patient_home_shows_the_latest_reports_of_an_infusion_and_links_to_the_rest(patient, patient_client):
    infusion = InfusionFactory(patient=patient)
    reports = [make_report(infusion=infusion, symptoms=[("headache", "mild")]) for _ in range(5)]
    page = patient_client.get(reverse("home")).content.decode()
    shown = [r for r in reports if reverse("report_detail", args=[r.pk]) in page]
    assert len(shown) == patient_views.HOME_REPORTS_PER_INFUSION
    assert "See 2 more reports" in page
    assert reverse("infusion_detail", args=[infusion.pk]) in page
    detail = patient_client.get(reverse("infusion_detail", args=[infusion.pk])).content.decode()
    assert all(reverse("report_detail", args=[r.pk]) in detail for r in reports)


def test_patient_home_counts_each_infusions_reports_apart(patient, patient_client):
    # The "more" counts come from a window over each infusion's own reports, not the patient's.
    now = timezone.now()
    busy = InfusionFactory(patient=patient, started_at=now - timedelta(days=1))
    quiet = InfusionFactory(patient=patient, started_at=now - timedelta(days=30))
    InfusionFactory(patient=patient, started_at=now - timedelta(days=60))  # no report at all
    for _ in range(4):
        make_report(infusion=busy, symptoms=[("headache", "mild")])
    latest_quiet = [make_report(infusion=quiet, symptoms=[("rash", "moderate")]) for _ in range(2)][-1]
    page = patient_client.get(reverse("home")).content.decode()
    assert page.count("See 1 more report<") == 1 and "more reports" not in page
    assert reverse("report_detail", args=[latest_quiet.pk]) in page and "Itchy skin or a small rash (moderate)" in page


def test_patient_home_pages_through_older_infusions(patient, patient_client):
    now = timezone.now()
    infusions = [
        InfusionFactory(patient=patient, started_at=now - timedelta(days=30 * i + 1))
        for i in range(patient_views.HOME_INFUSIONS_PER_PAGE + 2)
    ]
    first = patient_client.get(reverse("home")).content.decode()
    second = patient_client.get(reverse("home"), {"page": 2}).content.decode()
    oldest = infusions[-1]
    assert reverse("infusion_detail", args=[infusions[0].pk]) in first
    assert reverse("infusion_detail", args=[oldest.pk]) not in first
    assert reverse("infusion_detail", args=[oldest.pk]) in second


def test_patient_timeline_shows_a_bounded_number_of_infusions_and_pages_to_older_ones(clinician_client, clinic):
    patient = PatientFactory(clinic=clinic)
    now = timezone.now()
    infusions = [
        InfusionFactory(patient=patient, started_at=now - timedelta(days=30 * i + 1))
        for i in range(clinic_views.TIMELINE_INFUSIONS_PER_PAGE + 1)
    ]
    for infusion in infusions:
        make_report(infusion=infusion, symptoms=[("headache", "severe")])
    url = reverse("clinic_patient_detail", args=[patient.pk])
    first = clinician_client.get(url).content.decode()
    shown = [i for i in infusions if reverse("clinic_infusion_detail", args=[i.pk]) in first]
    assert shown == infusions[: clinic_views.TIMELINE_INFUSIONS_PER_PAGE]
    older = clinician_client.get(url, {"page": 2}).content.decode()
    assert reverse("clinic_infusion_detail", args=[infusions[-1].pk]) in older


def test_triage_queue_is_paginated_with_severe_first_and_the_rest_reachable(clinician_client, clinic):
    patient = PatientFactory(clinic=clinic)
    flags = [
        make_severe_flag(infusion=InfusionFactory(patient=patient))
        for _ in range(triage_views.QUEUE_FLAGS_PER_PAGE + 1)
    ]
    rows = re.compile(r'href="/clinic/flags/\d+/"')
    first = clinician_client.get(reverse("clinic_flags")).content.decode()
    assert len(rows.findall(first)) == triage_views.QUEUE_FLAGS_PER_PAGE
    second = clinician_client.get(reverse("clinic_flags"), {"page": 2}).content.decode()
    assert len(rows.findall(second)) == 1
    assert Flag.objects.filter(pk__in=[f.pk for f in flags]).count() == len(flags)


def test_product_report_pages_through_lots(clinician_client, clinic):
    patient = PatientFactory(clinic=clinic)
    for _ in range(clinic_views.PRODUCT_LOTS_PER_PAGE + 1):
        InfusionFactory(patient=patient)  # each with its own lot number
    first = clinician_client.get(reverse("product_report"), {"date_from": "2000-01-01"})
    assert len(first.context["lots"]) == clinic_views.PRODUCT_LOTS_PER_PAGE
    assert "date_from=2000-01-01&amp;page=2" in first.content.decode()
    second = clinician_client.get(reverse("product_report"), {"date_from": "2000-01-01", "page": 2})
    assert len(second.context["lots"]) == 1
