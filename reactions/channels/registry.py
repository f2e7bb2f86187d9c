"""Which channels reach a patient, and the sender module of each channel besides e-mail.

A sender module has three functions:

- ``wanted(user) -> bool``: the patient chose this channel and it can reach them now;
- ``address(user) -> dict``: the row's address fields for this user (``{"to_phone": "+44…"}``);
- ``send(message) -> str``: hand one OutboundEmail row to the provider and return the provider's id for it
  ("" when it has none), raising ChannelTemporaryError or ChannelPermanentError (reactions.channels.errors)
  when it did not go.

E-mail has no sender module: the engine delivers it over one SMTP connection per batch.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from reactions.models import OutboundEmail, User

Channel = OutboundEmail.Channel

# Channel -> its sender module.
SENDERS: dict[str, str] = {
    Channel.SMS: "reactions.channels.sms.sender",
    Channel.PUSH: "reactions.channels.push_sender",
}


def sender_for(channel: str) -> ModuleType:
    """The sender module of a channel other than e-mail."""
    return import_module(SENDERS[channel])


def email_wanted(user: User) -> bool:
    """The user chose e-mail and has an address (otherwise e-mail goes only as the last resort)."""
    return user.notify_email and bool(user.email)


def channels_for(user: User) -> list[Channel]:
    """The channels a patient's follow-up messages go by, e-mail first.

    The patient's choice, less the channels that cannot reach them now (no mobile number, texts
    stopped); with nothing left, e-mail: a patient is never left with no channel at all.
    """
    chosen = [Channel.EMAIL] if email_wanted(user) else []
    chosen += [Channel(channel) for channel in SENDERS if sender_for(channel).wanted(user)]
    return chosen or [Channel.EMAIL]
