"""The follow-up and alert engine's rules, on the database, with mail delivered to Django's outbox
or to a real SMTP listener where delivery failures matter."""

from __future__ import annotations

import time as time_module
from datetime import time, timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reactions import engine, selectors, services
from reactions.models import DeliveryAttempt, DigestRun, Flag, FollowUp, OutboundEmail
from tests.factories import (
    ClinicAdminFactory,
    ClinicFactory,
    ClinicianFactory,
    InfusionFactory,
    PatientFactory,
    clinic_for_engine_tests,
    make_report,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_clinic():
    """A clinic without quiet hours or a digest due, so that tests do not depend on the hour."""
    return clinic_for_engine_tests()


def _given(patient, *, ended_ago=timedelta(hours=2)):
    now = timezone.now()
    infusion = services.infusions.infusion_create(
        patient=patient,
        logged_by=patient,
        status="given",
        started_at=now - ended_ago - timedelta(hours=3),
        ended_at=now - ended_ago,
        product="privigen",
    )
    return infusion


# --- Scheduling -----------------------------------------------------------------------------


def test_a_given_infusion_gets_its_four_prompts_in_the_same_transaction(open_clinic):
    infusion = _given(PatientFactory(clinic=open_clinic), ended_ago=timedelta(minutes=10))
    prompts = list(infusion.followups.filter(kind="prompt").order_by("due_at"))
    # The clinic's six prompts, and +6 h and +48 h because it is the patient's first infusion (H-30).
    expected = (2, 6, 24, 48, 72, 168, 240, 336)
    assert [p.offset_hours for p in prompts] == list(expected)
    assert [p.due_at - infusion.ended_at for p in prompts] == [timedelta(hours=h) for h in expected]
    assert all(p.status == FollowUp.Status.SCHEDULED for p in prompts)


def test_clinic_offsets_and_quiet_hours_apply():
    # The early window's exemption off, so that the +6 h prompt shows the quiet-hours shift.
    clinic = ClinicFactory(
        followup_offsets_hours=[6, 48],
        quiet_hours_start=time(22),
        quiet_hours_end=time(8),
        time_zone="UTC",
        quiet_hours_spare_early_window=False,
    )
    patient = PatientFactory(clinic=clinic)
    start = timezone.now().replace(hour=14, minute=0, second=0, microsecond=0) + timedelta(days=1)
    infusion = services.infusions.infusion_create(
        patient=patient,
        logged_by=patient,
        status="planned",
        started_at=start,
        ended_at=start + timedelta(hours=3),
        product="octagam",
    )
    services.infusions.infusion_update(infusion=infusion, status="given")
    due = dict(infusion.followups.filter(kind="prompt").values_list("offset_hours", "due_at"))
    assert sorted(due) == [6, 48]
    assert due[6].hour == 8 and due[6].date() == (start + timedelta(days=1)).date()  # 23:00 -> 08:00 next day
    assert due[48] == start + timedelta(hours=51)


def test_editing_the_end_reschedules_and_going_back_to_planned_cancels(open_clinic):
    infusion = _given(PatientFactory(clinic=open_clinic), ended_ago=timedelta(minutes=5))
    services.infusions.infusion_update(infusion=infusion, ended_at=infusion.ended_at + timedelta(minutes=30))
    assert infusion.followups.get(offset_hours=24).due_at == infusion.ended_at + timedelta(hours=24)
    services.infusions.infusion_update(
        infusion=infusion,
        status="planned",
        started_at=timezone.now() + timedelta(days=3),
        ended_at=timezone.now() + timedelta(days=3, hours=3),
    )
    assert set(infusion.followups.filter(kind="prompt").values_list("status", flat=True)) == {"cancelled"}
    assert infusion.followups.filter(kind="pre_infusion", status="scheduled").exists()


def test_deleting_an_infusion_cancels_its_unsent_messages(open_clinic):
    patient = PatientFactory(clinic=open_clinic)
    infusion = _given(patient)
    engine.dispatcher.dispatch_due()
    email = OutboundEmail.objects.get(kind=OutboundEmail.Kind.FOLLOWUP_PROMPT)
    OutboundEmail.objects.filter(pk=email.pk).update(status="pending", sent_at=None)  # as if not yet delivered
    services.infusions.infusion_delete(infusion=infusion)
    assert not FollowUp.objects.exists()
    assert OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.Status.CANCELLED


def test_a_late_logged_infusion_gets_no_burst_of_stale_prompts(open_clinic):
    infusion = _given(PatientFactory(clinic=open_clinic), ended_ago=timedelta(days=4))
    assert list(infusion.followups.values_list("offset_hours", flat=True)) == [168, 240, 336]


# --- Dispatch -----------------------------------------------------------------------------------


def test_a_due_prompt_is_sent_once_however_often_the_dispatcher_runs(open_clinic):
    patient = PatientFactory(clinic=open_clinic)
    infusion = _given(patient)
    first = engine.dispatcher.dispatch_due()
    second = engine.dispatcher.dispatch_due()
    assert (first.prompts_queued, first.delivery.sent) == (1, 1)
    assert (second.prompts_queued, second.delivery.sent) == (0, 0)
    (message,) = mail.outbox
    assert message.to == [patient.email]
    assert message.subject.startswith("How have you been since")
    # Minimum health data: the infusion date, two links, nothing about products or symptoms.
    assert "privigen" not in message.body.lower()
    assert "/f/" in message.body and "/report/" in message.body and "/email/" in message.body
    followup = infusion.followups.get(offset_hours=2)
    assert followup.status == FollowUp.Status.PROMPTED and followup.sent_at is not None


def test_prompts_wait_out_quiet_hours_at_dispatch_time_too():
    now = timezone.now()
    local_hour = now.hour
    clinic = ClinicFactory(
        time_zone="UTC", quiet_hours_start=time((local_hour - 1) % 24), quiet_hours_end=time((local_hour + 2) % 24)
    )
    patient = PatientFactory(clinic=clinic)
    infusion = InfusionFactory(patient=patient)
    FollowUp.objects.create(infusion=infusion, patient=patient, offset_hours=2, due_at=now - timedelta(minutes=1))
    assert engine.dispatcher.dispatch_due().prompts_queued == 0
    assert FollowUp.objects.get().status == FollowUp.Status.SCHEDULED


@pytest.mark.parametrize("choice", ["pause", "stop"])
def test_paused_or_stopped_patients_get_no_prompt(open_clinic, choice):
    patient = PatientFactory(clinic=open_clinic)
    _given(patient)
    services.accounts.patient_followups_set(patient=patient, choice=choice)
    engine.dispatcher.dispatch_due()
    assert not mail.outbox
    assert FollowUp.objects.get(offset_hours=2).status == FollowUp.Status.SKIPPED


def test_one_reminder_then_no_response_becomes_a_flag(open_clinic):
    patient = PatientFactory(clinic=open_clinic)
    _given(patient)
    engine.dispatcher.dispatch_due()
    followup = FollowUp.objects.get(offset_hours=2)
    FollowUp.objects.filter(pk=followup.pk).update(sent_at=timezone.now() - timedelta(hours=25))
    assert engine.dispatcher.dispatch_due().reminders_queued == 1
    assert engine.dispatcher.dispatch_due().reminders_queued == 0  # only one reminder
    assert [m.subject.startswith("Reminder") for m in mail.outbox] == [False, True]
    FollowUp.objects.filter(pk=followup.pk).update(reminder_sent_at=timezone.now() - timedelta(hours=25))
    assert engine.dispatcher.dispatch_due().no_response == 1
    flag = Flag.objects.get(kind=Flag.Kind.NO_RESPONSE)
    assert (flag.followup_id, flag.patient, flag.clinic) == (followup.pk, patient, open_clinic)
    assert selectors.clinic.clinic_open_items(clinic=open_clinic).no_response == 1


def test_reporting_in_the_app_answers_the_open_prompt_and_drops_its_pending_reminder(open_clinic):
    patient = PatientFactory(clinic=open_clinic)
    infusion = _given(patient)
    engine.dispatcher.dispatch_due()
    followup = FollowUp.objects.get(offset_hours=2)
    reminder = services.outbox.email_queue(
        kind="followup_reminder",
        template="followup-reminder",
        to_user=patient,
        context={"infusion": infusion, "no_symptoms_url": "x", "report_url": "y"},
        followup=followup,
    )
    report = make_report(infusion=infusion, symptoms=[("fatigue", "mild")])
    followup.refresh_from_db()
    assert (followup.status, followup.answer, followup.report) == ("answered", "reported", report)
    assert OutboundEmail.objects.get(pk=reminder.pk).status == OutboundEmail.Status.CANCELLED
    assert infusion.followups.get(offset_hours=24).status == FollowUp.Status.SCHEDULED  # later prompts still ask


def test_the_day_before_reminder_says_drink_plenty_of_fluids(open_clinic):
    patient = PatientFactory(clinic=open_clinic)
    start = timezone.now() + timedelta(hours=23)
    services.infusions.infusion_create(
        patient=patient,
        logged_by=patient,
        status="planned",
        started_at=start,
        ended_at=start + timedelta(hours=3),
        product="privigen",
    )
    engine.dispatcher.dispatch_due()
    (message,) = mail.outbox
    assert "drink plenty of fluids" in message.body.lower()
    assert FollowUp.objects.get(kind="pre_infusion").status == FollowUp.Status.DONE


# --- Severe alerts and escalation ---------------------------------------------------------------


def test_severe_alert_goes_to_every_clinician_then_escalates_to_admins_until_acknowledged(open_clinic):
    clinicians = [ClinicianFactory(clinic=open_clinic) for _ in range(2)]
    admin = ClinicAdminFactory(clinic=open_clinic)
    ClinicianFactory()  # another clinic: never told
    patient = PatientFactory(clinic=open_clinic, full_name="Robin Example")
    flag = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("throat_swelling", "mild")]).flags.get()

    engine.dispatcher.dispatch_due()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.email for c in clinicians)
    # The subject, seen on lock screens and in mail logs, says how urgent, never who.
    assert all(m.subject == "Emergency: a patient was told to call an ambulance" for m in mail.outbox)
    assert all("Robin Example" in m.body and 'triaged as "Emergency"' in m.body for m in mail.outbox)
    assert all(reverse("flag_detail", args=[flag.pk]) in m.body for m in mail.outbox)
    assert "throat" not in mail.outbox[0].body.lower()  # names the patient, no symptom
    mail.outbox.clear()

    engine.dispatcher.dispatch_due()
    assert not mail.outbox  # not yet 30 minutes
    later = timezone.now() + timedelta(minutes=31)
    engine.dispatcher.flags_queue_alerts(now=later)
    engine.delivery.email_deliver(now=later)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([c.email for c in clinicians] + [admin.email])
    assert all("ESCALATION" in m.subject for m in mail.outbox)
    flag.refresh_from_db()
    assert flag.alerts_sent == 2 and flag.next_alert_at == later + timedelta(minutes=60)

    services.triage.flag_acknowledge(flag=flag, by=clinicians[0])
    mail.outbox.clear()
    engine.dispatcher.flags_queue_alerts(now=later + timedelta(hours=3))
    engine.delivery.email_deliver(now=later + timedelta(hours=3))
    assert not mail.outbox


