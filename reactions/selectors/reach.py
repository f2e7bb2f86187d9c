"""How a patient is reached now, for the clinician's patient page: the channels their follow-up messages go
by, why texts do not go, and the caregivers who get the questions too.

Read on every request, never cached: a STOP, a new device or a caregiver removed shows on the next page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from reactions.channels import Channel, channels_for, email_wanted
from reactions.channels.sms.sender import sms_number
from reactions.models import User
from reactions.selectors.caregivers import patient_caregivers
from reactions.selectors.push import push_devices


class TextsProblem(TextChoices):
    """Why texts a patient chose cannot go to their number."""

    NO_NUMBER = "no_number", _("no phone number on file")
    NOT_A_MOBILE = "not_a_mobile", _("not a mobile number")


@dataclass(frozen=True)
class CaregiverReach:
    name: str
    email: str
    since: datetime
    receives_prompts: bool


@dataclass(frozen=True)
class PatientReach:
    channels: list[Channel]
    # E-mail goes although the patient did not choose it: nothing they chose can reach them.
    email_instead: bool
    sms_phone: str  # national format, when texts go
    devices: int  # when notifications go
    texts_stopped_at: datetime | None
    texts_problem: TextsProblem | None
    caregivers: list[CaregiverReach]


def patient_reach(*, patient: User) -> PatientReach:
    """The patient's channels as the engine chooses them (``channels_for``), and their current caregivers; in a
    fixed number of queries whatever the number of devices or caregivers."""
    channels = channels_for(patient)
    texts_problem = None
    if patient.notify_sms and not sms_number(patient):
        texts_problem = TextsProblem.NOT_A_MOBILE if patient.phone else TextsProblem.NO_NUMBER
    caregivers = [
        CaregiverReach(
            name=link.caregiver.full_name,
            email=link.caregiver.email,
            since=link.created_at,
            receives_prompts=link.gets_prompts,  # as prompt_recipients() decides
        )
        for link in patient_caregivers(patient=patient)  # oldest first
    ]
    return PatientReach(
        channels=channels,
        email_instead=Channel.EMAIL in channels and not email_wanted(patient),
        sms_phone=patient.phone_display if Channel.SMS in channels else "",
        devices=push_devices(user=patient).count() if Channel.PUSH in channels else 0,
        texts_stopped_at=patient.sms_stopped_at,
        texts_problem=texts_problem,
        caregivers=caregivers,
    )
