"""Thin views: ownership check -> form -> service -> redirect.

Anything a user may not see is a 404, never a 403: the existence of another
patient's record is itself private.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .forms import (
    AcceptInvitationForm,
    AcknowledgeForm,
    ClinicSettingsForm,
    FollowupPreferenceForm,
    InfusionForm,
    InvitationForm,
    ReactionReportForm,
)
from .models import Flag, FollowUp, Infusion, ReactionReport, ReportedSymptom, User

View = Callable[..., HttpResponse]


def patient_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_patient:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def clinic_staff_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_clinic_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _get_infusion_for_patient(request: HttpRequest, pk: int) -> Infusion:
    return get_object_or_404(Infusion, pk=pk, patient=request.user)


def _get_flag_for_clinic(request: HttpRequest, pk: int) -> Flag:
    return get_object_or_404(
        Flag.objects.select_related("patient", "report__infusion", "acknowledged_by").prefetch_related("report__symptoms"),
        pk=pk,
        clinic=request.user.clinic,
    )


# --- Home ------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_clinic_staff:
        return redirect("clinic_flags")
    if not request.user.is_patient:
        # Support staff without a clinic work in Django's admin.
        return redirect("admin:index")
    return patient_home(request)


def patient_home(request: HttpRequest) -> HttpResponse:
    patient = request.user
    page = Paginator(
        Infusion.objects.filter(patient=patient).prefetch_related(
            Prefetch("reports", queryset=ReactionReport.objects.prefetch_related("symptoms"))
        ),
        10,
    ).get_page(request.GET.get("page"))
    context = {
        "next_action": services.patient_next_action(patient=patient),
        "upcoming": services.patient_upcoming_infusion(patient=patient),
        "page": page,
    }
    return render(request, "reactions/patient_home.html", context)


# --- Infusions -----------------------------------------------------------------------


@patient_required
@require_http_methods(["GET", "POST"])
def infusion_create(request: HttpRequest) -> HttpResponse:
    form = InfusionForm(request.POST or None, initial=_infusion_initial(request))
    if request.method == "POST" and form.is_valid():
        infusion = services.infusion_create(patient=request.user, logged_by=request.user, **form.service_kwargs())
        messages.success(request, _("Infusion saved."))
        return redirect("infusion_detail", pk=infusion.pk)
    return render(request, "reactions/infusion_form.html", {"form": form, "creating": True})


def _infusion_initial(request: HttpRequest) -> dict[str, Any]:
    # Most patients log on the day: prefill today, and the product and premedication of last time.
    last = Infusion.objects.filter(patient=request.user).order_by("-started_at").first()
    initial: dict[str, Any] = {"status": Infusion.Status.GIVEN}
    if last is not None:
        initial.update(
            product=last.product,
            product_other=last.product_other,
            dose_grams=last.dose_grams,
            setting=last.setting,
            premedication=last.premedication,
        )
    return initial


@patient_required
def infusion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    infusion = _get_infusion_for_patient(request, pk)
    reports = infusion.reports.prefetch_related("symptoms")
    return render(request, "reactions/infusion_detail.html", {"infusion": infusion, "reports": reports})


@patient_required
@require_http_methods(["GET", "POST"])
def infusion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    infusion = _get_infusion_for_patient(request, pk)
    form = InfusionForm(request.POST or None, instance=infusion)
    if request.method == "POST" and form.is_valid():
        services.infusion_update(infusion=infusion, **form.service_kwargs())
        messages.success(request, _("Infusion updated."))
        return redirect("infusion_detail", pk=infusion.pk)
    return render(request, "reactions/infusion_form.html", {"form": form, "infusion": infusion, "creating": False})


@patient_required
@require_http_methods(["GET", "POST"])
def infusion_delete(request: HttpRequest, pk: int) -> HttpResponse:
    infusion = _get_infusion_for_patient(request, pk)
    if request.method == "POST":
        try:
            services.infusion_delete(infusion=infusion)
        except services.InfusionHasReports:
            messages.error(request, _("This infusion has reports and cannot be deleted. Edit it instead."))
            return redirect("infusion_detail", pk=infusion.pk)
        messages.success(request, _("Infusion deleted."))
        return redirect("home")
    return render(request, "reactions/infusion_confirm_delete.html", {"infusion": infusion})


# --- Reaction reports ----------------------------------------------------------------


@patient_required
@require_http_methods(["GET", "POST"])
def report_create(request: HttpRequest, pk: int) -> HttpResponse:
    infusion = _get_infusion_for_patient(request, pk)
    if infusion.started_at > timezone.now():
        messages.info(request, _("You can report how you feel once this infusion has started."))
        return redirect("infusion_detail", pk=infusion.pk)
    form = ReactionReportForm(request.POST or None, infusion=infusion)
    if request.method == "POST" and form.is_valid():
        report = services.report_create(infusion=infusion, symptoms=form.entries, notes=form.cleaned_data["notes"])
        if not report.is_severe:
            messages.success(request, _("Thank you. Your report has been saved and your care team can see it."))
        return redirect("report_detail", pk=report.pk)
    return render(
        request,
        "reactions/report_form.html",
        {"form": form, "infusion": infusion, "clinic": request.user.clinic,
         "cancel_url": reverse("infusion_detail", args=[infusion.pk])},
    )  # fmt: skip


@patient_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(
        ReactionReport.objects.select_related("infusion", "patient__clinic").prefetch_related("symptoms"),
        pk=pk,
        patient=request.user,
    )
    return render(request, "reactions/report_detail.html", {"report": report, "clinic": report.patient.clinic})


# --- Invitations ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_from_token(token=token)
    except services.InvitationError as error:
        return render(request, "reactions/invitation_problem.html", {"problem": error.problem}, status=400)
    form = AcceptInvitationForm(request.POST or None, email=invitation.email, initial={"full_name": invitation.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password1"]
            )
        except services.InvitationError as error:
            return render(request, "reactions/invitation_problem.html", {"problem": error.problem}, status=400)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to ivigtrack, %(name)s.") % {"name": user.get_short_name()})
        return redirect("home")
    return render(request, "reactions/invitation_accept.html", {"form": form, "invitation": invitation})


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def invitation_create(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None, inviter=request.user)
    if request.method == "POST" and form.is_valid():
        invitation, sent = services.invitation_create(
            clinic=request.user.clinic,
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            role=form.cleaned_data["role"],
            invited_by=request.user,
        )
        if sent:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("invitation_create")
        # The e-mail failed: the clinician can still pass the link on by hand.
        return render(
            request,
            "reactions/invitation_unsent.html",
            {"invitation": invitation, "url": services.invitation_url(invitation=invitation)},
        )
    recent = request.user.clinic.invitations.select_related("invited_by").order_by("-created_at")[:10]
    return render(request, "reactions/invitation_form.html", {"form": form, "recent": recent})


# --- Clinician: flags ----------------------------------------------------------------


def _flag_queryset(clinic_id: int):
    return (
        Flag.objects.filter(clinic_id=clinic_id)
        .select_related("patient", "report__infusion", "acknowledged_by")
        .prefetch_related(Prefetch("report__symptoms", queryset=ReportedSymptom.objects.order_by("id")))
        .annotate(
            severity_rank=Case(When(kind=Flag.Kind.SEVERE_EVENT, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
    )


@clinic_staff_required
def clinic_flags(request: HttpRequest) -> HttpResponse:
    base = _flag_queryset(request.user.clinic_id)
    open_flags = base.filter(status=Flag.Status.OPEN).order_by("severity_rank", "-created_at")[:200]
    acknowledged = base.filter(status=Flag.Status.ACKNOWLEDGED).order_by("-acknowledged_at")[:20]
    no_response = (
        services.clinic_no_response_followups(clinic=request.user.clinic)
        .select_related("patient", "infusion")
        .order_by("-closed_at")[:100]
    )
    return render(
        request,
        "reactions/clinic_flags.html",
        {"open_flags": open_flags, "acknowledged": acknowledged, "no_response": no_response},
    )


@clinic_staff_required
def flag_detail(request: HttpRequest, pk: int) -> HttpResponse:
    flag = _get_flag_for_clinic(request, pk)
    return render(request, "reactions/flag_detail.html", {"flag": flag, "form": AcknowledgeForm()})


@clinic_staff_required
@require_POST
def flag_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    flag = _get_flag_for_clinic(request, pk)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        return render(request, "reactions/flag_detail.html", {"flag": flag, "form": form}, status=400)
    if services.flag_acknowledge(flag=flag, by=request.user, note=form.cleaned_data["note"]):
        messages.success(request, _("Acknowledged."))
    else:
        messages.info(
            request, _("%(name)s acknowledged this first.") % {"name": flag.acknowledged_by or _("A colleague")}
        )
    return redirect("clinic_flags")


# --- Follow-up links (no password: the signed token opens this one prompt only) ------------


def _followup_or_problem(request: HttpRequest, token: str) -> FollowUp | HttpResponse:
    try:
        return services.followup_from_token(token=token)
    except services.LinkError as error:
        return render(request, "reactions/link_problem.html", {"problem": error.problem}, status=400)


@require_http_methods(["GET", "POST"])
def followup_answer(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows one big button; only its POST records "no new symptoms" (mail scanners follow GETs)."""
    followup = _followup_or_problem(request, token)
    if isinstance(followup, HttpResponse):
        return followup
    if request.method == "POST":
        recorded = services.followup_answer(followup=followup, answer=FollowUp.Answer.NO_SYMPTOMS)
        return render(request, "reactions/followup_done.html", {"followup": followup, "recorded": recorded, "token": token})
    if followup.status not in services.OPEN_PROMPT_STATUSES:
        return render(request, "reactions/followup_done.html", {"followup": followup, "recorded": False, "token": token})
    return render(request, "reactions/followup_answer.html", {"followup": followup, "token": token})


