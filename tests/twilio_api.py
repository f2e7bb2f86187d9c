"""A local stand-in for Twilio's Messages API: checks what the SDK sends, answers as Twilio does.

It accepts POST /2010-04-01/Accounts/<AccountSid>/Messages.json with HTTP Basic auth (AccountSid:AuthToken)
and the form fields To, Body and From or MessagingServiceSid, as the API reference describes, and answers
201 with the message's JSON. Anything else the SDK sends is recorded in ``problems`` (and refused), so a
test that ends with ``problems == []`` knows the requests were the real protocol. Errors are Twilio's:
``refuse`` maps a number to an error code (21211 invalid number, 21610 unsubscribed, 21614 not a mobile),
and ``script`` queues HTTP statuses (429, 500) for the next requests. A text may name a StatusCallback (an
absolute http(s) URL); ``receipt`` is the delivery receipt Twilio would then post to it, signed as Twilio signs.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections import deque
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
FROM_NUMBER = "+447400000001"

_ERRORS = {
    21211: "The 'To' number is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
}


class TwilioApi:
    def __init__(self, *, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.messages: list[dict[str, str]] = []  # accepted, as the form fields sent
        self.sids: list[str] = []  # the Message SID each accepted text was given, in the same order
        self.problems: list[str] = []  # requests that were not the protocol
        self.refuse: dict[str, int] = {}  # To number -> Twilio error code
        self.script: deque[int] = deque()  # HTTP statuses for the next requests (429, 500)
        self.requests = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def sms_url(self, **options: str) -> str:
        """An SMS_URL for this server: the app's Twilio backend, with its requests sent here."""
        query = {"from": FROM_NUMBER, **options, "api_url": self.url}
        encoded = "&".join(f"{key}={value.replace('+', '%2B')}" for key, value in query.items())
        return f"twilio://{self.account_sid}:{self.auth_token}@/?{encoded}"

    def receipt(self, to: str, status: str, *, error_code: str = "") -> tuple[str, dict[str, str], str]:
        """The status callback Twilio posts for the last text accepted for ``to``: its URL (the text's
        StatusCallback), its form and its X-Twilio-Signature (over that URL and form, with the auth token)."""
        index = max(i for i, message in enumerate(self.messages) if message["To"] == to)
        message, sid = self.messages[index], self.sids[index]
        form = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "From": message.get("From", ""),
            "MessageSid": sid,
            "MessageStatus": status,
            "SmsSid": sid,
            "SmsStatus": status,
            "To": to,
        }
        if message.get("MessagingServiceSid"):
            form["MessagingServiceSid"] = message["MessagingServiceSid"]
        if error_code:
            form["ErrorCode"] = error_code
        url = message["StatusCallback"]
        return url, form, RequestValidator(self.auth_token).compute_signature(url, form)

    def start(self) -> TwilioApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _answer(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status: int, code: int, message: str) -> None:
                more = f"https://www.twilio.com/docs/errors/{code}"
                self._answer(status, {"code": code, "message": message, "more_info": more, "status": status})

            def do_POST(self) -> None:
                api.requests += 1
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                expected_auth = "Basic " + base64.b64encode(f"{api.account_sid}:{api.auth_token}".encode()).decode()
                if self.path != f"/2010-04-01/Accounts/{api.account_sid}/Messages.json":
                    api.problems.append(f"path {self.path}")
                    return self._error(404, 20404, "The requested resource was not found")
                if self.headers.get("Authorization") != expected_auth:
                    api.problems.append("auth")
                    return self._error(401, 20003, "Authentication Error - invalid username")
                if self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
                    api.problems.append(f"content type {self.headers.get('Content-Type')}")
                if (
                    not form.get("To")
                    or not form.get("Body")
                    or not (form.get("From") or form.get("MessagingServiceSid"))
                ):
                    api.problems.append(f"form {sorted(form)}")
                    return self._error(400, 21604, "A 'To' phone number, a 'Body' and a 'From' are required.")
                callback = urlsplit(form.get("StatusCallback", "https://example.org/"))
                if callback.scheme not in ("http", "https") or not callback.netloc:
                    api.problems.append(f"StatusCallback {form['StatusCallback']}")
                    return self._error(400, 21609, "Invalid StatusCallback")
                if api.script:
                    status = api.script.popleft()
                    if status == 429:
                        return self._error(429, 20429, "Too Many Requests")
                    return self._error(status, 20500, "Internal Server Error")
                if form["To"] in api.refuse:
                    code = api.refuse[form["To"]]
                    return self._error(400, code, _ERRORS.get(code, "Error"))
                sid = "SM" + uuid.uuid4().hex
                api.messages.append(form)
                api.sids.append(sid)
                now = formatdate(usegmt=True)
                self._answer(
                    201,
                    {
                        "sid": sid,
                        "account_sid": api.account_sid,
                        "to": form["To"],
                        "from": form.get("From"),
                        "messaging_service_sid": form.get("MessagingServiceSid"),
                        "body": form["Body"],
                        "status": "accepted" if form.get("MessagingServiceSid") else "queued",
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "api_version": "2010-04-01",
                        "date_created": now,
                        "date_updated": now,
                        "date_sent": None,
                        "uri": f"/2010-04-01/Accounts/{api.account_sid}/Messages.json",
                    },
                )

        return Handler
