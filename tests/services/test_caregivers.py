"""Caregiver invitations are single-use; one active link per patient and caregiver."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from reactions import services
from reactions.models import CaregiverInvitation, CareLink
from reactions.services.links import InvitationError, InvitationProblem
from tests.factories import CaregiverFactory, ClinicAdminFactory, PatientFactory, make_caregiver

pytestmark = pytest.mark.django_db


def test_an_invitation_is_accepted_once():
    patient = PatientFactory()
    invitation = services.caregivers.caregiver_invite(patient=patient, email="c@example.test", full_name="C")
    link = services.caregivers.caregiver_accept_new(invitation=invitation, full_name="C", password="x-Long-pass-9")
    assert (link.patient, link.caregiver.email, link.caregiver.clinic) == (patient, "c@example.test", None)
    assert link.caregiver.time_zone == str(patient.tzinfo)
    with pytest.raises(InvitationError) as error:
        services.caregivers.caregiver_accept_existing(invitation=invitation, user=link.caregiver)
    assert error.value.problem == InvitationProblem.USED


def test_invited_twice_makes_one_active_link_and_the_database_refuses_a_second():
    patient = PatientFactory()
    caregiver = CaregiverFactory(email="c@example.test")
    for _ in range(2):
        invitation = services.caregivers.caregiver_invite(patient=patient, email="c@example.test", full_name="C")
        services.caregivers.caregiver_accept_existing(invitation=invitation, user=caregiver)
    assert CareLink.objects.active().filter(patient=patient, caregiver=caregiver).count() == 1
    with pytest.raises(IntegrityError):
        CareLink.objects.create(patient=patient, caregiver=caregiver)


def test_removed_then_invited_again_is_a_new_link():
    patient = PatientFactory()
    caregiver, link = make_caregiver(patient)
    services.caregivers.care_link_remove(link=link, by=patient)
    assert services.caregivers.care_link_remove(link=link, by=patient) is False  # already ended
    invitation = services.caregivers.caregiver_invite(patient=patient, email=caregiver.email, full_name="C")
    again = services.caregivers.caregiver_accept_existing(invitation=invitation, user=caregiver)
    assert again.pk != link.pk and CareLink.objects.filter(patient=patient).count() == 2


def test_a_caregiver_account_with_a_clinic_is_refused_by_the_database():
    patient = PatientFactory()
    caregiver = CaregiverFactory()
    caregiver.clinic = patient.clinic
    with pytest.raises(IntegrityError):
        caregiver.save()


def test_deleting_the_patients_account_ends_their_caregivers_access():
    patient = PatientFactory()
    admin = ClinicAdminFactory(clinic=patient.clinic)
    _caregiver, link = make_caregiver(patient)
    services.caregivers.caregiver_invite(patient=patient, email="c2@example.test", full_name="C2")
    deletion = services.accounts.deletion_request_create(patient=patient)
    services.accounts.deletion_confirm(deletion=deletion, by=admin)
    link.refresh_from_db()
    assert (link.removed_at is not None, link.removed_by) == (True, admin)
    assert not CaregiverInvitation.objects.exists()
