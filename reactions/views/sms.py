"""Twilio's webhooks: the texts patients send back (STOP and START, and their other spellings), and the
delivery receipts of the texts the app sent."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from reactions import engine, services
from reactions.channels.sms import sms_config

security_logger = logging.getLogger("reactions.security")


def _signed_by_twilio(request: HttpRequest) -> bool:
    """Whether Twilio signed this request with the account's auth token; a refusal is logged.

    Twilio signs the URL it called: the one configured in its console (https://<SITE_URL>/sms/inbound/), or
    the StatusCallback the app gave it (https://<SITE_URL>/sms/status/). It is rebuilt from SITE_URL, not
    from the request, because behind a proxy or load balancer the request's own scheme and host (http, an
    internal name) are not what Twilio signed, and a Host header is the sender's to choose.
    """
    token = sms_config().auth_token
    url = settings.SITE_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not RequestValidator(token).validate(url, request.POST, signature):
        security_logger.warning("Refused SMS webhook: missing or bad Twilio signature")
        return False
    return True


@csrf_exempt  # Twilio cannot send a CSRF token: its signature, checked below, is what authenticates it.
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    """A text from a patient, as Twilio posts it. Only a request signed with the account's auth token counts."""
    if not _signed_by_twilio(request):
        return HttpResponseForbidden()
    services.sms.sms_reply_apply(from_number=request.POST.get("From", ""), body=request.POST.get("Body", ""))
    return render(request, "sms/inbound-reply.xml", content_type="text/xml")


@csrf_exempt  # as sms_inbound: the signature authenticates it
@require_POST
def sms_status(request: HttpRequest) -> HttpResponse:
    """A delivery receipt for a text the app sent, as Twilio posts it to the text's StatusCallback.

    Answered 204 whatever it said (a receipt for a message the app does not know is logged): Twilio reads
    nothing back, and the work is a few rows, the fallback e-mail leaving through Celery once committed.
    """
    if not _signed_by_twilio(request):
        return HttpResponseForbidden()
    engine.receipts.sms_receipt_apply(
        provider_id=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)
