"""Privacy: who looked at my record, deleting an account, the clinic's audit trail."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from reactions import selectors, services
from reactions.domain import dates
from reactions.exports.spreadsheet import safe_cell
from reactions.forms.accounts import DeletionRequestForm
from reactions.forms.filters import AuditFilterForm
from reactions.models import AuditEvent, DeletionRequest, User
from reactions.views.decorators import audit, bound_data, clinic_staff_required, patient_required
from reactions.views.exports import bad_filters_response

ACCESS_LOG_EVENTS_PER_PAGE = 200


@patient_required
def my_access_log(request: HttpRequest) -> HttpResponse:
    """The patient sees which clinicians and admins viewed or changed their record, and when: every
    event, newest first, a page at a time, with repeats in a row on one line (selectors.audit.audit_runs)."""
    events = AuditEvent.objects.filter(patient_ref=request.user.pk).only("actor_label", "action", "what", "created_at")
    page = Paginator(events, ACCESS_LOG_EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "reactions/my_access_log.html", {"page": page, "runs": selectors.audit.audit_runs(page.object_list)}
    )


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


def _audit_events(request: HttpRequest) -> tuple[AuditFilterForm, QuerySet[AuditEvent]]:
    """The clinic's audit events the filters ask for; none while the filters are not valid."""
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.filter(clinic=request.user.clinic)
    if not form.is_bound:
        return form, events
    if not form.is_valid():
        return form, events.none()
    data = form.cleaned_data
    if data["patient"]:
        events = events.filter(patient_ref=data["patient"])
    if data["actor"]:
        events = events.filter(actor_label__icontains=data["actor"])
    return form, events.filter(
        **dates.within("created_at", data["date_from"], data["date_to"], timezone.get_current_timezone())
    )


@clinic_staff_required
def clinic_audit(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    form, events = _audit_events(request)
    page = Paginator(events.select_related("patient"), 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    status = 400 if form.errors else 200
    return render(request, "reactions/clinic_audit.html", context, status=status)


@clinic_staff_required
def clinic_audit_csv(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    form, events = _audit_events(request)
    if form.errors:
        return bad_filters_response(form)
    rows = [["when", "who", "action", "patient_id", "what", "ip_address"]]
    rows += [
        [
            timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_label,
            e.action,
            e.patient_ref,
            e.what,
            e.ip_address or "",
        ]
        for e in events.iterator(chunk_size=2000)
    ]
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
        deletion = get_object_or_404(
            DeletionRequest, pk=request.POST.get("request_id") or 0, clinic=request.user.clinic
        )
        try:
            services.accounts.deletion_confirm(deletion=deletion, by=request.user)
        except services.triage.FlagActionError as error:
            messages.error(request, str(error))
        else:
            audit(
                request,
                patients=[deletion.patient_ref],
                action="delete",
                what="account deleted at the patient's request",
            )
            messages.success(request, _("The patient's data has been deleted and the account anonymised."))
        return redirect("clinic_deletions")
    requests = DeletionRequest.objects.filter(clinic=request.user.clinic).select_related("patient", "confirmed_by")[
        :100
    ]
    return render(request, "reactions/clinic_deletions.html", {"requests": requests})
