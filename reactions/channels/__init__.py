"""Channels a message reaches a patient by: e-mail, SMS, and (from its own module) web push.

E-mail is delivered by the engine over one SMTP connection; every other channel is one sender module
named in ``registry.SENDERS``. A third channel plugs in with its sender module and one registry entry.
"""

from reactions.channels.errors import ChannelPermanentError, ChannelTemporaryError
from reactions.channels.registry import Channel, channels_for, email_wanted, sender_for

__all__ = ["Channel", "ChannelPermanentError", "ChannelTemporaryError", "channels_for", "email_wanted", "sender_for"]