def test_a_severe_report_enqueues_its_alert_on_commit(open_clinic, django_capture_on_commit_callbacks):
    ClinicianFactory(clinic=open_clinic)
    with django_capture_on_commit_callbacks() as callbacks:
        make_report(
            infusion=InfusionFactory(patient=PatientFactory(clinic=open_clinic)), symptoms=[("blue_lips", "mild")]
        )
    assert len(callbacks) == 1  # the alert task leaves only once the report is committed


# --- Daily reminder -----------------------------------------------------------------------------


def test_daily_reminder_once_a_day_only_when_something_is_open():
    clinic = ClinicFactory(time_zone="UTC", daily_reminder_at=time(8))
    clinician = ClinicianFactory(clinic=clinic)
    morning = timezone.now().replace(hour=9, minute=0)
    assert engine.dispatcher.digests_queue(now=morning) == 0  # nothing open: no e-mail
    assert DigestRun.objects.filter(clinic=clinic).count() == 1
    make_report(infusion=InfusionFactory(patient=PatientFactory(clinic=clinic)), symptoms=[("rash", "severe")])
    assert engine.dispatcher.digests_queue(now=morning + timedelta(hours=1)) == 0  # already ran today
    tomorrow_early = morning + timedelta(days=1, hours=-2)  # 07:00
    assert engine.dispatcher.digests_queue(now=tomorrow_early) == 0
    assert engine.dispatcher.digests_queue(now=tomorrow_early + timedelta(hours=2)) == 1
    email = OutboundEmail.objects.get(kind=OutboundEmail.Kind.DAILY_DIGEST)
    assert email.to_email == clinician.email and "1 open item" in email.subject


