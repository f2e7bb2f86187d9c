"""The follow-up and alert engine against real services: Celery worker + beat, Redis, PostgreSQL, SMTP."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reactions import services
from reactions.models import DeliveryAttempt, FollowUp, Heartbeat, OutboundEmail
from tests.factories import (
    ClinicAdminFactory,
    ClinicianFactory,
    InfusionFactory,
    PatientFactory,
    clinic_for_engine_tests,
)
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _due_prompts(count: int, clinic=None) -> list[FollowUp]:
    """Infusions that ended two hours ago: their +2 h prompt is due now."""
    clinic = clinic or clinic_for_engine_tests()
    followups = []
    for _ in range(count):
        patient = PatientFactory(clinic=clinic)
        now = timezone.now()
        infusion = InfusionFactory(
            patient=patient, started_at=now - timedelta(hours=5), ended_at=now - timedelta(hours=2)
        )
        services.followups.followups_sync(infusion=infusion)
        followups.append(infusion.followups.get(offset_hours=2))
    return followups


def _prompt_subjects(smtp) -> list[str]:
    return [m["Subject"] for m in smtp.messages if m["Subject"].startswith("How have you been since")]


def test_a_due_prompt_arrives_by_email_via_beat_and_worker(celery_procs, smtp):
    (followup,) = _due_prompts(1)
    celery_procs.worker()
    celery_procs.beat()

    wait_until(lambda: _prompt_subjects(smtp), timeout=30, what="the follow-up e-mail")

    message = smtp.messages[0]
    assert message["To"] == followup.patient.email
    body = message.get_body(("plain",)).get_content()
    assert "/f/" in body and "/report/" in body  # the one-tap and report links
    # The listener has the message a moment before the worker records it as sent.
    email = OutboundEmail.objects.get(followup=followup)
    wait_until(
        lambda: OutboundEmail.objects.filter(pk=email.pk, status=OutboundEmail.Status.SENT).exists(),
        timeout=10,
        what="the e-mail recorded as sent",
    )
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.PROMPTED
    assert followup.sent_at is not None
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.delivery_attempts.filter(succeeded=True).count() == 1


def test_a_severe_report_reaches_every_clinician_within_seconds(celery_procs, smtp):
    clinic = clinic_for_engine_tests()
    clinicians = [ClinicianFactory(clinic=clinic) for _ in range(2)]
    ClinicAdminFactory(clinic=clinic)  # admins hear only on escalation
    infusion = InfusionFactory(patient=PatientFactory(clinic=clinic))
    # No beat: the alert must travel by the task enqueued on commit, not wait for the sweep.
    celery_procs.worker()

    with transaction.atomic():
        submitted = time.monotonic()
        services.reports.report_create(
            infusion=infusion, symptoms=[services.reports.SymptomEntry("breathing_trouble", "severe", "during")]
        )

    def alerts():
        return [m for m in smtp.messages if m["Subject"].startswith("Emergency:")]

    wait_until(lambda: len(alerts()) == 2, timeout=10, what="two clinician alerts")
    latency = time.monotonic() - submitted
    assert latency < 10, f"alert took {latency:.1f}s"
    assert sorted(m["To"] for m in alerts()) == sorted(c.email for c in clinicians)
    # Trouble breathing: an emergency; the subject says so and never names the patient.
    assert all(infusion.patient.full_name not in m["Subject"] for m in alerts())
    print(f"severe report -> clinician e-mail: {latency:.2f}s")


def test_flushing_redis_loses_nothing(celery_procs, smtp, redis_client):
    clinic = clinic_for_engine_tests()
    ClinicianFactory(clinic=clinic)
    prompts = _due_prompts(3, clinic=clinic)
    infusion = InfusionFactory(patient=PatientFactory(clinic=clinic))
    with transaction.atomic():
        # With no worker running, this enqueues the urgent alert task in Redis…
        services.reports.report_create(
            infusion=infusion, symptoms=[services.reports.SymptomEntry("chest_pain", "severe", "1_6h")]
        )
    assert redis_client.llen("celery") >= 1
    redis_client.flushall()  # …and this wipes it, with everything else Redis held.
    assert redis_client.llen("celery") == 0

    celery_procs.worker()
    celery_procs.beat()

    wait_until(lambda: len(smtp.messages) == 4, timeout=40, what="3 prompts and 1 alert after the flush")
    assert sorted(m["To"] for m in smtp.messages if m["Subject"].startswith("How have you been")) == sorted(
        f.patient.email for f in prompts
    )
    assert sum(m["Subject"].startswith("Emergency:") for m in smtp.messages) == 1


def test_two_workers_dispatching_at_once_send_each_prompt_once(celery_procs, smtp):
    from reactions.tasks import dispatch_due

    prompts = _due_prompts(40)
    celery_procs.worker("w1", concurrency=2)
    celery_procs.worker("w2", concurrency=2)
    for _ in range(8):  # eight dispatcher passes racing on four processes
        dispatch_due.delay()

    wait_until(lambda: len(smtp.messages) >= 40, timeout=40, what="40 prompts")
    time.sleep(3)  # let any duplicate arrive before counting
    per_recipient = Counter(m["To"] for m in smtp.messages)
    assert len(smtp.messages) == 40, per_recipient.most_common(3)
    assert set(per_recipient) == {f.patient.email for f in prompts}
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == 40
    assert DeliveryAttempt.objects.filter(succeeded=True).count() == 40


def test_smtp_refusing_mail_is_retried_then_delivered_once(celery_procs, smtp):
    (followup,) = _due_prompts(1)
    smtp.refuse = True
    celery_procs.worker()
    celery_procs.beat()
    email_q = OutboundEmail.objects.filter(followup=followup)

    wait_until(lambda: DeliveryAttempt.objects.filter(succeeded=False).count() >= 2, timeout=40, what="two refusals")
    email = email_q.get()
    assert email.status in (OutboundEmail.Status.PENDING, OutboundEmail.Status.SENDING)
    assert email.sent_at is None and "451" in email.last_error
    assert not smtp.messages

    smtp.refuse = False
    wait_until(lambda: email_q.get().status == OutboundEmail.Status.SENT, timeout=40, what="delivery after recovery")
    time.sleep(2)
    assert len(smtp.messages) == 1
    email = email_q.get()
    failures = email.delivery_attempts.filter(succeeded=False).count()
    assert failures >= 2
    assert email.delivery_attempts.filter(succeeded=True).count() == 1
    assert email.attempts == failures + 1


def test_a_worker_killed_mid_batch_loses_nothing(celery_procs, smtp):
    prompts = _due_prompts(60)
    smtp.delay_seconds = 0.1  # a slow mail server: the batch takes seconds
    worker = celery_procs.worker("doomed", concurrency=1)
    celery_procs.beat()
    wait_until(lambda: len(smtp.messages) >= 10, timeout=30, what="the first messages of the batch")
    celery_procs.kill(worker)  # SIGKILL mid-batch
    delivered_before = len(smtp.messages)
    assert delivered_before < 60

    smtp.delay_seconds = 0
    celery_procs.worker("survivor")
    wait_until(
        lambda: {m["To"] for m in smtp.messages} >= {f.patient.email for f in prompts},
        timeout=60,
        what="every prompt after the crash",
    )
    # The message in flight at the kill reached the server but stays claimed until its lease ends.
    wait_until(
        lambda: not OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).exists(),
        timeout=30,
        what="every message recorded as sent",
    )
    time.sleep(1)
    per_recipient = Counter(m["To"] for m in smtp.messages)
    # The one message in flight at the kill may go out twice (the server took it, the
    # worker died before recording it); nothing is lost and nothing else is doubled.
    assert sum(n - 1 for n in per_recipient.values()) <= 1
    twice = [m["Message-ID"] for m in smtp.messages if per_recipient[m["To"]] > 1]
    assert len(set(twice)) <= 1  # and both copies are the same message


def test_a_dead_worker_delays_a_severe_alert_by_its_short_lease_only(celery_procs, smtp):
    clinic = clinic_for_engine_tests()
    clinicians = [ClinicianFactory(clinic=clinic) for _ in range(3)]
    infusion = InfusionFactory(patient=PatientFactory(clinic=clinic))
    smtp.delay_seconds = 2  # a slow mail server: the worker is killed while the first alert is in flight
    worker = celery_procs.worker("doomed", concurrency=1, EMAIL_URGENT_LEASE_SECONDS="5")
    with transaction.atomic():
        services.reports.report_create(
            infusion=infusion, symptoms=[services.reports.SymptomEntry("chest_pain", "severe", "1_6h")]
        )
    wait_until(
        lambda: OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING).exists(),
        timeout=10,
        what="the alerts claimed",
    )
    time.sleep(0.5)
    celery_procs.kill(worker)
    killed = time.monotonic()
    stuck = OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING).count()
    assert stuck >= 2  # claimed together, not yet tried

    smtp.delay_seconds = 0
    celery_procs.worker("survivor", EMAIL_URGENT_LEASE_SECONDS="5")
    celery_procs.beat()
    wanted = {c.email for c in clinicians}
    wait_until(lambda: {m["To"] for m in smtp.messages} >= wanted, timeout=30, what="every clinician's alert")
    took = time.monotonic() - killed
    # The lease (5 s here, a minute by default) and a dispatcher tick or two (2 s here): not 5 minutes.
    assert took < 5 + 3 * 2 + 5, f"alerts took {took:.1f}s after the crash"
    time.sleep(2)
    per_recipient: dict[str, set[str]] = {}
    for message in smtp.messages:
        per_recipient.setdefault(message["To"], set()).add(message["Message-ID"])
    # The alert in flight at the kill may arrive twice, but as the same message (one Message-ID each).
    assert all(len(ids) == 1 for ids in per_recipient.values()), per_recipient


def test_a_slow_mail_server_never_runs_a_task_into_celerys_time_limit(celery_procs, smtp):
    prompts = _due_prompts(12)
    smtp.delay_seconds = 1  # a second a message
    worker = celery_procs.worker(EMAIL_DELIVERY_BUDGET_SECONDS="3")
    celery_procs.beat()
    wait_until(
        lambda: {m["To"] for m in smtp.messages} >= {f.patient.email for f in prompts},
        timeout=90,
        what="every prompt through a slow server",
    )
    time.sleep(2)
    assert Counter(m["To"] for m in smtp.messages).most_common(1)[0][1] == 1  # no duplicates
    log = Path(worker.log_path).read_text()
    assert "TimeLimitExceeded" not in log and "SoftTimeLimitExceeded" not in log
    durations = [float(d) for d in re.findall(r"dispatch_due\[[^\]]+\] succeeded in ([0-9.]+)s", log)]
    assert durations and max(durations) < 3 + 2 * 1 + 2, durations  # the budget, plus the message in flight


def test_health_answers_503_once_beat_stops(celery_procs, smtp, settings):
    settings.HEALTH_MAX_TICK_AGE_SECONDS = 8
    celery_procs.worker()
    beat = celery_procs.beat()
    wait_until(
        lambda: Heartbeat.objects.filter(name="dispatcher", finished_at__isnull=False).exists(),
        timeout=30,
        what="a first dispatcher pass",
    )
    assert Client().get(reverse("health")).status_code == 200
    celery_procs.kill(beat)
    wait_until(lambda: Client().get(reverse("health")).status_code == 503, timeout=20, what="health to fail")
    assert "is beat or every worker stopped?" in Client().get(reverse("health")).json()["problems"][0]


def test_a_three_day_course_is_followed_up_from_its_last_day(celery_procs, smtp):
    """Three consecutive days, each logged when it ended: days 1 and 2 keep only their +2 h prompt, day 3
    gets the whole window; every prompt due goes out once through beat and the worker, cancelled ones never."""
    clinic = clinic_for_engine_tests()
    patient = PatientFactory(clinic=clinic, birth_year=1980, weight_kg=70)
    now = timezone.now()
    # An infusion long ago with the same product and lot: no "first infusion" rule adds prompts here.
    InfusionFactory(
        patient=patient,
        started_at=now - timedelta(days=90, hours=3),
        ended_at=now - timedelta(days=90),
        lot_number="C1",
    )
    days = []
    for k in (2, 1, 0):  # day 3 ended two hours ago: its +2 h prompt is due now
        end = now - timedelta(days=k, hours=2)
        day = InfusionFactory(patient=patient, started_at=end - timedelta(hours=3), ended_at=end, lot_number="C1")
        services.followups.followups_sync(infusion=day, now=end)  # logged as it ended
        days.append(day)

    def scheduled(day):
        return sorted(day.followups.filter(kind="prompt", status="scheduled").values_list("offset_hours", flat=True))

    def cancelled(day):
        return sorted(day.followups.filter(kind="prompt", status="cancelled").values_list("offset_hours", flat=True))

    window = [2, 24, 72, 168, 240, 336]
    assert [scheduled(d) for d in days] == [[2], [2], window]
    assert cancelled(days[0]) == cancelled(days[1]) == window[1:]
    # Time moves on through the rows' due times: day 3's last prompt (+14 d) comes due, and so do the
    # cancelled later prompts of days 1 and 2, which must stay unsent.
    days[2].followups.filter(offset_hours=336).update(due_at=now - timedelta(minutes=1))
    FollowUp.objects.filter(infusion__in=days[:2], status="cancelled").update(due_at=now - timedelta(minutes=1))
    celery_procs.worker()
    celery_procs.beat()

    wait_until(lambda: len(_prompt_subjects(smtp)) >= 4, timeout=40, what="the four prompts due")
    time.sleep(3)  # anything sent wrongly would arrive meanwhile
    assert len(_prompt_subjects(smtp)) == 4
    assert {m["To"] for m in smtp.messages} == {patient.email}
    sent = FollowUp.objects.filter(patient=patient, status=FollowUp.Status.PROMPTED)
    wait_until(lambda: sent.count() == 4, timeout=10, what="four prompts recorded as sent")
    assert sorted(sent.values_list("infusion_id", "offset_hours")) == sorted(
        [(days[0].pk, 2), (days[1].pk, 2), (days[2].pk, 2), (days[2].pk, 336)]
    )
    assert FollowUp.objects.filter(infusion__in=days[:2], status="cancelled").count() == 10
    assert OutboundEmail.objects.filter(followup__patient=patient).count() == 4
