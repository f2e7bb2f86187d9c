"""The devices that get a patient's (or a caregiver's) notifications: the page's script saves this device's
subscription, and the profile (the caregiver's account page) removes a device."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reactions import services
from reactions.domain.push import device_label
from reactions.forms.push import PushSubscriptionForm
from reactions.views.decorators import message_recipient_required


@message_recipient_required
@require_POST
def push_subscribe(request: HttpRequest) -> JsonResponse:
    """Save the subscription static/js/push.js posts after the user said yes (CSRF-protected)."""
    form = PushSubscriptionForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    subscription = services.push.push_subscribe(
        user=request.user, device_label=device_label(request.headers.get("User-Agent", "")), **form.cleaned_data
    )
    return JsonResponse({"id": subscription.pk}, status=201)


@message_recipient_required
@require_POST
def push_subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.push.push_unsubscribe(user=request.user, subscription_id=pk):
        raise Http404
    messages.success(request, _("That device will get no more notifications."))
    return redirect("care_account" if request.user.is_caregiver else "profile")