@require_http_methods(["GET", "POST"])
def followup_report(request: HttpRequest, token: str) -> HttpResponse:
    followup = _followup_or_problem(request, token)
    if isinstance(followup, HttpResponse):
        return followup
    if followup.status not in services.OPEN_PROMPT_STATUSES:
        return render(request, "reactions/followup_done.html", {"followup": followup, "recorded": False, "token": token})
    infusion = followup.infusion
    form = ReactionReportForm(request.POST or None, infusion=infusion)
    if request.method == "POST" and form.is_valid():
        report = services.report_create(infusion=infusion, symptoms=form.entries, notes=form.cleaned_data["notes"])
        # Rendered, not redirected: the result page must not be reachable by URL without the token.
        return render(
            request,
            "reactions/followup_reported.html",
            {"report": report, "clinic": followup.patient.clinic, "followup": followup},
        )
    return render(
        request,
        "reactions/report_form.html",
        {"form": form, "infusion": infusion, "clinic": followup.patient.clinic, "token_link": True,
         "cancel_url": reverse("followup_answer", args=[token])},
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def email_preferences(request: HttpRequest, token: str) -> HttpResponse:
    """Pause, stop or resume follow-up e-mails from a link in any e-mail, without signing in."""
    try:
        patient = services.user_from_email_preferences_token(token=token)
    except services.LinkError as error:
        return render(request, "reactions/link_problem.html", {"problem": error.problem}, status=400)
    return _followup_preferences(request, patient, template="reactions/email_preferences.html")


@patient_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    return _followup_preferences(request, request.user, template="reactions/profile.html")


def _followup_preferences(request: HttpRequest, patient: User, *, template: str) -> HttpResponse:
    if request.method == "POST":
        form = FollowupPreferenceForm(request.POST)
        if form.is_valid():
            services.patient_followups_set(patient=patient, choice=form.cleaned_data["choice"])
            messages.success(request, _("Your follow-up e-mail setting is saved."))
            return redirect(request.path)
    return render(request, template, {"patient": patient})


# --- Clinic ------------------------------------------------------------------------------------


@clinic_staff_required
def clinic_patients(request: HttpRequest) -> HttpResponse:
    patients = services.clinic_patient_rows(clinic=request.user.clinic)
    return render(request, "reactions/clinic_patients.html", {"patients": patients})


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def clinic_settings(request: HttpRequest) -> HttpResponse:
    if request.user.role != User.Role.CLINIC_ADMIN:
        raise Http404
    form = ClinicSettingsForm(request.POST or None, instance=request.user.clinic)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Clinic settings saved. New follow-up times apply to infusions logged from now on."))
        return redirect("clinic_settings")
    return render(request, "reactions/clinic_settings.html", {"form": form})
