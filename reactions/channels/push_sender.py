"""The web push channel's sender (see reactions.channels.registry): who gets notifications, and sending one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reactions.channels.errors import ChannelPermanentError, ChannelTemporaryError
from reactions.channels.push import PushOutcome, push_deliver_to_user, user_has_push
from reactions.domain.sender_name import DEFAULT_SENDER_NAME
from reactions.models import User

if TYPE_CHECKING:
    from reactions.models import OutboundEmail


def wanted(user: User) -> bool:
    """Turning notifications on in the app (a device's subscription) is the patient's choice of this channel."""
    return user_has_push(user)


def address(user: User) -> dict[str, str]:
    return {}  # the devices are the user's subscriptions, read when the message is sent


def _title(message: OutboundEmail) -> str:
    """The name the clinic chose for its texts and notifications (H-26), read when the notification goes."""
    return message.clinic.message_sender_name if message.clinic else DEFAULT_SENDER_NAME


def send(message: OutboundEmail) -> str:
    outcome = push_deliver_to_user(
        user=message.to_user, title=_title(message), body=message.body_short, url=message.link
    )
    if outcome == PushOutcome.RETRY:
        raise ChannelTemporaryError("no device took the notification; a push service may take it later")
    if outcome == PushOutcome.NO_DEVICE:
        raise ChannelPermanentError("no notification device left (every subscription was removed or expired)")
    if outcome == PushOutcome.PERMANENT:
        raise ChannelPermanentError("every device's push service refused the notification")
    return ""  # one message to several devices: no single id, and push services send no receipts
