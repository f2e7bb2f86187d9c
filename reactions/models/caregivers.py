"""Caregivers: people a patient invited to follow up for them, and the invitations that bring them in."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from reactions.models.accounts import User


class CareLinkQuerySet(models.QuerySet["CareLink"]):
    def active(self) -> CareLinkQuerySet:
        """Links the patient has not removed and the caregiver has not stepped down from."""
        return self.filter(removed_at__isnull=True)


class CareLink(models.Model):
    """A caregiver's access to one patient's follow-up pages. Removed (removed_at set) ends it at once:
    every request checks for an active link, so an open session loses access on its next page."""

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="caregiver_links")
    caregiver = models.ForeignKey(User, on_delete=models.CASCADE, related_name="care_links")
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # The follow-up prompts and reminders also go to the caregiver (their own e-mail, later their channels).
    receives_prompts = models.BooleanField(default=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    # Who ended it: the patient, the caregiver stepping down, or a clinic admin's deletion of the account.
    removed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = CareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "caregiver"], condition=Q(removed_at__isnull=True), name="carelink_one_active"
            ),
            models.CheckConstraint(condition=~Q(patient=F("caregiver")), name="carelink_not_self"),
        ]

    def __str__(self) -> str:
        return f"Caregiver {self.caregiver_id} of patient {self.patient_id}"

    @property
    def gets_prompts(self) -> bool:
        """Whether the patient's prompts and reminders go to this caregiver now: a live link, their choice, and
        an account that is still active. Reads ``caregiver``: select it with the link."""
        return self.removed_at is None and self.receives_prompts and self.caregiver.is_active


class CaregiverInvitation(models.Model):
    """A patient's e-mailed, signed, expiring, single-use invitation to a caregiver."""

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="caregiver_invitations")
    email = models.EmailField(max_length=254)
    full_name = models.CharField(max_length=150)
    # Random per invitation and part of the signed token: a token is bound to one row.
    nonce = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Withdrawn by the patient before it was accepted: the link stops working.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    link = models.ForeignKey(CareLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-created_at"])]

    def __str__(self) -> str:
        return f"Caregiver invitation {self.pk} from patient {self.patient_id}"
