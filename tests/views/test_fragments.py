"""Cached fragments of the timeline and the triage queue are never stale: every write that changes what a
report's card or a flag's row shows is seen on the next request (services.versions.touch), and each
language and time zone has its own fragment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from reactions import services
from reactions.admin import FlagAdmin
from reactions.engine.undeliverable import flag_alert_forward
from reactions.models import Flag, FlagEvent, OutboundEmail, ReactionReport
from tests.factories import ClinicianFactory, InfusionFactory, make_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def infusion(patient):
    return InfusionFactory(patient=patient)


def _card(client, report: ReactionReport) -> str:
    """The report's card on its patient's timeline, as a clinician's request renders it now."""
    response = client.get(reverse("clinic_patient_detail", args=[report.patient_id]))
    assert response.status_code == 200
    return response.content.decode().split(f'id="report-{report.pk}"')[1].split("</div></div>")[0]


def _row(client, flag: Flag, status: str = "all") -> str:
    """The flag's row in the triage queue (every flag, closed and snoozed too, unless `status` says)."""
    response = client.get(reverse("clinic_flags"), {"status": status})
    assert response.status_code == 200
    return response.content.decode().split(f'<a href="/clinic/flags/{flag.pk}/">')[0].rsplit("<tr", 1)[1]


def _row_summary(client, flag: Flag) -> str:
    response = client.get(reverse("clinic_flags"), {"status": "all"})
    return response.content.decode().split(f'<a href="/clinic/flags/{flag.pk}/">')[1].split("</tr>")[0]


def test_the_fragments_are_cached_so_a_write_past_the_services_is_not_seen(clinician_client, infusion):
    # What the tests below rely on: without touch() a second request would show the first one's card.
    report = make_report(infusion=infusion, symptoms=[("headache", "severe")], notes="first words")
    assert "first words" in _card(clinician_client, report)
    ReactionReport.objects.filter(pk=report.pk).update(notes="second words")
    assert "first words" in _card(clinician_client, report)
    services.versions.touch(report_id=report.pk)
    assert "second words" in _card(clinician_client, report)


def test_a_new_report_and_its_flags_appear_at_once(clinician_client, infusion):
    first = make_report(infusion=infusion, symptoms=[("headache", "mild")])
    _card(clinician_client, first)
    second = make_report(infusion=infusion, symptoms=[("breathing_trouble", "severe")])
    card = _card(clinician_client, second)
    assert "Severe event</a>: open" in card
    assert "Bronchospasm" in _row_summary(clinician_client, second.flags.get())


def test_acknowledging_a_flag_shows_on_the_card_and_the_row(clinician_client, clinician, infusion):
    report = make_report(infusion=infusion, symptoms=[("breathing_trouble", "severe")])
    flag = report.flags.get()
    assert "Severe event</a>: open" in _card(clinician_client, report)
    assert "Acknowledged" not in _row(clinician_client, flag)
    services.triage.flag_acknowledge(flag=flag, by=clinician)
    assert "Severe event</a>: acknowledged" in _card(clinician_client, report)
    assert "✓ Acknowledged" in _row(clinician_client, flag)


def test_a_note_shows_on_the_card(clinician_client, clinician, infusion):
    report = make_report(infusion=infusion, symptoms=[("breathing_trouble", "severe")])
    _card(clinician_client, report)
    services.triage.flag_add_note(flag=report.flags.get(), by=clinician, note="Rang her back, settling")
    assert ": Rang her back, settling" in _card(clinician_client, report)


def test_assigning_contacting_and_snoozing_acknowledge_on_the_card_and_the_row(clinician_client, clinician, clinic):
    colleague = ClinicianFactory(clinic=clinic)
    for action in ("assign", "contact", "snooze"):
        report = make_report(infusion=InfusionFactory(patient__clinic=clinic), symptoms=[("headache", "severe")])
        flag = report.flags.get(kind=Flag.Kind.REVIEW)
        assert "Review flag</a>: open" in _card(clinician_client, report)
        assert "Acknowledged" not in _row(clinician_client, flag)
        if action == "assign":
            services.triage.flag_assign(flag=flag, by=clinician, assignee=colleague)
        elif action == "contact":
            services.triage.flag_record_contact(flag=flag, by=clinician, note="spoke to her")
        else:
            services.triage.flag_snooze(flag=flag, by=clinician, until=timezone.now() + timedelta(days=2), reason="r")
        assert "Review flag</a>: acknowledged" in _card(clinician_client, report), action
        assert "✓ Acknowledged" in _row(clinician_client, flag), action
        if action == "snooze":
            assert "⏸ Snoozed to" in _row(clinician_client, flag)


