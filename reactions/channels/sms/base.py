"""The SMS backend interface: send one text to one number, or say why not."""

from __future__ import annotations

from reactions.channels.errors import ChannelPermanentError, ChannelTemporaryError


class SmsTemporaryError(ChannelTemporaryError):
    """Rate limited, provider down, network trouble: the engine tries again with backoff."""


class SmsPermanentError(ChannelPermanentError):
    """The provider will never deliver this text (bad number, not a mobile, the recipient said STOP)."""


class BaseSmsBackend:
    def send(self, to: str, body: str) -> str:
        """Hand one text to the provider; the provider's id for it. ``to`` is E.164.

        Raises SmsTemporaryError or SmsPermanentError when the text did not go.
        """
        raise NotImplementedError
