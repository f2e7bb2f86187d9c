"""Twilio's webhook for the texts patients send back: STOP and START (and their other spellings)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from reactions import services
from reactions.channels.sms import sms_config

security_logger = logging.getLogger("reactions.security")


@csrf_exempt  # Twilio cannot send a CSRF token: its signature, checked below, is what authenticates it.
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    """A text from a patient, as Twilio posts it. Only a request signed with the account's auth token counts.

    Twilio signs the URL it called: the one configured in its console, https://<SITE_URL>/sms/inbound/. It is
    rebuilt from SITE_URL, not from the request, because behind a proxy or load balancer the request's own
    scheme and host (http, an internal name) are not what Twilio signed, and a Host header is the sender's
    to choose.
    """
    token = sms_config().auth_token
    url = settings.SITE_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not RequestValidator(token).validate(url, request.POST, signature):
        security_logger.warning("Refused SMS webhook: missing or bad Twilio signature")
        return HttpResponseForbidden()
    services.sms.sms_reply_apply(from_number=request.POST.get("From", ""), body=request.POST.get("Body", ""))
    return render(request, "sms/inbound-reply.xml", content_type="text/xml")
