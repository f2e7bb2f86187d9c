"""A clinician's assessment of a reported event, and the plan for a planned infusion after a severe event."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from reactions import selectors, services
from reactions.forms.pharmacovigilance import EventAssessmentForm, InfusionPlanForm
from reactions.models import Flag, Infusion, ReactionReport
from reactions.views.decorators import audit, bound_data, clinic_staff_required

# Each form has its own prefix: the flag page shows both next to its own forms, which have a "note" too.
ASSESSMENT_PREFIX = "pv"
PLAN_PREFIX = "plan"


def _back_to(request: HttpRequest, default: str) -> str:
    """The page the form was posted from (its "next" field), if it is one of ours; else ``default``."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _get_report_for_clinic(request: HttpRequest, pk: int) -> ReactionReport:
    return get_object_or_404(
        ReactionReport.objects.select_related("patient", "infusion"), pk=pk, patient__clinic=request.user.clinic
    )


def _get_planned_infusion_for_clinic(request: HttpRequest, pk: int) -> Infusion:
    return get_object_or_404(
        Infusion.objects.select_related("patient"),
        pk=pk,
        patient__clinic=request.user.clinic,
        status=Infusion.Status.PLANNED,
    )


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def report_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    """Record (or revise) the assessment of one reported event; the page shows its history too."""
    report = _get_report_for_clinic(request, pk)
    page = selectors.pharmacovigilance.report_assessment_page(report=report)
    form = EventAssessmentForm(
        bound_data(request), prefix=ASSESSMENT_PREFIX, initial=EventAssessmentForm.initial_from(page.current)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.pharmacovigilance.event_assessment_record(report=report, by=request.user, **form.cleaned_data)
        except services.pharmacovigilance.AssessmentError as error:
            form.add_error(None, str(error))
        else:
            audit(request, patients=[report.patient_id], action="change", what=f"report {report.pk}: assessed")
            messages.success(request, _("Assessment saved."))
            default = reverse("clinic_patient_detail", args=[report.patient_id]) + f"#report-{report.pk}"
            return redirect(_back_to(request, default))
    audit(
        request,
        patients=[report.patient_id],
        action="view",
        what=f"report {report.pk}: assessment",
    )
    return render(
        request,
        "reactions/event_assessment.html",
        {"page": page, "report": report, "assessment": page.current, "assessment_form": form},
        status=400 if request.method == "POST" else 200,
    )


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def infusion_plan(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the plan for a planned infusion: proceed, premedicate, slower rate, change product or stop."""
    infusion = _get_planned_infusion_for_clinic(request, pk)
    form = InfusionPlanForm(bound_data(request), prefix=PLAN_PREFIX)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plans.infusion_plan_record(infusion=infusion, by=request.user, **form.cleaned_data)
        except services.plans.PlanError as error:
            form.add_error(None, str(error))
        else:
            audit(
                request,
                patients=[infusion.patient_id],
                action="change",
                what=f"infusion {infusion.pk}: plan {plan.decision}",
            )
            if plan.is_stop:
                messages.warning(
                    request, _("Plan saved: this infusion is stopped and the patient gets no reminder for it.")
                )
            else:
                messages.success(request, _("Plan saved."))
            return redirect(_back_to(request, reverse("clinic_patient_detail", args=[infusion.patient_id])))
    audit(
        request,
        patients=[infusion.patient_id],
        action="view",
        what=f"infusion {infusion.pk}: plan",
    )
    page = selectors.plans.infusion_plan_page(infusion=infusion)
    return render(
        request,
        "reactions/infusion_plan.html",
        {"page": page, "infusion": infusion, "plan_form": form},
        status=400 if request.method == "POST" else 200,
    )


def flag_page_context(flag: Flag) -> dict[str, Any]:
    """What the flag page's pharmacovigilance include shows: the report's assessment, and after a severe
    event the patient's next planned infusion with its plan."""
    context: dict[str, Any] = {}
    if flag.report_id:
        selectors.pharmacovigilance.attach_current_assessments([flag.report])
        current = selectors.pharmacovigilance.current_assessment(flag.report)
        context["assessment"] = current
        context["assessment_form"] = EventAssessmentForm(
            prefix=ASSESSMENT_PREFIX, initial=EventAssessmentForm.initial_from(current)
        )
    if flag.is_severe:
        context["next_infusion"] = selectors.plans.patient_next_planned(patient=flag.patient)
        context["plan_form"] = InfusionPlanForm(prefix=PLAN_PREFIX)
    return context
