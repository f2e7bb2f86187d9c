"""The clinic's patients, their timelines and infusions, products, settings and invitations."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reactions import selectors, services
from reactions.domain import triage
from reactions.exports.prompt_response import prompt_response_csv
from reactions.exports.response_times import response_times_csv
from reactions.forms.accounts import (
    InvitationForm,
    PatientDetailsForm,
    PatientRiskForm,
    PhoneForm,
)
from reactions.forms.clinic import ClinicSettingsForm
from reactions.forms.filters import DateRangeForm, PatientSearchForm
from reactions.forms.infusions import (
    InfusionForm,
    RateChangeForm,
    VitalsForm,
    infusion_initial,
    infusion_next_day_initial,
)
from reactions.forms.reports import ReclassifyForm, StaffReportForm
from reactions.models import Flag, Infusion, ReactionReport, User
from reactions.selectors.burden import symptom_burden
from reactions.views.decorators import audit, bound_data, clinic_staff_required, query_pk

TIMELINE_INFUSIONS_PER_PAGE = 4


PRODUCT_LOTS_PER_PAGE = 50


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def invitation_create(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(bound_data(request), inviter=request.user)
    if request.method == "POST" and form.is_valid():
        invitation = services.accounts.invitation_create(
            clinic=request.user.clinic,
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            role=form.cleaned_data["role"],
            invited_by=request.user,
            phone=form.cleaned_data["phone"],
        )
        messages.success(request, _("The invitation to %(email)s is on its way.") % {"email": invitation.email})
        return redirect("invitation_create")
    recent = selectors.clinic.recent_invitations(clinic=request.user.clinic)
    return render(request, "reactions/invitation_form.html", {"form": form, "recent": recent})


@clinic_staff_required
def clinic_patients(request: HttpRequest) -> HttpResponse:
    form = PatientSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.clinic.clinic_patient_rows(
        clinic=request.user.clinic, query=filters.get("q", ""), sort=filters.get("sort", "")
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    audit(request, patients=[p.pk for p in page.object_list], action="view", what="patient list")
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reactions/clinic_patients.html", {"form": form, "page": page, "query": query.urlencode()})


def _get_patient_for_clinic(request: HttpRequest, pk: int) -> User:
    return get_object_or_404(User, pk=pk, role=User.Role.PATIENT, clinic=request.user.clinic)


def _get_infusion_for_clinic(request: HttpRequest, pk: int) -> Infusion:
    return get_object_or_404(Infusion.objects.select_related("patient"), pk=pk, patient__clinic=request.user.clinic)


def _clinic_admin_only(request: HttpRequest) -> None:
    if request.user.role != User.Role.CLINIC_ADMIN:
        raise Http404


@clinic_staff_required
def clinic_patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _patient_page(request, _get_patient_for_clinic(request, pk))


def _patient_page(
    request: HttpRequest,
    patient: User,
    *,
    phone_form: PhoneForm | None = None,
    risk_form: PatientRiskForm | None = None,
) -> HttpResponse:
    """The patient's timeline; with a phone or risk form that did not validate, shown again with its errors."""
    audit(request, patients=[patient], action="view", what="timeline")
    timeline = selectors.timeline.patient_timeline(patient=patient)
    page = Paginator(timeline, TIMELINE_INFUSIONS_PER_PAGE).get_page(request.GET.get("page"))
    infusions = selectors.timeline.timeline_details(page.object_list)
    selectors.followup_plan.timeline_followup(patient=patient, infusions=infusions)
    context = {
        "patient": patient,
        "page": page,
        "infusions": infusions,
        "chart": symptom_burden(patient=patient),
        "reach": selectors.reach.patient_reach(patient=patient),
        "details_form": PatientDetailsForm(instance=patient),
        "risk_form": risk_form or PatientRiskForm(instance=patient),
        "phone_form": phone_form or PhoneForm(initial={"phone": patient.phone}, by_staff=True),
    }
    status = 400 if phone_form is not None or risk_form is not None else 200
    return render(request, "reactions/clinic_patient_detail.html", context, status=status)


@clinic_staff_required
@require_POST
def clinic_patient_risk(request: HttpRequest, pk: int) -> HttpResponse:
    """Clinic staff record the patient's risk factors: they add follow-up prompts from now on."""
    patient = _get_patient_for_clinic(request, pk)
    form = PatientRiskForm(request.POST, instance=User.objects.get(pk=patient.pk))
    if not form.is_valid():
        return _patient_page(request, patient, risk_form=form)
    services.accounts.patient_update_risk(patient=patient, **form.cleaned_data)
    audit(request, patients=[patient], action="change", what="follow-up risk factors")
    messages.success(request, _("Risk factors saved. The patient's follow-up prompts now follow them."))
    return redirect(reverse("clinic_patient_detail", args=[patient.pk]) + "#risk-title")