# --- Delivery: real SMTP -------------------------------------------------------------------------


def _one_pending_email(open_clinic) -> OutboundEmail:
    patient = PatientFactory(clinic=open_clinic)
    return services.outbox.email_queue(
        kind="pre_infusion",
        template="pre-infusion",
        to_user=patient,
        context={"infusion": InfusionFactory(patient=patient)},
    )


def test_a_temporary_smtp_refusal_is_recorded_and_retried_never_marked_sent(open_clinic, smtp):
    email = _one_pending_email(open_clinic)
    smtp.refuse = True
    result = engine.delivery.email_deliver()
    email.refresh_from_db()
    assert (result.sent, result.retrying) == (0, 1)
    assert email.status == OutboundEmail.Status.PENDING and email.sent_at is None
    assert email.due_at > timezone.now() and "451" in email.last_error
    assert DeliveryAttempt.objects.get().succeeded is False

    assert engine.delivery.email_deliver().sent == 0  # backing off: not due yet
    smtp.refuse = False
    result = engine.delivery.email_deliver(now=email.due_at + timedelta(seconds=1))
    email.refresh_from_db()
    assert result.sent == 1 and email.status == OutboundEmail.Status.SENT and email.attempts == 2
    assert len(smtp.messages) == 1
    assert list(email.delivery_attempts.values_list("succeeded", flat=True)) == [False, True]


