"""How a channel's sender says a message did not go: worth another try, or never."""

from __future__ import annotations


class ChannelTemporaryError(Exception):
    """The provider was busy or unreachable (a rate limit, a 5xx, a network error): try again later.

    ``unreachable`` says the provider could not be reached at all: the rest of the pass's messages on this
    channel wait for the next tick rather than each waiting out a timeout.
    """

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


class ChannelPermanentError(Exception):
    """The provider will never take this message (a bad number, a recipient who said STOP): do not retry.

    ``stopped`` says the recipient asked for no more messages on this channel.
    """

    def __init__(self, message: str, *, stopped: bool = False) -> None:
        super().__init__(message)
        self.stopped = stopped
