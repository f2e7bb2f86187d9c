"""Delivery faults: a message refused for good, a stable Message-ID, a dropped database, the time budget,
the alerts' short lease, and the engine's health. Mail goes to a real SMTP listener."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reactions import engine, selectors, services
from reactions.models import DeliveryAttempt, Flag, FlagEvent, FollowUp, Heartbeat, OutboundEmail
from tests.factories import (
    ClinicAdminFactory,
    ClinicianFactory,
    InfusionFactory,
    PatientFactory,
    clinic_for_engine_tests,
    make_report,
    make_severe_flag,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return clinic_for_engine_tests()


def _prompted_patient(clinic, email="gone@example.test"):
    """A patient whose +2 h prompt is due now, and the follow-up."""
    patient = PatientFactory(clinic=clinic, email=email)
    now = timezone.now()
    infusion = InfusionFactory(patient=patient, started_at=now - timedelta(hours=5), ended_at=now - timedelta(hours=2))
    services.followups.followups_sync(infusion=infusion)
    return patient, infusion.followups.get(offset_hours=2)


# --- A message refused for good -------------------------------------------------------------------


def test_a_bounced_prompt_tells_the_clinic_the_patient_cannot_be_reached(clinic, smtp, login):
    patient, followup = _prompted_patient(clinic)
    clinician = ClinicianFactory(clinic=clinic)
    smtp.reject_addresses = {patient.email}

    result = engine.dispatcher.dispatch_due()

    assert result.delivery.failed == 1
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.UNDELIVERABLE
    flag = Flag.objects.get(patient=patient, kind=Flag.Kind.UNREACHABLE)
    assert flag.followup_id == followup.pk and "550" in flag.reason and patient.email in flag.reason
    # Neither a reminder nor "no response" ever comes of it, however much time passes.
    later = timezone.now() + timedelta(days=3)
    assert (
        engine.dispatcher.followups_queue_reminders(now=later) == 0
        and engine.dispatcher.followups_mark_no_response(now=later) == 0
    )

    client = login(clinician)
    queue = client.get(reverse("clinic_flags")).content.decode()
    assert "Cannot reach" in queue and "550" in queue
    assert "Cannot reach" in client.get(reverse("clinic_patients")).content.decode()
    assert selectors.clinic.clinic_open_items(clinic=clinic).unreachable == 1


def test_later_refusals_add_to_the_one_cannot_reach_flag(clinic, smtp):
    patient, followup = _prompted_patient(clinic)
    smtp.reject_addresses = {patient.email}
    engine.dispatcher.dispatch_due()
    second = followup.infusion.followups.get(offset_hours=24)
    FollowUp.objects.filter(pk=second.pk).update(due_at=timezone.now())  # a day has passed
    engine.dispatcher.dispatch_due()
    second.refresh_from_db()
    assert second.status == FollowUp.Status.UNDELIVERABLE
    flag = Flag.objects.get(patient=patient, kind=Flag.Kind.UNREACHABLE)
    notes = list(flag.events.values_list("note", flat=True))
    assert len(notes) == 2 and "+2 h" in notes[0] and "+24 h" in notes[1]


def test_a_bounced_reminder_also_marks_the_patient_unreachable(clinic, smtp):
    patient, followup = _prompted_patient(clinic)
    engine.dispatcher.dispatch_due()  # the prompt is delivered
    FollowUp.objects.filter(pk=followup.pk).update(sent_at=timezone.now() - timedelta(hours=25))
    smtp.reject_addresses = {patient.email}  # the mailbox has gone since
    engine.dispatcher.dispatch_due()
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.UNDELIVERABLE
    assert Flag.objects.filter(patient=patient, kind=Flag.Kind.UNREACHABLE).exists()


def test_a_message_never_accepted_is_given_up_on_and_counts_as_refused(clinic, smtp, settings):
    settings.EMAIL_MAX_ATTEMPTS = 2
    patient, followup = _prompted_patient(clinic)
    smtp.refuse = True  # 451, a temporary refusal, every time
    engine.dispatcher.dispatch_due()
    email = OutboundEmail.objects.get(followup=followup)
    assert email.status == OutboundEmail.Status.PENDING
    engine.delivery.email_deliver(now=email.due_at + timedelta(seconds=1))
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED and email.last_error.startswith("gave up after 2 attempts")
    flag = Flag.objects.get(patient=patient, kind=Flag.Kind.UNREACHABLE)
    assert "451" in flag.reason


def test_a_bounced_clinician_alert_goes_at_once_to_the_clinics_other_staff(clinic, smtp):
    bounced, colleague = ClinicianFactory(clinic=clinic), ClinicianFactory(clinic=clinic)
    admin = ClinicAdminFactory(clinic=clinic)
    smtp.reject_addresses = {bounced.email}
    flag = make_severe_flag(infusion=InfusionFactory(patient=PatientFactory(clinic=clinic)))

    engine.dispatcher.flag_alert_now(flag_id=flag.pk)  # what the urgent task runs, seconds after the report

    received = sorted(m["To"] for m in smtp.messages)
    assert received == sorted([colleague.email, admin.email])  # the admin at once, not at escalation time
    assert (
        next(m for m in smtp.messages if m["To"] == admin.email)
        .get_body(("plain",))
        .get_content()
        .count("could not be delivered")
        == 1
    )
    note = FlagEvent.objects.get(flag=flag, action=FlagEvent.Action.NOTE).note
    assert bounced.email in note and "550" in note


# --- One message, one Message-ID --------------------------------------------------------------------


def test_every_try_of_a_message_carries_the_id_it_was_given_when_queued(clinic, smtp):
    _patient, followup = _prompted_patient(clinic)
    smtp.refuse = True
    engine.dispatcher.dispatch_due()
    email = OutboundEmail.objects.get(followup=followup)
    smtp.refuse = False
    engine.delivery.email_deliver(now=email.due_at + timedelta(seconds=1))
    (message,) = smtp.messages
    assert message["Message-ID"] == email.message_id
    assert email.message_id.startswith("<") and email.message_id.endswith(">")
    other = services.outbox.email_queue(
        kind="pre_infusion", template="pre-infusion", to_user=followup.patient, context={"infusion": followup.infusion}
    )
    assert other.message_id != email.message_id


class _DropsTheDatabaseAfterSending:
    """An SMTP connection that accepts each message, then cuts the worker's database connection, as
    pg_terminate_backend or a network blip does between the server's acceptance and the record."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def send_messages(self, messages):
        sent = self.inner.send_messages(messages)
        pid = connection.connection.info.backend_pid
        with connections["default"].__class__(connection.settings_dict, alias="killer").cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        return sent


