"""Caregivers: who may see a patient's follow-up pages, and who gets the patient's prompts."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from reactions.models import CaregiverInvitation, CareLink, User


def prompt_recipients(patient: User) -> list[User]:
    """Everyone a patient's follow-up prompts and reminders go to: the patient, then each active caregiver who
    chose to receive them, oldest link first.

    The caller has already decided that the patient's follow-ups are on (paused or stopped: nobody gets
    them). Reads `patient.caregiver_links` as prefetched by PROMPT_RECIPIENTS_PREFETCH when it is there
    (the dispatcher's batches), else queries it.
    """
    links = [link for link in patient.caregiver_links.all() if link.gets_prompts]
    return [patient, *(link.caregiver for link in sorted(links, key=lambda link: (link.created_at, link.pk)))]


def prompt_recipients_prefetch(path: str = "patient__caregiver_links") -> Prefetch:
    """The prefetch that lets prompt_recipients() answer a batch of follow-ups in one query."""
    return Prefetch(path, queryset=CareLink.objects.active().filter(receives_prompts=True).select_related("caregiver"))


def active_link(*, caregiver: User, patient_id: int | None) -> CareLink | None:
    """The caregiver's active link to this patient, with the patient and their clinic; None if there is none."""
    if patient_id is None:
        return None
    return (
        CareLink.objects.active()
        .select_related("patient__clinic")
        .filter(caregiver=caregiver, patient_id=patient_id, patient__is_active=True)
        .first()
    )


def only_link(*, caregiver: User) -> CareLink | None:
    """The caregiver's one active link when they help exactly one patient (then nothing needs choosing)."""
    links = list(
        CareLink.objects.active()
        .select_related("patient__clinic")
        .filter(caregiver=caregiver, patient__is_active=True)
        .order_by("pk")[:2]
    )
    return links[0] if len(links) == 1 else None


def caregiver_links(*, caregiver: User) -> QuerySet[CareLink]:
    """The patients a caregiver helps now."""
    return CareLink.objects.active().filter(caregiver=caregiver, patient__is_active=True).select_related("patient")


def patient_caregivers(*, patient: User) -> QuerySet[CareLink]:
    """The patient's current caregivers."""
    return CareLink.objects.active().filter(patient=patient).select_related("caregiver")


def patient_care_links(*, patient: User) -> QuerySet[CareLink]:
    """Every caregiver the patient has had, current and past, oldest first, with who ended each link (for the
    patient's own data export)."""
    return (
        CareLink.objects.filter(patient=patient).select_related("caregiver", "removed_by").order_by("created_at", "pk")
    )


def patient_pending_invitations(*, patient: User) -> QuerySet[CaregiverInvitation]:
    """Invitations the patient sent that nobody has accepted or withdrawn (expired ones included, said so)."""
    return CaregiverInvitation.objects.filter(patient=patient, accepted_at__isnull=True, withdrawn_at__isnull=True)
