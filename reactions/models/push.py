"""A browser's web push subscription: where to send a user's notifications on one device."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reactions.models.accounts import User


class PushSubscription(models.Model):
    """One device's subscription (the browser's PushSubscription), kept until its push service says it is gone.

    The endpoint is the push service's URL for this device; p256dh and auth are the keys the payload is
    encrypted with (RFC 8291), base64url as the browser gives them.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=2048, unique=True)
    p256dh = models.CharField(max_length=128)
    auth = models.CharField(max_length=64)
    # What the patient sees in their list of devices ("Chrome on Android"), from the browser's User-Agent.
    device_label = models.CharField(_("device"), max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(endpoint__startswith="https://") | Q(endpoint__startswith="http://"),
                name="push_endpoint_is_http",
            ),
            models.CheckConstraint(condition=~Q(p256dh="") & ~Q(auth=""), name="push_subscription_has_keys"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"Push subscription {self.pk} of user {self.user_id}"

    def subscription_info(self) -> dict[str, object]:
        """The subscription as the browser's PushSubscription.toJSON() gives it (what pywebpush takes)."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}
