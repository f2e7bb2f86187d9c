"""Downloads and the printable summary: clinic CSVs, the FHIR bundle, a patient's own data.

Bad filter values never give a 500: the CSV exports answer 400 with the reason, the summary page shows
the form with its errors."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from reactions import selectors
from reactions.exports.clinic import events_csv, infusions_csv, infusions_queryset
from reactions.exports.fhir import patient_bundle
from reactions.exports.patient_data import patient_data_csv, patient_data_json
from reactions.exports.summary import SUMMARY_DEFAULT_MONTHS, months_before, summary_context
from reactions.forms.filters import EventExportForm, InfusionExportForm, SummaryRangeForm, with_date_aliases
from reactions.models import User
from reactions.views.decorators import audit, clinic_staff_required, follow_up_pages, patient_required


def bad_filters_response(form: forms.Form) -> HttpResponse:
    """A CSV asked for with filters that are not valid: 400, with the reasons, and nothing exported."""
    problems = "; ".join(
        f"{'filters' if field == '__all__' else field}: {' '.join(str(e) for e in errors)}"
        for field, errors in form.errors.items()
    )
    return HttpResponseBadRequest(
        _("These export filters are not valid, nothing was exported. %(problems)s") % {"problems": problems} + "\n",
        content_type="text/plain; charset=utf-8",
    )


def _attachment(response: HttpResponse | StreamingHttpResponse, filename: str) -> HttpResponse | StreamingHttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Health data: never kept by a shared cache or the browser's disk cache.
    response["Cache-Control"] = "no-store, private"
    return response


def _csv_response(lines: Any, filename: str) -> StreamingHttpResponse:
    return _attachment(StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8"), filename)  # type: ignore[return-value]


@clinic_staff_required
@require_GET
def export_events_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = EventExportForm(with_date_aliases(request.GET))
    if not form.is_valid():
        return bad_filters_response(form)
    # What the queue shows with the same filters, oldest first.
    flags = selectors.triage_queue.flags_filtered(clinic=request.user.clinic, **form.cleaned_data).order_by(
        "created_at", "pk"
    )
    audit(
        request,
        patients=flags.order_by().values_list("patient_id", flat=True).distinct(),
        action="export",
        what="events CSV",
    )
    return _csv_response(events_csv(flags), f"ivigtrack-events-{timezone.localdate():%Y-%m-%d}.csv")


@clinic_staff_required
@require_GET
def export_infusions_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = InfusionExportForm(with_date_aliases(request.GET))
    if not form.is_valid():
        return bad_filters_response(form)
    infusions = infusions_queryset(clinic=request.user.clinic, **form.cleaned_data)
    audit(
        request,
        patients=infusions.order_by().values_list("patient_id", flat=True).distinct(),
        action="export",
        what="infusions CSV",
    )
    return _csv_response(infusions_csv(infusions), f"ivigtrack-infusions-{timezone.localdate():%Y-%m-%d}.csv")


def _patient_of_clinic(request: HttpRequest, pk: int) -> User:
    return get_object_or_404(
        User.objects.select_related("clinic"), pk=pk, role=User.Role.PATIENT, clinic=request.user.clinic
    )


@clinic_staff_required
@require_GET
def patient_fhir(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient_of_clinic(request, pk)
    bundle = patient_bundle(patient=patient, base_url=settings.SITE_URL)
    audit(request, patients=[patient], action="export", what="FHIR bundle")
    response = HttpResponse(json.dumps(bundle, indent=2, ensure_ascii=False), content_type="application/fhir+json")
    return _attachment(response, f"ivigtrack-patient-{patient.pk}-fhir.json")  # type: ignore[return-value]


@patient_required
@require_GET
def my_data_json(request: HttpRequest) -> HttpResponse:
    data = patient_data_json(patient=request.user)
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
    return _attachment(response, f"my-ivigtrack-data-{timezone.localdate():%Y-%m-%d}.json")  # type: ignore[return-value]


@patient_required
@require_GET
def my_data_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(patient_data_csv(patient=request.user), content_type="text/csv; charset=utf-8")
    return _attachment(response, f"my-ivigtrack-data-{timezone.localdate():%Y-%m-%d}.csv")  # type: ignore[return-value]


def _summary(request: HttpRequest, patient: User, *, back_url: str) -> HttpResponse:
    form = SummaryRangeForm(with_date_aliases(request.GET) if request.GET else None)
    today = timezone.localdate()
    context: dict[str, Any] = {"form": form, "patient": patient, "back_url": back_url}
    if form.is_bound and not form.is_valid():
        return render(request, "reactions/summary.html", context, status=400)
    data = form.cleaned_data if form.is_bound else {}
    date_to = data.get("date_to") or today
    date_from = data.get("date_from") or months_before(date_to, SUMMARY_DEFAULT_MONTHS)
    date_to = max(date_to, date_from)  # only "from", in the future: a one-day period, not an inverted one
    # Show the period actually used, defaults included.
    form = SummaryRangeForm(initial={"date_from": date_from, "date_to": date_to})
    context.update(summary_context(patient=patient, date_from=date_from, date_to=date_to), form=form)
    return render(request, "reactions/summary.html", context)


@follow_up_pages("printable summary")
@require_GET
def my_summary(request: HttpRequest) -> HttpResponse:
    return _summary(request, request.patient, back_url="home")


@clinic_staff_required
@require_GET
def patient_summary(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient_of_clinic(request, pk)
    audit(request, patients=[patient], action="view", what="printable summary")
    return _summary(request, patient, back_url="clinic_patient_detail")
