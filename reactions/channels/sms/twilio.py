"""SMS through Twilio's Messages API, with the official SDK.

Twilio's answers map onto the engine's two kinds of failure: a rate limit (429), a server error (5xx) or
the network is temporary, and the engine tries again with backoff; any other refusal (21211 invalid
number, 21610 the recipient texted STOP, 21614 not a mobile, 21408 region not enabled, an auth error) will
not change by retrying the same request, so it is permanent and the patient gets the e-mail copy.

Each text names ``status_callback`` (the app's /sms/status/) as its StatusCallback: Twilio posts the text's
delivery receipts there, and one saying the carrier could not deliver it is a permanent failure too
(reactions.engine.receipts).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from reactions.channels.sms.base import BaseSmsBackend, SmsPermanentError, SmsTemporaryError

logger = logging.getLogger(__name__)

# The recipient has opted out (texted STOP): no text goes until they text START.
UNSUBSCRIBED = 21610


class ApiUrlHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, sending to another host (SMS_URL's ``api_url``): a local test server.

    A custom ``http_client`` is the SDK's documented way to change the requests it makes (its
    "Custom HTTP Clients" guide); only the scheme and host change, the path, the form and the Basic
    auth are the SDK's own, so a test server sees exactly what Twilio would.
    """

    def __init__(self, api_url: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.api_url = urlsplit(api_url)

    def request(self, method: str, url: str, *args: object, **kwargs: object) -> Response:
        parts = urlsplit(url)
        url = urlunsplit((self.api_url.scheme, self.api_url.netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, url, *args, **kwargs)


class SmsBackend(BaseSmsBackend):
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str = "",
        messaging_service_sid: str = "",
        api_url: str = "",
        status_callback: str = "",
        timeout: float = 20,
    ) -> None:
        if not (account_sid and auth_token) or not (from_number or messaging_service_sid):
            raise ValueError("twilio SMS_URL needs ACCOUNT_SID:AUTH_TOKEN and ?from= or ?messaging_service_sid=")
        http_client = ApiUrlHttpClient(api_url, timeout=timeout) if api_url else TwilioHttpClient(timeout=timeout)
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.sender = (
            {"messaging_service_sid": messaging_service_sid} if messaging_service_sid else {"from_": from_number}
        )
        self.receipts = {"status_callback": status_callback} if status_callback else {}

    def send(self, to: str, body: str) -> str:
        try:
            message = self.client.messages.create(to=to, body=body, **self.sender, **self.receipts)
        except (TwilioRestException, TwilioServiceException) as error:
            status, code = int(error.status or 0), error.code
            text = f"Twilio {status} error {code}: {getattr(error, 'msg', '') or getattr(error, 'title', '')}"
            if status == 429 or status >= 500:
                raise SmsTemporaryError(text) from error
            raise SmsPermanentError(text, stopped=code == UNSUBSCRIBED) from error
        except requests.RequestException as error:
            raise SmsTemporaryError(f"Twilio unreachable: {error!r}", unreachable=True) from error
        return str(message.sid)