def test_a_permanent_refusal_fails_without_retry(open_clinic, smtp):
    email = _one_pending_email(open_clinic)
    smtp.reject_recipients = True
    assert engine.delivery.email_deliver().failed == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED and "550" in email.last_error


def test_an_unreachable_mail_server_is_retried(open_clinic, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on the discard port
    email = _one_pending_email(open_clinic)
    assert engine.delivery.email_deliver().retrying == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.PENDING and email.attempts == 1


def test_a_row_abandoned_mid_send_by_a_dead_worker_is_recovered(open_clinic):
    email = _one_pending_email(open_clinic)
    claimed = timezone.now() - timedelta(minutes=10)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status="sending", claimed_at=claimed, lease_until=claimed + timedelta(minutes=5), attempts=1
    )
    result = engine.delivery.email_deliver()
    assert (result.recovered, result.sent) == (1, 1)
    assert list(DeliveryAttempt.objects.values_list("succeeded", "error")) == [
        (False, "worker stopped mid-send"),
        (True, ""),
    ]


class _SlowBackend(locmem.EmailBackend):
    """A mail server that accepts every message, slowly."""

    def send_messages(self, messages):
        time_module.sleep(0.2)
        return super().send_messages(messages)


def test_a_slow_mail_server_never_lets_a_claimed_row_outlive_its_lease(open_clinic, settings):
    # Rows are claimed in chunks; if sending the chunk takes too long, the rest goes back to pending
    # (and is claimed afresh) well before the lease would let another worker recover (and send again)
    # a row still held.
    settings.EMAIL_BACKEND = "tests.engine.test_followups._SlowBackend"
    settings.EMAIL_SENDING_LEASE_SECONDS = 0.45  # a third of it: less than one slow message
    emails = [_one_pending_email(open_clinic) for _ in range(4)]
    assert engine.delivery.email_deliver().sent == 4
    assert not OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING).exists()
    held = [a.finished_at - a.started_at for a in DeliveryAttempt.objects.all()]
    assert len(held) == 4 and max(held) < timedelta(seconds=0.45), held  # claimed to sent, within the lease
    assert set(OutboundEmail.objects.values_list("attempts", flat=True)) == {1}  # a give-back is not a try
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.to_email for e in emails)  # each exactly once