@clinic_staff_required
@require_POST
def clinic_patient_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """Clinic staff set or correct the number the patient is called back on."""
    patient = _get_patient_for_clinic(request, pk)
    form = PhoneForm(request.POST, by_staff=True)
    if not form.is_valid():
        return _patient_page(request, patient, phone_form=form)
    services.accounts.user_set_phone(user=patient, phone=form.cleaned_data["phone"])
    audit(request, patients=[patient], action="change", what="phone number")
    messages.success(request, _("Phone number saved."))
    return redirect(reverse("clinic_patient_detail", args=[patient.pk]) + "#phone-title")


@clinic_staff_required
@require_POST
def clinic_patient_update(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient_for_clinic(request, pk)
    form = PatientDetailsForm(request.POST, instance=patient)
    if form.is_valid():
        services.accounts.patient_update_details(patient=patient, indication=form.cleaned_data["indication"])
        audit(request, patients=[patient], action="change", what="indication")
        messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Choose an indication from the list."))
    return redirect("clinic_patient_detail", pk=patient.pk)


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def report_reclassify(request: HttpRequest, pk: int) -> HttpResponse:
    """A page of its own, linked from each report on the timeline: one form per page, not one per card."""
    report = get_object_or_404(
        ReactionReport.objects.select_related("patient", "infusion").prefetch_related("symptoms"),
        pk=pk,
        patient__clinic=request.user.clinic,
    )
    form = ReclassifyForm(bound_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.reports.report_reclassify(
                report=report,
                by=request.user,
                to_level=form.cleaned_data["to_level"],
                reason=form.cleaned_data["reason"],
            )
        except services.triage.FlagActionError as error:
            form.add_error(None, str(error))
        else:
            audit(request, patients=[report.patient_id], action="change", what=f"report {report.pk}: reclassified")
            messages.success(request, _("Report reclassified; the patient's own answers are kept."))
            return redirect(reverse("clinic_patient_detail", args=[report.patient_id]) + f"#report-{report.pk}")
    if request.method == "GET":
        audit(request, patients=[report.patient_id], action="view", what=f"report {report.pk}")
    return render(
        request,
        "reactions/report_reclassify.html",
        {"report": report, "form": form},
        status=400 if form.errors else 200,
    )


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def clinic_infusion_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A clinician logs an infusion on the patient's behalf; the patient gets the same follow-ups."""
    patient = _get_patient_for_clinic(request, pk)
    previous = Infusion.objects.filter(patient=patient, pk=query_pk(request, "after")).first()
    if previous is not None:
        previous.patient = patient
        initial = infusion_next_day_initial(previous=previous, now=timezone.now())
    else:
        initial = {**infusion_initial(last=None, now=timezone.localtime()), "setting": Infusion.Setting.CLINIC}
    form = InfusionForm(bound_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        infusion = services.infusions.infusion_create(patient=patient, logged_by=request.user, **form.service_kwargs())
        audit(request, patients=[patient], action="change", what=f"infusion {infusion.pk}: logged")
        messages.success(request, _("Infusion saved for %(name)s.") % {"name": patient.full_name})
        return redirect("clinic_infusion_detail", pk=infusion.pk)
    return render(request, "reactions/infusion_form.html", {"form": form, "creating": True, "for_patient": patient})


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def clinic_report_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff enter a report given by phone, in the clinic or by a caregiver: the same rules and alerts apply."""
    infusion = _get_infusion_for_clinic(request, pk)
    form = StaffReportForm(bound_data(request), infusion=infusion)
    if request.method == "POST" and form.is_valid():
        report = services.reports.report_create(infusion=infusion, entered_by=request.user, **form.service_kwargs())
        audit(request, patients=[infusion.patient_id], action="change", what=f"report {report.pk}: entered by staff")
        severe = report.flags.filter(kind=Flag.Kind.SEVERE_EVENT).first()
        if severe:
            messages.warning(
                request, _("Saved as “%(tier)s”: clinicians are being alerted.") % {"tier": report.get_tier_display()}
            )
            return redirect("flag_detail", pk=severe.pk)
        messages.success(request, _("Report saved for %(name)s.") % {"name": infusion.patient.full_name})
        return redirect("clinic_patient_detail", pk=infusion.patient_id)
    return render(
        request,
        "reactions/report_form.html",
        {
            "form": form,
            "infusion": infusion,
            "clinic": infusion.patient.clinic,
            "staff_entry": True,
            "cancel_url": reverse("clinic_patient_detail", args=[infusion.patient_id]),
        },
    )


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def clinic_infusion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """During the infusion: vitals and rate changes, each a small form on this page."""
    infusion = _get_infusion_for_clinic(request, pk)
    audit(
        request,
        patients=[infusion.patient_id],
        action="change" if request.method == "POST" else "view",
        what=f"infusion {infusion.pk}",
    )
    vitals_form = VitalsForm(
        infusion=infusion, prefix="v", initial={"recorded_at": timezone.localtime().replace(second=0, microsecond=0)}
    )
    rate_form = RateChangeForm(
        infusion=infusion, prefix="r", initial={"changed_at": timezone.localtime().replace(second=0, microsecond=0)}
    )
    if request.method == "POST":
        if "v-phase" in request.POST:
            vitals_form = VitalsForm(request.POST, infusion=infusion, prefix="v")
            if vitals_form.is_valid():
                vitals = services.infusions.vitals_record(
                    infusion=infusion, by=request.user, **vitals_form.cleaned_data
                )
                if vitals.out_of_range:
                    messages.warning(
                        request, _("Saved. Some values are outside the safe range: a review flag is open.")
                    )
                else:
                    messages.success(request, _("Vitals saved."))
                return redirect("clinic_infusion_detail", pk=infusion.pk)
        else:
            rate_form = RateChangeForm(request.POST, infusion=infusion, prefix="r")
            if rate_form.is_valid():
                services.infusions.rate_change_record(infusion=infusion, by=request.user, **rate_form.cleaned_data)
                messages.success(request, _("Rate change saved."))
                return redirect("clinic_infusion_detail", pk=infusion.pk)
    selectors.checkins.attach_checkins([infusion])
    context = {
        "infusion": infusion,
        "followup": selectors.followup_plan.infusion_followup_summary(infusion=infusion),
        "vitals": infusion.vitals.select_related("recorded_by"),
        "rates": infusion.rate_changes.select_related("recorded_by"),
        "vitals_form": vitals_form,
        "rate_form": rate_form,
        "ranges": infusion.patient.clinic.vitals_safe_ranges,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "reactions/clinic_infusion_detail.html", context, status=status)


@clinic_staff_required
def product_report(request: HttpRequest) -> HttpResponse:
    form = DateRangeForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    report = selectors.products.product_report(
        clinic=request.user.clinic, date_from=filters.get("date_from"), date_to=filters.get("date_to")
    )
    # A clinic has hundreds of lots: the per-lot table is shown a page at a time (Previous/Next below it).
    page = Paginator(report["lots"], PRODUCT_LOTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reactions/product_report.html",
        {"form": form, **report, "lots": page.object_list, "page": page, "query": query.urlencode()},
    )


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def clinic_settings(request: HttpRequest) -> HttpResponse:
    _clinic_admin_only(request)
    form = ClinicSettingsForm(bound_data(request), instance=request.user.clinic)
    if request.method == "POST" and form.is_valid():
        settings_ = {name: form.cleaned_data[name] for name in form.Meta.fields}
        services.accounts.clinic_update_settings(
            clinic=request.user.clinic, followup_offsets_hours=form.cleaned_data["followup_offsets"], **settings_
        )
        messages.success(
            request, _("Clinic settings saved. New follow-up times apply to infusions logged from now on.")
        )
        return redirect("clinic_settings")
    return render(request, "reactions/clinic_settings.html", {"form": form})


@clinic_staff_required
def triage_rules(request: HttpRequest) -> HttpResponse:
    """The rule table that triages every report, with its version and sources, readable by clinic staff."""
    return render(
        request,
        "reactions/triage_rules.html",
        {
            "rules": triage.rule_table(),
            "version": triage.RULES_VERSION,
            "emergency_number": request.user.clinic.emergency_call_number,
        },
    )


@clinic_staff_required
@require_GET
def clinic_response_times(request: HttpRequest) -> HttpResponse:
    """For clinic admins: how fast severe events were acknowledged and patients reached, last 30 days."""
    _clinic_admin_only(request)
    times = selectors.response_times.severe_response_times(clinic=request.user.clinic)
    return render(request, "reactions/clinic_response_times.html", {"times": times})


@clinic_staff_required
@require_GET
def clinic_response_times_csv(request: HttpRequest) -> StreamingHttpResponse:
    _clinic_admin_only(request)
    times = selectors.response_times.severe_response_times(clinic=request.user.clinic)
    response = StreamingHttpResponse(
        response_times_csv(times, clinic=request.user.clinic), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="ivigtrack-response-times-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    return response


def _prompt_response(request: HttpRequest) -> tuple[DateRangeForm, selectors.prompt_response.PromptResponse]:
    form = DateRangeForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    response = selectors.prompt_response.prompt_response(
        clinic=request.user.clinic, date_from=filters.get("date_from"), date_to=filters.get("date_to")
    )
    return form, response


@clinic_staff_required
@require_GET
def clinic_prompt_response(request: HttpRequest) -> HttpResponse:
    """For clinic admins: how patients answer the follow-up prompts, per prompt offset."""
    _clinic_admin_only(request)
    form, response = _prompt_response(request)
    return render(
        request,
        "reactions/clinic_prompt_response.html",
        {"form": form, "response": response, "query": request.GET.urlencode()},
    )


@clinic_staff_required
@require_GET
def clinic_prompt_response_csv(request: HttpRequest) -> StreamingHttpResponse:
    _clinic_admin_only(request)
    _form, response = _prompt_response(request)
    stream = StreamingHttpResponse(
        prompt_response_csv(response, clinic=request.user.clinic), content_type="text/csv; charset=utf-8"
    )
    stream["Content-Disposition"] = (
        f'attachment; filename="ivigtrack-prompt-answers-{response.date_from:%Y-%m-%d}-{response.date_to:%Y-%m-%d}.csv"'
    )
    return stream
