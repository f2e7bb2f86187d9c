"""Create a demo clinic with realistic data, for trying ivigtrack by hand.

Idempotent: running it again resets the demo passwords and adds nothing twice.
Refuses to run with DEBUG off, so it can never touch a production database.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from reactions import services
from reactions.models import (
    CareLink,
    Clinic,
    EventAssessment,
    Flag,
    Infusion,
    InfusionPlan,
    ReactionReport,
    ReportSource,
    User,
)
from reactions.services.reports import SymptomEntry

CLINIC_NAME = "Demo Neurology Clinic"
STAFF = [
    ("clinician@demo.test", "Dr Nadia Okafor", User.Role.CLINICIAN),
    ("admin@demo.test", "Chris Admin", User.Role.CLINIC_ADMIN),
]
DEMO_BACKUP_CODES = [f"demo{n:04d}" for n in range(1, 11)]
# Phone numbers from Ofcom's range for drama (07700 900000–900999): they reach nobody. libphonenumber counts
# them as invalid, so Alex, who gets texts as well as e-mails, has one of the Australian regulator's (ACMA)
# mobile numbers for fiction (0491 570 156): valid as a mobile, and it too reaches nobody.
SMS_DEMO_PHONE = "+61491570156"
CAREGIVER_SMS_DEMO_PHONE = "+61491570157"
PATIENTS = [
    ("patient1@demo.test", "Alex Morgan", SMS_DEMO_PHONE),
    ("patient2@demo.test", "Sam Rivera", "+447700900202"),
    ("patient3@demo.test", "Jo Chen", "+447700900303"),
]
# Sam's partner, whom Sam invited as a caregiver: their own account, Sam's follow-up pages only; Sam's
# questions come to them by e-mail and by text.
CAREGIVER = ("carer1@demo.test", "Robin Rivera", "patient2@demo.test")


class Command(BaseCommand):
    help = "Create (or refresh) the demo clinic, staff and patients. Only with DEBUG on."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="Password for every demo account (default: a generated one, printed).")

    def handle(self, *args: Any, password: str | None = None, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: it must never touch a production database.")
        password = password or secrets.token_urlsafe(12)
        with transaction.atomic():
            clinic, _ = Clinic.objects.get_or_create(
                name=CLINIC_NAME,
                defaults={
                    # Ofcom's drama numbers: they reach nobody. Open Monday to Friday, 08:00-18:00.
                    "phone": "+44 20 7946 0100",
                    "out_of_hours_phone": "+44 20 7946 0999",
                    "time_zone": "Europe/London",
                    # Quiet hours off in the demo (start == end), so that the follow-up of the infusion
                    # that ended two hours ago arrives within a minute at any hour. Real clinics
                    # default to 22:00–08:00.
                    "quiet_hours_start": time(0, 0),
                    "quiet_hours_end": time(0, 0),
                },
            )
            for email, name, role in STAFF:
                staff = self._user(email=email, name=name, role=role, clinic=clinic, password=password)
                self._demo_backup_codes(staff)
            patients = [
                self._user(
                    email=email, name=name, role=User.Role.PATIENT, clinic=clinic, password=password, phone=phone
                )
                for email, name, phone in PATIENTS
            ]
            # Alex's follow-up prompts go by text too: written under var/sms/ with the file backend.
            texts = patients[0]
            texts.phone, texts.notify_sms, texts.sms_stopped_at = SMS_DEMO_PHONE, True, None
            texts.save(update_fields=["phone", "notify_sms", "sms_stopped_at"])
            clinician = User.objects.get(email=STAFF[0][0])
            created = [self._history(patient, clinician, seed) for seed, patient in enumerate(patients)]
            self._caregiver(password=password)
        self.stdout.write(
            self.style.SUCCESS(f"Demo clinic ready: {clinic.name} ({sum(created)} patients given history).")
        )
        self.stdout.write("Sign in at /accounts/login/ with any of:")
        for email, _name, role in STAFF:
            self.stdout.write(f"  {email:<22} ({role.label.lower()})")
        for email, _name, phone in PATIENTS:
            self.stdout.write(f"  {email:<22} (patient{', e-mail and texts' if phone == SMS_DEMO_PHONE else ''})")
        self.stdout.write(f"  {CAREGIVER[0]:<22} (caregiver of {CAREGIVER[2]}, e-mail and texts)")
        self.stdout.write(f"Password for all of them: {password}")
        self.stdout.write(
            "Clinicians and admins also need two-factor sign-in: use a demo backup code "
            f"({', '.join(DEMO_BACKUP_CODES[:3])} … {DEMO_BACKUP_CODES[-1]}; "
            "each works once, reset by every seed_demo)."
        )

    def _demo_backup_codes(self, user: User) -> None:
        """Known single-use codes so that a newcomer can pass two-factor sign-in without an app."""
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name="Demo backup codes", defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in DEMO_BACKUP_CODES)

    def _user(self, *, email: str, name: str, role: str, clinic: Clinic, password: str, phone: str = "") -> User:
        user, _ = User.objects.get_or_create(email=email, defaults={"full_name": name, "role": role, "clinic": clinic})
        user.set_password(password)
        # Saved as they are: libphonenumber counts drama numbers as invalid, and a form would refuse them.
        if phone and not user.phone:
            user.phone = phone
        user.save(update_fields=["password", "phone"])
        return user

    def _caregiver(self, *, password: str) -> None:
        """Sam's partner, as if they had accepted Sam's invitation: no clinic, one active link."""
        email, name, patient_email = CAREGIVER
        patient = User.objects.get(email=patient_email)
        caregiver, _ = User.objects.get_or_create(
            email=email,
            defaults={"full_name": name, "role": User.Role.CAREGIVER, "clinic": None, "time_zone": "Europe/London"},
        )
        caregiver.set_password(password)
        caregiver.phone, caregiver.notify_sms, caregiver.sms_stopped_at = CAREGIVER_SMS_DEMO_PHONE, True, None
        caregiver.save(update_fields=["password", "phone", "notify_sms", "sms_stopped_at"])
        if not CareLink.objects.active().filter(patient=patient, caregiver=caregiver).exists():
            CareLink.objects.create(patient=patient, caregiver=caregiver, invited_by=patient)

    def _history(self, patient: User, clinician: User, seed: int) -> bool:
        """Give a patient infusions and reports, once."""
        if patient.infusions.exists():
            return False
        now = timezone.now()
        if seed == 0:
            # Alex: four months of monthly Privigen, headaches that eased once premedication was
            # added and the rate slowed; vitals and rate steps recorded by the nurse; an infusion that
            # ended two hours ago (its first follow-up is due), and the next one planned.
            patient.indication = User.Indication.RRMS_DMT_FAILED
            patient.birth_year, patient.weight_kg = 1979, Decimal("68")
            for months_ago in (4, 3, 2, 1):
                start = now - timedelta(days=30 * months_ago, hours=2)
                premed = months_ago <= 2
                infusion = self._given(patient, start, Infusion.Product.PRIVIGEN, f"P1004{months_ago}7", premed=premed)
                self._nursing(infusion, clinician, top_rate=Decimal("4.8") if not premed else Decimal("2.4"))
                # The oldest headache was graded severe: a routine report that a clinician reviews.
                grade = {4: "severe", 3: "moderate"}.get(months_ago, "mild")
                self._report(
                    infusion,
                    [SymptomEntry("headache", grade, "6_24h"), SymptomEntry("fatigue", "mild", "1_3d")],
                    at=start + timedelta(days=2),
                )
            recent = self._given(patient, now - timedelta(hours=5), Infusion.Product.PRIVIGEN, "P100511", premed=True)
            self._nursing(recent, clinician, top_rate=Decimal("2.4"), fever=True)
            self._planned(patient, now + timedelta(days=27), Infusion.Product.PRIVIGEN)
        elif seed == 1:
            # Sam: after last week's Gamunex-C, a painful swollen leg two days later: an open severe event, and
            # the next infusion tomorrow shows "plan needed".
            patient.indication = User.Indication.PREGNANCY
            # Postpartum: a clot risk, so extra follow-up at +48 h and +120 h (reactions/domain/followup_risk.py).
            patient.birth_year, patient.weight_kg, patient.pregnancy_postpartum = 1991, Decimal("62"), True
            earlier = self._given(patient, now - timedelta(days=35), Infusion.Product.GAMUNEX_C, "G7731A")
            self._report(
                earlier,
                [SymptomEntry("chills", "mild", "during"), SymptomEntry("nausea", "mild", "within_1h")],
                at=earlier.ended_at + timedelta(hours=2),
            )
            # That evening Sam's partner phoned the clinic: swollen lips and hives. The nurse entered it
            # (an emergency), told them to call 999, and closed it once Sam was home from A&E.
            phoned = self._report(
                earlier,
                [
                    SymptomEntry("throat_swelling", "moderate", "1_6h"),
                    SymptomEntry("widespread_hives", "moderate", "1_6h"),
                ],
                at=earlier.ended_at + timedelta(hours=5),
                notes="Partner phoned: lips swollen, hives on the chest. Told to call 999 now.",
                care="urgent_care",
                source=ReportSource.CAREGIVER,
                entered_by=clinician,
            )
            emergency = phoned.flags.get(kind=Flag.Kind.SEVERE_EVENT)
            services.triage.flag_acknowledge(flag=emergency, by=clinician, note="Entered from the phone call.")
            services.triage.flag_close(
                flag=emergency,
                by=clinician,
                outcome=Flag.Outcome.EMERGENCY_VISIT,
                note="Treated in A&E with antihistamine; home the same night. Premedication from now on.",
            )
            last = self._given(patient, now - timedelta(days=3), Infusion.Product.GAMUNEX_C, "G7790C")
            self._report(
                last,
                [
                    SymptomEntry("painful_swollen_limb", "severe", "1_3d", ongoing=True),
                    SymptomEntry("headache", "moderate", "6_24h"),
                ],
                at=now - timedelta(hours=1),
                notes="Left calf swollen and warm since yesterday evening.",
            )
            # The next infusion is tomorrow: after the severe event it needs a clinician's plan first, and
            # Sam's day-before reminder waits for it.
            self._planned(patient, now + timedelta(days=1), Infusion.Product.GAMUNEX_C)
        else:
            # Jo: first infusion, Gamunex-C from the same lot as Sam's: a severe headache with a stiff
            # neck (aseptic meningitis signs), treated in clinic and closed; together with Sam's event
            # it raises a lot signal. The very severe headache also left a review flag. The event is assessed
            # (seriousness, causality, action, outcome) and the next infusion, tomorrow, has a plan: slower.
            patient.indication = User.Indication.RELAPSE
            first = self._given(patient, now - timedelta(days=6), Infusion.Product.GAMUNEX_C, "G7790C")
            report = self._report(
                first,
                [
                    SymptomEntry("headache", "very_severe", "1_3d"),
                    SymptomEntry("headache_stiff_neck", "severe", "1_3d"),
                ],
                at=now - timedelta(days=4),
            )
            severe = report.flags.get(kind=Flag.Kind.SEVERE_EVENT)
            services.triage.flag_acknowledge(flag=severe, by=clinician, note="Called Jo; seen in clinic the same day.")
            services.triage.flag_close(
                flag=severe,
                by=clinician,
                outcome=Flag.Outcome.TREATED_IN_CLINIC,
                note="Aseptic meningitis, resolved with analgesia and fluids. Next infusion slower.",
            )
            services.pharmacovigilance.event_assessment_record(
                report=report,
                by=clinician,
                criteria=[EventAssessment.Seriousness.MEDICALLY_IMPORTANT],
                causality=EventAssessment.Causality.PROBABLE,
                action_taken=EventAssessment.ActionTaken.RATE_REDUCED,
                outcome=EventAssessment.Outcome.RECOVERED,
                note="Aseptic meningitis after a first high-dose infusion; no other cause found.",
            )
            planned = self._planned(patient, now + timedelta(days=1), Infusion.Product.GAMUNEX_C)
            services.plans.infusion_plan_record(
                infusion=planned,
                by=clinician,
                decision=InfusionPlan.Decision.SLOWER_RATE,
                note="Start at 0.5 mL/kg/h, no faster than 2; two litres of fluids the day before.",
            )
        patient.save(update_fields=["indication", "birth_year", "weight_kg", "pregnancy_postpartum"])
        return True

    def _nursing(self, infusion: Infusion, nurse: User, *, top_rate: Decimal, fever: bool = False) -> None:
        """Rate started slowly and raised while there was no reaction; vitals at start, during, end."""
        start = infusion.started_at
        for minutes, rate in ((0, Decimal("0.5")), (30, Decimal("1.0")), (60, top_rate)):
            services.infusions.rate_change_record(
                infusion=infusion, by=nurse, changed_at=start + timedelta(minutes=minutes), rate=rate, unit="ml_kg_h"
            )
        readings = [
            ("start", 0, 122, 78, 72, Decimal("36.8")),
            ("during", 90, 128, 80, 78, Decimal("37.1")),
            ("end", 175, 118, 76, 74, Decimal("38.2") if fever else Decimal("37.0")),
        ]
        for phase, minutes, systolic, diastolic, pulse, temperature in readings:
            services.infusions.vitals_record(
                infusion=infusion,
                by=nurse,
                phase=phase,
                recorded_at=start + timedelta(minutes=minutes),
                systolic=systolic,
                diastolic=diastolic,
                pulse=pulse,
                temperature=temperature,
            )

    def _given(self, patient: User, start: datetime, product: str, lot: str, premed: bool = False) -> Infusion:
        return services.infusions.infusion_create(
            patient=patient,
            logged_by=patient,
            status=Infusion.Status.GIVEN,
            started_at=start,
            ended_at=start + timedelta(hours=3),
            product=product,
            lot_number=lot,
            dose_grams=Decimal("35.0"),
            setting=Infusion.Setting.CLINIC,
            premedication="paracetamol 1 g, cetirizine 10 mg" if premed else "",
            pre_hydrated=True,
        )

    def _planned(self, patient: User, start: datetime, product: str) -> Infusion:
        start = start.replace(hour=9, minute=30, second=0, microsecond=0)
        return services.infusions.infusion_create(
            patient=patient,
            logged_by=patient,
            status=Infusion.Status.PLANNED,
            started_at=start,
            ended_at=start + timedelta(hours=3),
            product=product,
            dose_grams=Decimal("35.0"),
        )

    def _report(
        self, infusion: Infusion, symptoms: list[SymptomEntry], *, at: datetime, notes: str = "", **given: Any
    ) -> ReactionReport:
        # Dated when the patient gave it, so that the timeline, the alerts and the lot signal read naturally.
        return services.reports.report_create(
            infusion=infusion, symptoms=symptoms, notes=notes, reported_at=at, **given
        )