class _BrokenAfterTwoBackend(locmem.EmailBackend):
    """Accepts two messages, then the worker fails in a way no one planned for."""

    def send_messages(self, messages):
        if len(mail.outbox) >= 2:
            raise RuntimeError("the worker broke mid-chunk")
        return super().send_messages(messages)


class _RecordCheckingBackend(locmem.EmailBackend):
    """Before it takes a message, fails the test if one it took earlier is not yet recorded SENT."""

    def send_messages(self, messages):
        assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == len(mail.outbox)
        return super().send_messages(messages)


def test_each_accepted_message_is_recorded_before_the_next_goes(open_clinic, settings):
    settings.EMAIL_BACKEND = "tests.engine.test_followups._RecordCheckingBackend"
    infusions = [_given(PatientFactory(clinic=open_clinic)) for _ in range(3)]
    assert engine.dispatcher.dispatch_due().delivery.sent == 3
    followups = FollowUp.objects.filter(infusion__in=infusions, offset_hours=2)
    FollowUp.objects.filter(pk=followups[0].pk).update(sent_at=timezone.now() - timedelta(hours=25))
    assert engine.dispatcher.dispatch_due().delivery.sent == 1  # the first patient's reminder
    emails = list(OutboundEmail.objects.all())
    assert len(emails) == 4 and all(e.status == OutboundEmail.Status.SENT for e in emails)
    attempts = dict(DeliveryAttempt.objects.filter(succeeded=True).values_list("email_id", "finished_at"))
    assert attempts == {e.pk: e.sent_at for e in emails}  # one attempt each, with the message's own time
    reminder = next(e for e in emails if e.kind == OutboundEmail.Kind.FOLLOWUP_REMINDER)
    for followup in followups:
        prompt = next(
            e for e in emails if e.followup_id == followup.pk and e.kind == OutboundEmail.Kind.FOLLOWUP_PROMPT
        )
        if followup.pk == reminder.followup_id:  # the prompt's time (moved back above) is kept
            assert (followup.sent_at < prompt.sent_at, followup.reminder_sent_at) == (True, reminder.sent_at)
        else:
            assert (followup.sent_at, followup.reminder_sent_at) == (prompt.sent_at, None)


def test_what_the_server_accepted_is_recorded_even_if_the_worker_breaks_mid_chunk(open_clinic, settings):
    settings.EMAIL_BACKEND = "tests.engine.test_followups._BrokenAfterTwoBackend"
    emails = [_one_pending_email(open_clinic) for _ in range(4)]
    with pytest.raises(RuntimeError):
        engine.delivery.email_deliver()
    statuses = list(OutboundEmail.objects.order_by("pk").values_list("status", flat=True))
    # The two accepted are SENT; the rest of the chunk stays claimed until the lease recovery retries it.
    assert statuses == [OutboundEmail.Status.SENT] * 2 + [OutboundEmail.Status.SENDING] * 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.to_email for e in emails[:2])


# --- The links in follow-up e-mails --------------------------------------------------------------


@pytest.fixture
def prompted(open_clinic):
    patient = PatientFactory(clinic=open_clinic)
    infusion = _given(patient)
    engine.dispatcher.dispatch_due()
    followup = infusion.followups.get(offset_hours=2)
    return followup, services.links.followup_token(followup=followup)


def test_opening_the_one_tap_link_records_nothing_only_the_button_does(prompted):
    followup, token = prompted
    client = Client()
    url = reverse("followup_answer", args=[token])
    for _ in range(3):  # a mail scanner, a link preview, the patient
        page = client.get(url)
        assert page.status_code == 200 and "No new symptoms" in page.content.decode()
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUp.Status.PROMPTED
    done = client.post(url)
    assert "noted" in done.content.decode()
    followup.refresh_from_db()
    assert (followup.status, followup.answer) == ("answered", "no_symptoms")
    again = client.post(url)
    assert "already answered" in again.content.decode()
    assert FollowUp.objects.get(pk=followup.pk).answered_at == followup.answered_at


