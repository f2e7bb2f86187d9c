"""The devices a user gets notifications on."""

from __future__ import annotations

from django.db.models import QuerySet

from reactions.models import PushSubscription, User


def push_devices(*, user: User) -> QuerySet[PushSubscription]:
    """The user's devices for their profile page, newest first; the keys stay out."""
    return PushSubscription.objects.filter(user=user).only(
        "pk", "endpoint", "device_label", "created_at", "last_success_at", "user_id"
    )


def user_has_push(user: User) -> bool:
    return PushSubscription.objects.filter(user=user).exists()