@pytest.mark.django_db(transaction=True)
def test_recording_sent_survives_a_dropped_database_connection(smtp, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip(
            "cutting a live connection needs PostgreSQL (pg_terminate_backend): run with DATABASE_URL=postgres://"
        )
    clinic = clinic_for_engine_tests()
    _patient, followup = _prompted_patient(clinic)
    real = engine.delivery.get_connection
    monkeypatch.setattr(engine.delivery, "get_connection", lambda **kw: _DropsTheDatabaseAfterSending(real(**kw)))

    engine.dispatcher.dispatch_due()

    email = OutboundEmail.objects.get(followup=followup)
    assert email.status == OutboundEmail.Status.SENT
    assert len(smtp.messages) == 1  # recorded on a fresh connection: nothing for the lease to send again
    assert email.delivery_attempts.filter(succeeded=True).count() == 1
    followup.refresh_from_db()
    assert followup.sent_at == email.sent_at


# --- Time budget and leases -------------------------------------------------------------------------


def test_nothing_starts_after_the_deadline_and_nothing_is_left_claimed(clinic, smtp):
    for n in range(3):
        _prompted_patient(clinic, email=f"p{n}@example.test")
    engine.dispatcher.followups_queue_due(now=timezone.now())
    result = engine.delivery.email_deliver(deadline=timezone.now() - timedelta(seconds=1))
    assert result.sent == 0 and not smtp.messages
    assert set(OutboundEmail.objects.values_list("status", "attempts")) == {(OutboundEmail.Status.PENDING, 0)}


def test_a_slow_mail_server_is_stopped_at_the_budget_not_by_celery(clinic, smtp):
    for n in range(6):
        _prompted_patient(clinic, email=f"p{n}@example.test")
    smtp.delay_seconds = 0.3
    started = timezone.now()
    result = engine.dispatcher.dispatch_due(deliver_for_seconds=0.5)
    took = (timezone.now() - started).total_seconds()
    assert 1 <= result.delivery.sent < 6 and took < 0.5 + 2 * 0.3 + 1, (result, took)
    assert not OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING).exists()


