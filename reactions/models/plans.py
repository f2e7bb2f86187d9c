"""A clinician's plan for a planned infusion after a severe event: proceed, premedicate, slow down, change, stop."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reactions.models.accounts import User
from reactions.models.infusions import Infusion


class InfusionPlan(models.Model):
    """What a clinician decided for one planned infusion. The latest wins; earlier ones are kept.

    Whether an infusion needs one is decided in one place: reactions/selectors/plans.py.
    """

    class Decision(models.TextChoices):
        PROCEED = "proceed", _("Proceed as planned")
        PREMEDICATE = "premedicate", _("Premedicate")
        SLOWER_RATE = "slower_rate", _("Slower rate")
        CHANGE_PRODUCT = "change_product", _("Change product")
        STOP = "stop", _("Stop: do not give this infusion")

    infusion = models.ForeignKey(Infusion, on_delete=models.CASCADE, related_name="plans")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    note = models.TextField(max_length=2000, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["infusion"], condition=Q(superseded_at__isnull=True), name="plan_one_current_per_infusion"
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["proceed", "premedicate", "slower_rate", "change_product", "stop"]),
                name="plan_decision_valid",
            ),
            models.CheckConstraint(
                condition=Q(superseded_at__isnull=True) | Q(superseded_at__gte=F("decided_at")),
                name="plan_superseded_after_decided",
            ),
        ]
        indexes = [models.Index(fields=["infusion", "-decided_at"])]

    def __str__(self) -> str:
        return f"Plan {self.decision} for infusion {self.infusion_id}"

    @property
    def is_stop(self) -> bool:
        return self.decision == self.Decision.STOP
