"""Web push subscriptions: a device subscribes and unsubscribes, and each delivery's result is recorded."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from reactions.models import PushSubscription, User

# Room for a push service's answer in last_error, without its whole body.
_ERROR_CHARS = PushSubscription._meta.get_field("last_error").max_length


@transaction.atomic
def push_subscribe(*, user: User, endpoint: str, p256dh: str, auth: str, device_label: str) -> PushSubscription:
    """Save a device's subscription, or update it: an endpoint is one device's, whoever signed in last.

    A browser keeps its subscription across sign-outs; when another user subscribes the same browser,
    the device is theirs now, and the previous user's notifications stop going to it.
    """
    label_chars = PushSubscription._meta.get_field("device_label").max_length
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={
            "user": user,
            "p256dh": p256dh,
            "auth": auth,
            "device_label": device_label[:label_chars],
            "last_error": "",
        },
    )
    return subscription


def push_unsubscribe(*, user: User, subscription_id: int) -> bool:
    """Remove one of the user's own devices; False if the user has no such device."""
    deleted, _by_model = PushSubscription.objects.filter(user=user, pk=subscription_id).delete()
    return deleted > 0


def push_record_success(*, subscription: PushSubscription) -> None:
    PushSubscription.objects.filter(pk=subscription.pk).update(last_success_at=timezone.now(), last_error="")


def push_record_failure(*, subscription: PushSubscription, error: str) -> None:
    PushSubscription.objects.filter(pk=subscription.pk).update(
        last_failure_at=timezone.now(), last_error=error[:_ERROR_CHARS]
    )


def push_subscription_gone(*, subscription: PushSubscription) -> None:
    """The push service says this subscription no longer exists (404/410): it is never used again."""
    PushSubscription.objects.filter(pk=subscription.pk).delete()
