"""The append-only audit trail, and patients' requests to delete their account."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reactions.models.accounts import Clinic, User


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("The audit trail is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only.")


class AuditEvent(models.Model):
    """Who viewed or changed which patient's record, when, from where. Append-only.

    The app never updates or deletes a row (the model and its queryset refuse it, and on
    PostgreSQL a trigger refuses it too). When a patient's account is deleted, rows keep
    the pseudonymous patient id and lose the name (see SECURITY.md).
    """

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        CHANGE = "change", _("Changed")
        EXPORT = "export", _("Exported")
        DELETE = "delete", _("Deleted")

    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    actor_label = models.CharField(max_length=300)  # kept even if the actor's account goes
    patient = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="audit_events")
    patient_ref = models.PositiveBigIntegerField()  # the patient's id, kept after deletion
    clinic = models.ForeignKey(Clinic, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    what = models.CharField(max_length=200)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["patient_ref", "-created_at"]), models.Index(fields=["clinic", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} of patient {self.patient_ref} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only.")


class DeletionRequest(models.Model):
    """A patient's request to delete their account, confirmed by a clinic admin."""

    patient = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="deletion_requests")
    patient_ref = models.PositiveBigIntegerField()
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="deletion_requests")
    requested_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=500, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(confirmed_at__isnull=True), name="one_pending_deletion_per_patient"
            )
        ]

    def __str__(self) -> str:
        return f"Deletion request for patient {self.patient_ref} on {self.requested_at:%Y-%m-%d}"
