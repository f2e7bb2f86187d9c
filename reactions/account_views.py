"""Two-factor sign-in (TOTP with backup codes, django-otp).

Required for clinicians and clinic admins (reactions.middleware.SessionPolicyMiddleware
sends them here until they have verified); optional for patients, from their profile, and then
verified at each sign-in too. Who may enrol a device is reactions/signin.py's rule.
"""
from __future__ import annotations

import base64
import csv
import io
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from reactions import selectors, services
from reactions.forms.accounts import DeletionRequestForm, TokenForm
from reactions.forms.filters import AuditFilterForm

from .exports import safe_cell
from .models import AuditEvent, DeletionRequest, User
from .signin import FIRST_DEVICE_SESSION_KEY, allow_first_device, has_confirmed_device, may_enrol_device
from .views import bound_data, clinic_staff_required, patient_required

BACKUP_CODES = 10
ACCESS_LOG_EVENTS_PER_PAGE = 200


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
    device, _created = TOTPDevice.objects.get_or_create(user=request.user, confirmed=False, defaults={"name": "Authenticator app"})
    form = TokenForm(bound_data(request))
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].replace(" ", "")):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_backup_codes(request.user)
            otp_login(request, device)
            request.session.pop(FIRST_DEVICE_SESSION_KEY, None)
            return render(request, "registration/two_factor_backup_codes.html", {"codes": codes, "next": _next_url(request)})
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
        return render(request, "reactions/link_problem.html", {"problem": services.links.InvitationProblem.INVALID}, status=400)
    if request.method == "POST":
        allow_first_device(request, user)
        return redirect("two_factor_setup")
    return render(request, "registration/two_factor_enrol_link.html", {})


def _base32(key: bytes) -> str:
    return base64.b32encode(key).decode().rstrip("=")


def _new_backup_codes(user: Any) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name="Backup codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


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


# --- Privacy: who looked at my record, deleting an account, the clinic's audit trail ---------------


@patient_required
def my_access_log(request: HttpRequest) -> HttpResponse:
    """The patient sees which clinicians and admins viewed or changed their record, and when: every
    event, newest first, a page at a time, with repeats in a row on one line (selectors.audit.audit_runs)."""
    events = AuditEvent.objects.filter(patient_ref=request.user.pk).only("actor_label", "action", "what", "created_at")
    page = Paginator(events, ACCESS_LOG_EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "reactions/my_access_log.html", {"page": page, "runs": selectors.audit.audit_runs(page.object_list)})


@patient_required
@require_http_methods(["GET", "POST"])
def my_deletion_request(request: HttpRequest) -> HttpResponse:
    pending = DeletionRequest.objects.filter(patient=request.user, confirmed_at__isnull=True).first()
    form = DeletionRequestForm(bound_data(request), user=request.user)
    if request.method == "POST" and pending is None and form.is_valid():
        services.accounts.deletion_request_create(patient=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Your request is sent. A clinic admin confirms it; then your data is deleted."))
        return redirect("my_deletion_request")
    return render(request, "reactions/my_deletion_request.html", {"form": form, "pending": pending})


def _admin_only(request: HttpRequest) -> None:
    if request.user.role != User.Role.CLINIC_ADMIN:
        raise Http404


def _audit_events(request: HttpRequest) -> tuple[AuditFilterForm, Any]:
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.filter(clinic=request.user.clinic)
    if form.is_valid():
        data = form.cleaned_data
        if data["patient"]:
            events = events.filter(patient_ref=data["patient"])
        if data["actor"]:
            events = events.filter(actor_label__icontains=data["actor"])
        if data["date_from"]:
            events = events.filter(created_at__date__gte=data["date_from"])
        if data["date_to"]:
            events = events.filter(created_at__date__lte=data["date_to"])
    return form, events


@clinic_staff_required
def clinic_audit(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    form, events = _audit_events(request)
    page = Paginator(events.select_related("patient"), 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reactions/clinic_audit.html", {"form": form, "page": page, "query": query.urlencode()})


@clinic_staff_required
def clinic_audit_csv(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    _form, events = _audit_events(request)
    rows = [["when", "who", "action", "patient_id", "what", "ip_address"]]
    rows += [[timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"), e.actor_label, e.action, e.patient_ref,
              e.what, e.ip_address or ""] for e in events.iterator(chunk_size=2000)]  # fmt: skip
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[safe_cell(cell) for cell in row] for row in rows])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="ivigtrack-audit-{timezone.localdate()}.csv"'
    return response


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def clinic_deletions(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    if request.method == "POST":
        deletion = get_object_or_404(DeletionRequest, pk=request.POST.get("request_id") or 0, clinic=request.user.clinic)
        try:
            services.accounts.deletion_confirm(deletion=deletion, by=request.user)
        except services.triage.FlagActionError as error:
            messages.error(request, str(error))
        else:
            services.audit.audit_record(request=request, patients=[deletion.patient_ref], action="delete",
                                  what="account deleted at the patient's request")  # fmt: skip
            messages.success(request, _("The patient's data has been deleted and the account anonymised."))
        return redirect("clinic_deletions")
    requests = DeletionRequest.objects.filter(clinic=request.user.clinic).select_related("patient", "confirmed_by")[:100]
    return render(request, "reactions/clinic_deletions.html", {"requests": requests})
