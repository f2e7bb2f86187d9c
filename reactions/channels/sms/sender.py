"""The SMS channel's sender (see reactions.channels.registry): who gets texts, and sending one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reactions.channels.sms import SmsPermanentError, get_backend
from reactions.domain import phones
from reactions.models import User
from reactions.services.sms import sms_stop

if TYPE_CHECKING:
    from reactions.models import OutboundEmail


def sms_number(user: User) -> str:
    """The patient's number in E.164 if a text can go to it, else empty."""
    if not user.phone or not phones.can_receive_sms(user.phone):
        return ""
    return phones.phone_dial(user.phone)


def wanted(user: User) -> bool:
    return user.notify_sms and user.sms_stopped_at is None and bool(sms_number(user))


def address(user: User) -> dict[str, str]:
    return {"to_phone": sms_number(user)}


def send(message: OutboundEmail) -> str:
    try:
        return get_backend().send(message.to_phone, message.body_short)
    except SmsPermanentError as error:
        if error.stopped:
            # The provider knew of a STOP we missed (sent before the webhook was set up): record it.
            sms_stop(phone=message.to_phone)
        raise
