"""SMS backends, like Django's e-mail backends: one interface, chosen by the SMS_URL setting.

- ``file:///absolute/folder``: one file per message (the embedded default: var/sms/);
- ``locmem://``: kept in ``reactions.channels.sms.locmem.outbox`` (tests);
- ``twilio://ACCOUNT_SID:AUTH_TOKEN@/?from=+447400123456`` (or ``?messaging_service_sid=MG…``): Twilio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from reactions.channels.sms.base import BaseSmsBackend, SmsPermanentError, SmsTemporaryError

__all__ = ["BaseSmsBackend", "SmsConfig", "SmsPermanentError", "SmsTemporaryError", "get_backend", "sms_config"]


@dataclass(frozen=True)
class SmsConfig:
    scheme: str
    path: str = ""
    account_sid: str = ""
    auth_token: str = field(default="", repr=False)
    options: dict[str, str] = field(default_factory=dict)


def sms_config(url: str | None = None) -> SmsConfig:
    """SMS_URL (or ``url``) read into its parts."""
    parts = urlsplit(url if url is not None else settings.SMS_URL)
    # A "+" is the phone number's own (?from=+44…), not an encoded space: kept as it is.
    options = {key: values[-1] for key, values in parse_qs(parts.query.replace("+", "%2B")).items()}
    return SmsConfig(
        scheme=parts.scheme,
        path=unquote(parts.path),
        account_sid=unquote(parts.username or ""),
        auth_token=unquote(parts.password or ""),
        options=options,
    )


def get_backend(url: str | None = None) -> BaseSmsBackend:
    """The backend SMS_URL names, ready to send."""
    config = sms_config(url)
    if config.scheme == "file":
        from reactions.channels.sms.filebased import SmsBackend as FileBackend

        return FileBackend(path=config.path)
    if config.scheme == "locmem":
        from reactions.channels.sms.locmem import SmsBackend as LocmemBackend

        return LocmemBackend()
    if config.scheme == "twilio":
        from reactions.channels.sms.twilio import SmsBackend as TwilioBackend

        return TwilioBackend(
            account_sid=config.account_sid,
            auth_token=config.auth_token,
            from_number=config.options.get("from", ""),
            messaging_service_sid=config.options.get("messaging_service_sid", ""),
            api_url=config.options.get("api_url", ""),
            status_callback=settings.SITE_URL + reverse("sms_status"),
            timeout=settings.SMS_TIMEOUT,
        )
    raise ImproperlyConfigured(f"SMS_URL: unknown scheme {config.scheme!r} (file, locmem or twilio)")