def test_alerts_to_clinicians_have_a_short_lease_of_their_own(clinic, settings):
    ClinicianFactory(clinic=clinic)
    flag = make_severe_flag(infusion=InfusionFactory(patient=PatientFactory(clinic=clinic)))
    _patient, followup = _prompted_patient(clinic)
    engine.dispatcher.flags_queue_alerts(now=timezone.now(), flag_ids=[flag.pk])
    engine.dispatcher.followups_queue_due(now=timezone.now())
    claimed_at = timezone.now()
    engine.delivery._email_claim(
        list(OutboundEmail.objects.values_list("pk", flat=True)), now=claimed_at, claimed_at=claimed_at
    )
    leases = {e.kind: e.lease_until - e.claimed_at for e in OutboundEmail.objects.all()}
    assert (
        leases[OutboundEmail.Kind.SEVERE_ALERT]
        == timedelta(seconds=settings.EMAIL_URGENT_LEASE_SECONDS)
        == timedelta(minutes=1)
    )
    assert leases[OutboundEmail.Kind.FOLLOWUP_PROMPT] == timedelta(seconds=settings.EMAIL_SENDING_LEASE_SECONDS)
    # A worker dies holding both: a minute later the alert is taken back and sent, the prompt not yet.
    result = engine.delivery.email_deliver(now=claimed_at + timedelta(seconds=61))
    assert result.recovered == 1 and result.sent == 1
    assert OutboundEmail.objects.get(kind=OutboundEmail.Kind.SEVERE_ALERT).status == OutboundEmail.Status.SENT
    assert OutboundEmail.objects.get(followup=followup).status == OutboundEmail.Status.SENDING


# --- Health ------------------------------------------------------------------------------------------


def test_health_is_ok_while_the_dispatcher_runs_and_mail_goes_out(clinic):
    engine.dispatcher.dispatch_tick()
    response = Client().get(reverse("health"))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["broker"] == "ok"
    assert body["dispatcher_last_pass_age_seconds"] < 5 and body["oldest_unsent_message_age_seconds"] == 0
    assert Heartbeat.objects.get(name="dispatcher").finished_at is not None


def test_health_fails_when_the_dispatcher_stops(clinic, settings):
    assert Client().get(reverse("health")).status_code == 503  # never ran
    engine.dispatcher.dispatch_tick()
    Heartbeat.objects.update(started_at=timezone.now() - timedelta(seconds=settings.HEALTH_MAX_TICK_AGE_SECONDS + 1))
    response = Client().get(reverse("health"))
    assert response.status_code == 503 and "is beat or every worker stopped?" in response.json()["problems"][0]


def test_health_fails_when_a_message_waits_too_long(clinic, settings):
    engine.dispatcher.dispatch_tick()
    _prompted_patient(clinic)
    engine.dispatcher.followups_queue_due(now=timezone.now())
    OutboundEmail.objects.update(
        created_at=timezone.now() - timedelta(seconds=settings.HEALTH_MAX_UNSENT_AGE_SECONDS + 5)
    )
    response = Client().get(reverse("health"))
    assert response.status_code == 503 and "unsent" in response.json()["problems"][0]


def test_each_pass_requests_the_heartbeat_url(clinic, settings):
    hits: list[str] = []

    class Monitor(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Monitor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.DISPATCH_HEARTBEAT_URL = f"http://127.0.0.1:{server.server_port}/ping/ivigtrack"
        engine.dispatcher.dispatch_tick()
        engine.dispatcher.dispatch_tick()
    finally:
        server.shutdown()
    assert hits == ["/ping/ivigtrack", "/ping/ivigtrack"]
    assert DeliveryAttempt.objects.count() == 0  # nothing was due: the ping says the pass ran, not that mail went


class _ReportArrivesMidPass(locmem.EmailBackend):
    """Accepts every message; while the third goes out, a patient reports a warning sign."""

    infusion = None

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        if len(mail.outbox) == 3:
            make_report(infusion=type(self).infusion, symptoms=[("breathing_trouble", "severe")])
        return sent


def test_a_severe_event_reported_during_a_long_pass_is_alerted_within_a_chunk(clinic, settings):
    clinician = ClinicianFactory(clinic=clinic)
    for n in range(25):
        _prompted_patient(clinic, email=f"p{n}@example.test")
    _ReportArrivesMidPass.infusion = InfusionFactory(patient=PatientFactory(clinic=clinic))
    settings.EMAIL_BACKEND = "tests.engine.test_delivery_faults._ReportArrivesMidPass"
    engine.dispatcher.dispatch_due()
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == 26
    # The alert goes out once the chunk in flight is done, not after all 25 prompts.
    assert recipients.index(clinician.email) <= engine.delivery.CLAIM_CHUNK
