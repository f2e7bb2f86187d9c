"""A signed-in user's own account: language, follow-up choice, two-factor sign-in."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice

from reactions import selectors, services
from reactions.channels.push import vapid_public_key
from reactions.forms.accounts import TokenForm
from reactions.signin import FIRST_DEVICE_SESSION_KEY, allow_first_device, has_confirmed_device, may_enrol_device
from reactions.views.choices import language_choice, phone_choice
from reactions.views.decorators import bound_data, clinic_staff_required, patient_required
from reactions.views.links import followup_preferences


@patient_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    language_form, saved = language_choice(request)
    if saved:
        return saved
    phone_form, saved = phone_choice(request)
    if saved:
        return saved
    return followup_preferences(
        request,
        request.user,
        template="reactions/profile.html",
        extra={
            "language_form": language_form,
            "phone_form": phone_form,
            "push_devices": selectors.push.push_devices(user=request.user),
            "vapid_public_key": vapid_public_key(),
        },
    )


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def clinic_account(request: HttpRequest) -> HttpResponse:
    """A clinician's own account: the language of their pages and of the e-mails they get, and security."""
    language_form, saved = language_choice(request)
    if saved:
        return saved
    return render(request, "reactions/clinic_account.html", {"language_form": language_form})


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def _qr_data_uri(data: str) -> str:
    """The QR code as an SVG data: URI for an <img>, so no markup is injected into the page."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code, type one code, get backup codes once.

    Only from a session that may (signin.may_enrol_device): a password alone must never turn itself
    into a verified session by enrolling a device of its own.
    """
    if not may_enrol_device(request):
        target = "two_factor_verify" if has_confirmed_device(request.user) else "two_factor_enrol"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
    device = services.accounts.two_factor_device_pending(user=request.user)
    form = TokenForm(bound_data(request))
    if request.method == "POST" and form.is_valid():
        codes = services.accounts.two_factor_device_confirm(device=device, token=form.cleaned_data["token"])
        if codes is not None:
            otp_login(request, device)
            request.session.pop(FIRST_DEVICE_SESSION_KEY, None)
            return render(
                request, "registration/two_factor_backup_codes.html", {"codes": codes, "next": _next_url(request)}
            )
        form.add_error("token", _("That code does not match. Check the time on your phone and try the newest code."))
    context: dict[str, Any] = {
        "form": form,
        "qr_data_uri": _qr_data_uri(device.config_url),
        "secret": _base32(device.bin_key),
        "next": _next_url(request),
    }
    return render(request, "registration/two_factor_setup.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """A clinician signed in with a password alone and no device yet: a set-up link goes to their e-mail."""
    if may_enrol_device(request) or has_confirmed_device(request.user):
        return redirect("two_factor_setup")
    if request.method == "POST":
        services.accounts.two_factor_enrolment_send(user=request.user)
        return render(request, "registration/two_factor_enrol.html", {"sent": True})
    return render(request, "registration/two_factor_enrol.html", {})


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_enrol_link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed set-up link: GET shows a button (mail scanners follow links), its POST allows set-up."""
    try:
        user = services.links.user_from_two_factor_enrolment_token(token=token)
    except services.links.LinkError as error:
        return render(request, "reactions/link_problem.html", {"problem": error.problem}, status=400)
    if user.pk != request.user.pk:
        return render(
            request, "reactions/link_problem.html", {"problem": services.links.InvitationProblem.INVALID}, status=400
        )
    if request.method == "POST":
        allow_first_device(request, user)
        return redirect("two_factor_setup")
    return render(request, "registration/two_factor_enrol_link.html", {})


def _base32(key: bytes) -> str:
    return base64.b32encode(key).decode().rstrip("=")


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or one backup code (each works once)."""
    if not has_confirmed_device(request.user):
        return redirect("two_factor_setup")  # nothing to verify: set-up decides who may enrol
    form = TokenForm(bound_data(request))
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"].replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    ngettext("You used a backup code; %(n)d is left.", "You used a backup code; %(n)d are left.", left)
                    % {"n": left},
                )
            return redirect(_next_url(request))
        form.add_error("token", _("That code is not valid. Try the newest code from your app."))
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": _next_url(request)})