def test_the_link_reveals_nothing_else_and_opens_nothing_else(prompted):
    followup, token = prompted
    client = Client()
    page = client.get(reverse("followup_answer", args=[token])).content.decode()
    assert followup.patient.email not in page and followup.patient.full_name not in page
    assert reverse("infusion_detail", args=[followup.infusion_id]) not in page
    assert client.get(reverse("home")).status_code == 302  # still signed out
    assert client.get(reverse("infusion_detail", args=[followup.infusion_id])).status_code == 302


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + "zz", lambda t: "nonsense"])
def test_tampered_follow_up_links_are_refused_clearly(prompted, mangle):
    _, token = prompted
    response = Client().post(reverse("followup_answer", args=[mangle(token)]))
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert not FollowUp.objects.filter(status="answered").exists()


def test_expired_follow_up_links_are_refused(prompted, settings):
    _, token = prompted
    settings.FOLLOWUP_LINK_MAX_AGE = -1
    response = Client().get(reverse("followup_report", args=[token]))
    assert response.status_code == 400 and "expired" in response.content.decode()


def test_reporting_through_the_link_shows_urgent_care_for_a_warning_sign(prompted):
    followup, token = prompted
    url = reverse("followup_report", args=[token])
    assert "Any of these warning signs?" in Client().get(url).content.decode()
    response = Client().post(
        url, {"s_dark_urine": "on", "s_dark_urine_grade": "moderate", "s_dark_urine_onset": "1_6h", "notes": ""}
    )
    page = response.content.decode()
    # Dark urine: urgent, today. One number to call, the clinic's; the ambulance only if it gets worse.
    assert response.status_code == 200 and "Call your clinic now" in page
    assert f'href="tel:{followup.patient.clinic.out_of_hours_phone}"' in page and 'href="tel:999"' not in page
    followup.refresh_from_db()
    assert followup.status == "answered" and followup.report.is_severe


def test_email_preferences_link_get_changes_nothing_post_pauses(prompted):
    followup, _ = prompted
    url = reverse("email_preferences", args=[services.links.email_preferences_token(user=followup.patient)])
    Client().get(url)
    followup.patient.refresh_from_db()
    assert followup.patient.followup_state == "on"
    Client().post(url, {"choice": "pause"})
    followup.patient.refresh_from_db()
    assert followup.patient.followup_state == "paused"
    assert followup.patient.followups_paused_until > timezone.now() + timedelta(days=29)
    Client().post(url, {"choice": "stop"})
    followup.patient.refresh_from_db()
    assert followup.patient.followup_state == "stopped" and followup.patient.followups_stopped_at is not None


def test_clinic_admin_changes_follow_up_settings_with_errors_at_the_field(login, clinic_admin, clinician):
    url = reverse("clinic_settings")
    clinic = clinic_admin.clinic
    data = {
        "name": clinic.name,
        "message_sender_name": "ivigtrack",
        "country": "GB",
        "out_of_hours_phone": "+44 20 7946 0000",
        "opens_at": "08:00",
        "closes_at": "18:00",
        "open_days": ["0", "1", "2", "3", "4"],
        "time_zone": "Europe/London",
        "quiet_hours_start": "21:00",
        "quiet_hours_end": "07:30",
        "prompt_reminder_after_hours": "12",
        "escalation_after_minutes": "15",
        "escalation_repeat_minutes": "30",
        "daily_reminder_at": "07:45",
        "followup_offsets": "4, 24, 168",
    }
    bad = login(clinic_admin).post(url, {**data, "followup_offsets": "2, soon"})
    assert "not a whole number" in bad.context["form"].errors["followup_offsets"][0]
    assert login(clinic_admin).post(url, data).status_code == 302
    clinic.refresh_from_db()
    assert clinic.followup_offsets_hours == [4, 24, 168] and clinic.escalation_after_minutes == 15
    assert login(clinician).get(url).status_code == 404
