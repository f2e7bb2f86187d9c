"""The demo data command."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reactions import services
from reactions.channels import channels_for
from reactions.models import (
    CareLink,
    Clinic,
    EventAssessment,
    Flag,
    Infusion,
    InfusionPlan,
    LotSignal,
    ReactionReport,
    User,
    Vitals,
)
from reactions.selectors import plans

pytestmark = pytest.mark.django_db


def _seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_seed_demo_creates_the_demo_clinic_and_is_idempotent(settings):
    settings.DEBUG = True
    output = _seed(password="demo-pass-123")
    assert "clinician@demo.test" in output and "demo-pass-123" in output
    counts = (User.objects.count(), Infusion.objects.count(), ReactionReport.objects.count(), Flag.objects.count())
    assert set(User.objects.values_list("email", flat=True)) == {
        "clinician@demo.test",
        "admin@demo.test",
        "patient1@demo.test",
        "patient2@demo.test",
        "patient3@demo.test",
        "carer1@demo.test",
    }
    # Sam has a caregiver (their partner), who belongs to no clinic.
    carer = User.objects.get(email="carer1@demo.test")
    assert (carer.role, carer.clinic) == (User.Role.CAREGIVER, None)
    assert [link.patient.email for link in CareLink.objects.active().filter(caregiver=carer)] == ["patient2@demo.test"]
    # Realistic data: an open severe event, a review flag, vitals, and the lot signal the demo is built to show.
    assert Flag.objects.filter(kind="severe_event", status="open").count() == 1
    assert Flag.objects.filter(kind="review").exists()
    assert Vitals.objects.filter(out_of_range=True).exists()
    assert LotSignal.objects.filter(lot_number="G7790C").exists()
    # One report of each tier, and one a caregiver phoned in that the nurse entered.
    assert set(ReactionReport.objects.values_list("tier", flat=True)) == {"emergency", "urgent", "routine"}
    phoned = ReactionReport.objects.get(source="caregiver")
    assert (phoned.tier, phoned.entered_by.email, phoned.care) == ("emergency", "clinician@demo.test", "urgent_care")
    # Patients can be called back, on numbers for fiction that reach nobody: Ofcom's drama range
    # (+44 7700 900xxx), and for Alex, who also gets texts, ACMA's fictional mobile (+61 491 570 156).
    phones = [p.phone_dial for p in User.objects.filter(role=User.Role.PATIENT).order_by("email")]
    assert phones == ["+61491570156", "+447700900202", "+447700900303"]
    assert [str(c) for c in channels_for(User.objects.get(email="patient1@demo.test"))] == ["email", "sms"]
    assert [str(c) for c in channels_for(User.objects.get(email="carer1@demo.test"))] == ["email", "sms"]
    assert "patient1@demo.test     (patient, e-mail and texts)" in output
    assert "carer1@demo.test       (caregiver of patient2@demo.test, e-mail and texts)" in output
    # Sam's next infusion waits for a plan after the severe event; Jo's event is assessed and has one.
    (needed,) = plans.clinic_plans_needed(clinic=Clinic.objects.get())
    assert needed.patient.email == "patient2@demo.test"
    assert needed.started_at - timezone.now() < timedelta(days=2)
    assert EventAssessment.objects.get().report.patient.email == "patient3@demo.test"
    assert InfusionPlan.objects.get().infusion.patient.email == "patient3@demo.test"
    _seed(password="demo-pass-123")
    assert (
        User.objects.count(),
        Infusion.objects.count(),
        ReactionReport.objects.count(),
        Flag.objects.count(),
    ) == counts
    assert Clinic.objects.count() == 1
    assert CareLink.objects.count() == 1


def test_the_demo_patient_on_texts_gets_their_prompt_as_a_file_under_the_sms_folder(settings, tmp_path):
    settings.DEBUG = True
    settings.SMS_URL = f"file://{tmp_path / 'sms'}"
    _seed(password="demo-pass-123")
    call_command("send_due", stdout=StringIO())
    (text,) = (tmp_path / "sms").iterdir()
    content = text.read_text()
    assert content.startswith("To: +61491570156\n") and "/s/f" in content and "Reply STOP" in content


def test_once_sams_plan_is_made_the_caregiver_gets_the_day_before_check_in_by_text(settings, tmp_path):
    settings.DEBUG = True
    settings.SMS_URL = f"file://{tmp_path / 'sms'}"
    _seed(password="demo-pass-123")
    call_command("send_due", stdout=StringIO())
    sam = User.objects.get(email="patient2@demo.test")
    tomorrow = sam.infusions.get(status=Infusion.Status.PLANNED)
    services.plans.infusion_plan_record(
        infusion=tomorrow, by=User.objects.get(email="clinician@demo.test"), decision="premedicate"
    )
    call_command("send_due", stdout=StringIO())
    texts = [path.read_text() for path in (tmp_path / "sms").iterdir()]
    (robins,) = [text for text in texts if text.startswith("To: +61491570157\n")]
    assert "the person you help has a visit tomorrow" in robins and "/s/c" in robins


def test_without_a_password_it_prints_a_generated_one_that_works(settings):
    settings.DEBUG = True
    output = _seed()
    password = output.split("Password for all of them: ")[1].split()[0]
    assert len(password) >= 12
    client = Client()
    response = client.post(reverse("login"), {"username": "patient1@demo.test", "password": password})
    assert response.status_code == 302


def test_demo_staff_pass_two_factor_with_a_printed_backup_code(settings):
    settings.DEBUG = True
    _seed(password="demo-pass-123")
    client = Client()
    client.post(reverse("login"), {"username": "clinician@demo.test", "password": "demo-pass-123"})
    assert client.get(reverse("clinic_flags")).status_code == 302
    client.post(reverse("two_factor_verify"), {"token": "demo0001"})
    assert client.get(reverse("clinic_flags")).status_code == 200


def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        _seed(password="x")
    assert not User.objects.exists()


def test_the_demo_caregiver_signs_in_and_helps_sam(settings):
    settings.DEBUG = True
    _seed(password="demo-pass-123")
    client = Client()
    client.post(reverse("login"), {"username": "carer1@demo.test", "password": "demo-pass-123"})
    home = client.get(reverse("home"), follow=True)
    assert "You are helping Sam" in home.content.decode()