def test_closing_and_reopening_show_on_the_card_and_the_row(clinician_client, clinician, infusion):
    report = make_report(infusion=infusion, symptoms=[("breathing_trouble", "severe")])
    flag = report.flags.get()
    _card(clinician_client, report), _row(clinician_client, flag)
    services.triage.flag_close(flag=flag, by=clinician, outcome=Flag.Outcome.RESOLVED, note="Fine now")
    assert "closed — Resolved" in _card(clinician_client, report)
    assert ": Resolved. Fine now" in _card(clinician_client, report)
    assert "Closed: Resolved" in _row(clinician_client, flag)
    services.triage.flag_reopen(flag=flag, by=clinician, note="Worse again")
    assert "Severe event</a>: acknowledged" in _card(clinician_client, report)
    assert "Closed" not in _row(clinician_client, flag)


def test_a_reclassification_shows_on_the_card_and_the_row_with_its_new_flag(clinician_client, clinician, infusion):
    report = make_report(infusion=infusion, symptoms=[("headache", "severe")])
    review = report.flags.get()
    assert "Clinician:" not in _card(clinician_client, report)
    assert "Reclassified" not in _row_summary(clinician_client, review)
    services.reports.report_reclassify(report=report, by=clinician, to_level="severe", reason="Looked worse")
    card = _card(clinician_client, report)
    assert "Clinician: Severe event" in card and ": Looked worse</div>" in card
    assert "Severe event</a>: acknowledged" in card  # the flag the upgrade opened
    assert "Reclassified by clinician as <strong>Severe event</strong>" in _row_summary(clinician_client, review)


def test_an_assessment_shows_on_the_card(clinician_client, clinician, infusion):
    report = make_report(infusion=infusion, symptoms=[("breathing_trouble", "severe")])
    assert "Assess this event" in _card(clinician_client, report)
    services.pharmacovigilance.event_assessment_record(
        report=report, by=clinician, criteria=[], causality="probable", action_taken="none", outcome="recovered"
    )
    card = _card(clinician_client, report)
    assert "Assessment: Non-serious" in card and "Revise the assessment" in card


def test_the_engines_note_on_an_alert_it_could_not_deliver_shows_on_the_card(clinician_client, clinician, infusion):
    report = make_report(infusion=infusion, symptoms=[("breathing_trouble", "severe")])
    flag = report.flags.get()
    _card(clinician_client, report)
    failed = OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.SEVERE_ALERT,
        status=OutboundEmail.Status.FAILED,
        flag=flag,
        to_user=clinician,
        to_email="gone@example.test",
        subject="alert",
        body_text="alert",
        last_error="550 no such mailbox",
    )
    flag_alert_forward(failed=failed)
    assert flag.events.filter(action=FlagEvent.Action.NOTE).exists()
    assert "gone@example.test could not be delivered" in _card(clinician_client, report)


def test_each_language_and_time_zone_has_its_own_fragment(clinician_client, clinician, infusion):
    report = make_report(infusion=infusion, symptoms=[("headache", "severe")])
    moment = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    ReactionReport.objects.filter(pk=report.pk).update(created_at=moment)
    services.versions.touch(report_id=report.pk)
    flag = report.flags.get()
    clinician.time_zone = "UTC"
    clinician.save()
    card = _card(clinician_client, report)
    assert "reported 31 Dec 2026, 23:30" in card and "For review" in card
    clinician.time_zone = "Pacific/Auckland"
    clinician.save()
    assert "reported 1 Jan 2027, 12:30" in _card(clinician_client, report)
    services.accounts.user_set_language(user=clinician, language="es")
    card = _card(clinician_client, report)
    assert "Para revisar" in card and "1 Ene 2027, 12:30" in card
    assert "Revisión" in _row(clinician_client, flag)


def test_a_flag_changed_in_the_admin_shows_on_the_card(clinician_client, infusion, rf):
    report = make_report(infusion=infusion, symptoms=[("breathing_trouble", "severe")])
    flag = report.flags.get()
    assert "Severe event</a>: open" in _card(clinician_client, report)
    flag.status, flag.acknowledged_at = Flag.Status.ACKNOWLEDGED, timezone.now()
    FlagAdmin(Flag, admin.site).save_model(rf.post("/admin/"), flag, form=None, change=True)
    assert "Severe event</a>: acknowledged" in _card(clinician_client, report)


def test_the_queue_filters_are_shared_only_unfiltered_and_per_language(clinician_client, clinician):
    page = clinician_client.get(reverse("clinic_flags")).content.decode()
    assert '<option value="active">Needs action (open or acknowledged)</option>' in page
    assert "selected" not in page.split('name="status"')[1].split("</select>")[0]
    filtered = clinician_client.get(reverse("clinic_flags"), {"status": "closed"}).content.decode()
    assert '<option value="closed" selected>Closed</option>' in filtered
    assert '<option value="active">Needs action' in filtered
    services.accounts.user_set_language(user=clinician, language="es")
    page = clinician_client.get(reverse("clinic_flags")).content.decode()
    assert "Requiere acción" in page and "Needs action" not in page
