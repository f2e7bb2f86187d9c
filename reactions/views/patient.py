"""The patient's own pages: home, infusions, reports. Thin: ownership check -> form -> service -> redirect."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Window
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from reactions import selectors, services
from reactions.channels.push import vapid_public_key
from reactions.domain import catalogue
from reactions.domain.red_flags import red_flags
from reactions.forms.infusions import InfusionForm, infusion_initial, infusion_next_day_initial
from reactions.forms.reports import ReactionReportForm
from reactions.models import FollowUp, Infusion, ReactionReport
from reactions.views.decorators import bound_data, follow_up_pages, patient_required, query_pk, reporter_kwargs
from reactions.views.links import checkin_page


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_clinic_staff:
        return redirect("clinic_flags")
    if not (request.user.is_patient or request.user.is_caregiver):
        # Support staff without a clinic work in Django's admin.
        return redirect("admin:index")
    return patient_home(request)


# Bounded pages: what a page renders does not grow with the patient's history.
HOME_INFUSIONS_PER_PAGE = 10


HOME_REPORTS_PER_INFUSION = 3


@follow_up_pages("home page")
def patient_home(request: HttpRequest) -> HttpResponse:
    patient = request.patient
    # Each infusion shows its latest few reports; the infusion's own page lists them all. How many it
    # has in all comes with them, counted by a window over the same rows: a count annotated on the
    # infusions would make the page count join and group every report of the patient.
    recent_reports = (
        ReactionReport.objects.annotate(infusion_report_count=Window(Count("pk"), partition_by=F("infusion_id")))
        .select_related("entered_by")
        .order_by("-created_at", "-pk")[:HOME_REPORTS_PER_INFUSION]
    )
    page = Paginator(
        Infusion.objects.filter(patient=patient)
        .order_by("-started_at", "-pk")
        .prefetch_related(Prefetch("reports", queryset=recent_reports, to_attr="recent_reports")),
        HOME_INFUSIONS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    for infusion in page.object_list:
        shown = infusion.recent_reports
        infusion.older_reports = shown[0].infusion_report_count - len(shown) if shown else 0
    # Their symptoms in one query (selectors.prefetch.attach_symptoms says why not a nested prefetch).
    selectors.prefetch.attach_symptoms([report for infusion in page.object_list for report in infusion.recent_reports])
    context = {
        "next_action": selectors.patient_home.patient_next_action(patient=patient),
        "upcoming": selectors.patient_home.patient_upcoming_infusion(patient=patient),
        "checkin": selectors.patient_home.patient_checkin_due(patient=patient),
        "page": page,
    }
    return render(request, "reactions/patient_home.html", context)


@follow_up_pages("day-before check-in")
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, pk: int) -> HttpResponse:
    """The day-before check-in, answered in the app (the same page as the e-mail's link opens)."""
    followup = get_object_or_404(
        FollowUp.objects.select_related("infusion", "patient__clinic"),
        pk=pk,
        patient=request.patient,
        kind=FollowUp.Kind.PRE_INFUSION,
    )
    return checkin_page(
        request, followup, action=reverse("checkin", args=[pk]), caregiver=request.care_link and request.user
    )


def _get_infusion_for_patient(request: HttpRequest, pk: int) -> Infusion:
    infusion = get_object_or_404(Infusion, pk=pk, patient=request.patient)
    infusion.patient = request.patient  # the row matched on it: no second query for the same user
    return infusion


@follow_up_pages("log an infusion")
@require_http_methods(["GET", "POST"])
def infusion_create(request: HttpRequest) -> HttpResponse:
    form = InfusionForm(bound_data(request), initial=_infusion_initial(request))
    if request.method == "POST" and form.is_valid():
        infusion = services.infusions.infusion_create(
            patient=request.patient, logged_by=request.user, **form.service_kwargs()
        )
        messages.success(request, _("Infusion saved."))
        return redirect("infusion_detail", pk=infusion.pk)
    return render(request, "reactions/infusion_form.html", {"form": form, "creating": True})


def _infusion_initial(request: HttpRequest) -> dict[str, Any]:
    # "?after=<pk>": the next day of a course, from the infusion page's one-tap button.
    previous = Infusion.objects.filter(patient=request.patient, pk=query_pk(request, "after")).first()
    if previous is not None:
        previous.patient = request.patient
        return infusion_next_day_initial(previous=previous, now=timezone.now())
    last = Infusion.objects.filter(patient=request.patient).order_by("-started_at").first()
    return infusion_initial(last=last, now=timezone.localtime())


@follow_up_pages("an infusion")
def infusion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    infusion = _get_infusion_for_patient(request, pk)
    reports = infusion.reports.select_related("entered_by").prefetch_related("symptoms")
    followup = selectors.followup_plan.infusion_followup_summary(infusion=infusion)
    return render(
        request, "reactions/infusion_detail.html", {"infusion": infusion, "reports": reports, "followup": followup}
    )


@follow_up_pages("edit an infusion")
@require_http_methods(["GET", "POST"])
def infusion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    infusion = _get_infusion_for_patient(request, pk)
    form = InfusionForm(bound_data(request), instance=infusion)
    if request.method == "POST" and form.is_valid():
        services.infusions.infusion_update(infusion=infusion, **form.service_kwargs())
        messages.success(request, _("Infusion updated."))
        return redirect("infusion_detail", pk=infusion.pk)
    return render(request, "reactions/infusion_form.html", {"form": form, "infusion": infusion, "creating": False})


@patient_required
@require_http_methods(["GET", "POST"])
def infusion_delete(request: HttpRequest, pk: int) -> HttpResponse:
    infusion = _get_infusion_for_patient(request, pk)
    if request.method == "POST":
        try:
            services.infusions.infusion_delete(infusion=infusion)
        except services.infusions.InfusionHasReportsError:
            messages.error(request, _("This infusion has reports and cannot be deleted. Edit it instead."))
            return redirect("infusion_detail", pk=infusion.pk)
        messages.success(request, _("Infusion deleted."))
        return redirect("home")
    return render(request, "reactions/infusion_confirm_delete.html", {"infusion": infusion})


@follow_up_pages("report symptoms")
@require_http_methods(["GET", "POST"])
def report_create(request: HttpRequest, pk: int) -> HttpResponse:
    infusion = _get_infusion_for_patient(request, pk)
    if not infusion.has_started:
        messages.info(request, _("You can report how you feel once this infusion has started."))
        return redirect("infusion_detail", pk=infusion.pk)
    form = ReactionReportForm(bound_data(request), infusion=infusion)
    if request.method == "POST" and form.is_valid():
        report = services.reports.report_create(
            infusion=infusion, **form.service_kwargs(), **reporter_kwargs(request.care_link and request.user)
        )
        if not report.is_severe:
            messages.success(request, _("Thank you. Your report has been saved and your care team can see it."))
        return redirect("report_detail", pk=report.pk)
    return render(
        request,
        "reactions/report_form.html",
        {
            "form": form,
            "infusion": infusion,
            "clinic": request.patient.clinic,
            "cancel_url": reverse("infusion_detail", args=[infusion.pk]),
        },
    )


@require_POST
def report_red_flags(request: HttpRequest) -> JsonResponse:
    """The warning signs some report notes name, for the form to ask the patient to tick them.

    Open to the e-mailed report link too, so it needs no sign-in; it reads only the text it is sent
    (CSRF-protected, at most a report's length) and returns catalogue codes and labels.
    """
    notes = request.POST.get("notes", "")[: ReactionReport._meta.get_field("notes").max_length]
    signs = [{"code": code, "label": str(catalogue.get_translated(code).label)} for code in red_flags(notes)]
    return JsonResponse({"signs": signs})


@follow_up_pages("a report")
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(
        ReactionReport.objects.select_related("infusion", "patient__clinic", "entered_by").prefetch_related("symptoms"),
        pk=pk,
        patient=request.patient,
    )
    context = {"report": report, "clinic": report.patient.clinic}
    if not report.is_severe:
        # After a report, the page offers notifications on this phone; never beside what to do urgently.
        context["vapid_public_key"] = vapid_public_key()
    return render(request, "reactions/report_detail.html", context)
