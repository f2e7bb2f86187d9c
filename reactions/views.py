"""Thin views: ownership check -> form -> service -> redirect.

Anything a user may not see is a 404, never a 403: the existence of another
patient's record is itself private.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cache, wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Window
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from reactions import selectors, services
from reactions.forms.accounts import (
    AcceptInvitationForm,
    FollowupPreferenceForm,
    InvitationForm,
    LanguageForm,
    PatientDetailsForm,
)
from reactions.forms.clinic import ClinicSettingsForm
from reactions.forms.filters import DateRangeForm, PatientSearchForm, QueueFilterForm
from reactions.forms.infusions import InfusionForm, RateChangeForm, VitalsForm
from reactions.forms.reports import ReactionReportForm, ReclassifyForm
from reactions.forms.triage import AcknowledgeForm, FlagAssignForm, FlagCloseForm, FlagNoteForm, FlagSnoozeForm

from .charts import symptom_burden
from .models import Flag, FollowUp, Infusion, ReactionReport, User
from .signin import allow_first_device
from .templatetags.fast_fields import bs5_field

View = Callable[..., HttpResponse]


def bound_data(request: HttpRequest) -> Any:
    """The POST data to bind a form to, or None for a GET.

    Not `request.POST or None`: an empty POST is falsy, and would show the form again
    without saying what is missing.
    """
    return request.POST if request.method == "POST" else None


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
    infusion = get_object_or_404(Infusion, pk=pk, patient=request.user)
    infusion.patient = request.user  # the row matched on it: no second query for the same user
    return infusion


def _get_flag_for_clinic(request: HttpRequest, pk: int) -> Flag:
    return get_object_or_404(
        Flag.objects.select_related(
            "patient", "report__infusion", "vitals__infusion", "followup__infusion", "acknowledged_by",
            "assigned_to", "closed_by",
        ).prefetch_related("report__symptoms", "report__reclassifications__by"),
        pk=pk,
        clinic=request.user.clinic,
    )  # fmt: skip


# --- Home ------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_clinic_staff:
        return redirect("clinic_flags")
    if not request.user.is_patient:
        # Support staff without a clinic work in Django's admin.
        return redirect("admin:index")
    return patient_home(request)


# Bounded pages: what a page renders does not grow with the patient's history.
HOME_INFUSIONS_PER_PAGE = 10
HOME_REPORTS_PER_INFUSION = 3
TIMELINE_INFUSIONS_PER_PAGE = 4
QUEUE_FLAGS_PER_PAGE = 25
PRODUCT_LOTS_PER_PAGE = 50


def patient_home(request: HttpRequest) -> HttpResponse:
    patient = request.user
    # Each infusion shows its latest few reports; the infusion's own page lists them all. How many it
    # has in all comes with them, counted by a window over the same rows: annotating the infusions
    # instead made the page count join and group every report of the patient.
    recent_reports = ReactionReport.objects.annotate(
        infusion_report_count=Window(Count("pk"), partition_by=F("infusion_id"))
    ).order_by("-created_at", "-pk")[:HOME_REPORTS_PER_INFUSION]
    page = Paginator(
        Infusion.objects.filter(patient=patient)
        .order_by("-started_at", "-pk")
        .prefetch_related(Prefetch("reports", queryset=recent_reports, to_attr="recent_reports")),
        HOME_INFUSIONS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    for infusion in page.object_list:
        shown = infusion.recent_reports
        infusion.older_reports = shown[0].infusion_report_count - len(shown) if shown else 0
    # Their symptoms in one query, grouped here: a prefetch inside the reports' prefetch cost more than its query.
    selectors.prefetch.attach_symptoms([report for infusion in page.object_list for report in infusion.recent_reports])
    context = {
        "next_action": selectors.patient_home.patient_next_action(patient=patient),
        "upcoming": selectors.patient_home.patient_upcoming_infusion(patient=patient),
        "page": page,
    }
    return render(request, "reactions/patient_home.html", context)


# --- Infusions -----------------------------------------------------------------------


@patient_required
@require_http_methods(["GET", "POST"])
def infusion_create(request: HttpRequest) -> HttpResponse:
    form = InfusionForm(bound_data(request), initial=_infusion_initial(request))
    if request.method == "POST" and form.is_valid():
        infusion = services.infusions.infusion_create(patient=request.user, logged_by=request.user, **form.service_kwargs())
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
        except services.infusions.InfusionHasReports:
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
    form = ReactionReportForm(bound_data(request), infusion=infusion)
    if request.method == "POST" and form.is_valid():
        report = services.reports.report_create(infusion=infusion, symptoms=form.entries, notes=form.cleaned_data["notes"])
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
        invitation = services.links.invitation_from_token(token=token)
    except services.links.InvitationError as error:
        return render(request, "reactions/invitation_problem.html", {"problem": error.problem}, status=400)
    form = AcceptInvitationForm(bound_data(request), email=invitation.email, initial={"full_name": invitation.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accounts.invitation_accept(
                invitation=invitation, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password1"]
            )
        except services.links.InvitationError as error:
            return render(request, "reactions/invitation_problem.html", {"problem": error.problem}, status=400)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        # The invitation was e-mailed to this address: this session may enrol the first authenticator.
        allow_first_device(request, user)
        messages.success(request, _("Welcome to ivigtrack, %(name)s.") % {"name": user.get_short_name()})
        return redirect("home")
    return render(request, "reactions/invitation_accept.html", {"form": form, "invitation": invitation})


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
        )
        messages.success(request, _("The invitation to %(email)s is on its way.") % {"email": invitation.email})
        return redirect("invitation_create")
    recent = selectors.clinic.recent_invitations(clinic=request.user.clinic)
    return render(request, "reactions/invitation_form.html", {"form": form, "recent": recent})


# --- Clinician: triage queue and flags ------------------------------------------------------


@clinic_staff_required
def clinic_flags(request: HttpRequest) -> HttpResponse:
    """The clinician's home: the triage queue with filters."""
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status") or "active"
    flags = selectors.triage_queue.clinic_queue(
        clinic=request.user.clinic,
        kind=filters.get("kind", ""),
        status=status,
        product=filters.get("product", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = Paginator(flags, QUEUE_FLAGS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = selectors.triage_queue.queue_details(page.object_list)
    if status == "active" and not any(filters.get(name) for name in ("kind", "product", "date_from", "date_to")):
        request.queue_count = page.paginator.count  # what the navigation badge counts (context_processors)
    services.audit.audit_record(request=request, patients=[f.patient_id for f in page.object_list], action="view",
                          what="triage queue")  # fmt: skip
    query = request.GET.copy()
    query.pop("page", None)
    fields = _queue_filter_fields(translation.get_language()) if not form.is_bound else _filter_fields(form)
    return render(request, "reactions/clinic_flags.html", {"form": form, "fields": fields, "page": page,
                  "query": query.urlencode(), "refresh_seconds": settings.QUEUE_REFRESH_SECONDS})  # fmt: skip


def _filter_fields(form: QueueFilterForm) -> dict[str, SafeString]:
    return {name: bs5_field(form[name]) for name in form.fields}


@cache
def _queue_filter_fields(language: str) -> dict[str, SafeString]:
    """The unfiltered queue's filter fields, written once per language: the queue reloads itself every
    minute on every clinician's screen, and its form (fixed choices, no data) is the same each time."""
    return _filter_fields(QueueFilterForm())


@clinic_staff_required
def flag_detail(request: HttpRequest, pk: int) -> HttpResponse:
    flag = _get_flag_for_clinic(request, pk)
    services.audit.audit_record(request=request, patients=[flag.patient_id], action="view", what=f"flag {flag.pk}")
    return render(request, "reactions/flag_detail.html", _flag_context(request, flag))


def _flag_context(request: HttpRequest, flag: Flag, **bound_forms: Any) -> dict[str, Any]:
    forms = {
        "ack_form": AcknowledgeForm(),
        "assign_form": FlagAssignForm(clinic=request.user.clinic, initial={"assignee": flag.assigned_to_id}),
        "note_form": FlagNoteForm(),
        "close_form": FlagCloseForm(),
        "snooze_form": FlagSnoozeForm(),
        "reclassify_form": ReclassifyForm(),
    }
    forms.update(bound_forms)
    events = flag.events.select_related("actor")
    return {"flag": flag, "events": events, **forms}


# Each action: (form name in the template context, form factory, service call).
_FLAG_ACTIONS: dict[str, tuple[str, Callable[..., Any], Callable[..., Any]]] = {
    "acknowledge": (
        "ack_form", lambda r, d: AcknowledgeForm(d),
        lambda r, f, c: services.triage.flag_acknowledge(flag=f, by=r.user, note=c["note"]),
    ),
    "assign": (
        "assign_form", lambda r, d: FlagAssignForm(d, clinic=r.user.clinic),
        lambda r, f, c: services.triage.flag_assign(flag=f, by=r.user, assignee=c["assignee"]),
    ),
    "note": (
        "note_form", lambda r, d: FlagNoteForm(d),
        lambda r, f, c: services.triage.flag_add_note(flag=f, by=r.user, note=c["note"]),
    ),
    "close": (
        "close_form", lambda r, d: FlagCloseForm(d),
        lambda r, f, c: services.triage.flag_close(flag=f, by=r.user, outcome=c["outcome"], note=c["note"]),
    ),
    "snooze": (
        "snooze_form", lambda r, d: FlagSnoozeForm(d),
        lambda r, f, c: services.triage.flag_snooze(
            flag=f, by=r.user, until=timezone.now() + timedelta(days=c["days"]), reason=c["reason"]),
    ),
    "reopen": (
        "note_form", lambda r, d: FlagNoteForm({"note": d.get("note") or "Reopened"}),
        lambda r, f, c: services.triage.flag_reopen(flag=f, by=r.user, note=c["note"]),
    ),
    "reclassify": (
        "reclassify_form", lambda r, d: ReclassifyForm(d),
        lambda r, f, c: services.reports.report_reclassify(report=f.report, by=r.user, to_level=c["to_level"], reason=c["reason"]),
    ),
}  # fmt: skip


@clinic_staff_required
@require_POST
def flag_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in _FLAG_ACTIONS:
        raise Http404
    flag = _get_flag_for_clinic(request, pk)
    form_name, make_form, perform = _FLAG_ACTIONS[action]
    form = make_form(request, request.POST)
    if action == "reclassify" and flag.report_id is None:
        form.add_error(None, _("Only a patient's report can be reclassified."))
    if not form.is_valid():
        return render(request, "reactions/flag_detail.html", _flag_context(request, flag, **{form_name: form}), status=400)
    try:
        result = perform(request, flag, form.cleaned_data)
        services.audit.audit_record(request=request, patients=[flag.patient_id], action="change", what=f"flag {flag.pk}: {action}")
    except services.triage.FlagActionError as error:
        messages.error(request, str(error))
        return redirect("flag_detail", pk=flag.pk)
    if action == "acknowledge" and result is False:
        messages.info(request, _("%(name)s acknowledged this first.") % {"name": flag.acknowledged_by or _("A colleague")})
    else:
        messages.success(request, _("Saved."))
    if action in ("close", "snooze"):
        return redirect("clinic_flags")
    return redirect("flag_detail", pk=flag.pk)


# --- Follow-up links (no password: the signed token opens this one prompt only) ------------


def _followup_or_problem(request: HttpRequest, token: str) -> FollowUp | HttpResponse:
    try:
        return services.links.followup_from_token(token=token)
    except services.links.LinkError as error:
        return render(request, "reactions/link_problem.html", {"problem": error.problem}, status=400)


@require_http_methods(["GET", "POST"])
def followup_answer(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows one big button; only its POST records "no new symptoms" (mail scanners follow GETs)."""
    followup = _followup_or_problem(request, token)
    if isinstance(followup, HttpResponse):
        return followup
    if request.method == "POST":
        recorded = services.followups.followup_answer(followup=followup, answer=FollowUp.Answer.NO_SYMPTOMS)
        return render(request, "reactions/followup_done.html", {"followup": followup, "recorded": recorded, "token": token})
    if followup.status not in services.followups.OPEN_PROMPT_STATUSES:
        return render(request, "reactions/followup_done.html", {"followup": followup, "recorded": False, "token": token})
    return render(request, "reactions/followup_answer.html", {"followup": followup, "token": token})


@require_http_methods(["GET", "POST"])
def followup_report(request: HttpRequest, token: str) -> HttpResponse:
    followup = _followup_or_problem(request, token)
    if isinstance(followup, HttpResponse):
        return followup
    if followup.status not in services.followups.OPEN_PROMPT_STATUSES:
        return render(request, "reactions/followup_done.html", {"followup": followup, "recorded": False, "token": token})
    infusion = followup.infusion
    form = ReactionReportForm(bound_data(request), infusion=infusion)
    if request.method == "POST" and form.is_valid():
        report = services.reports.report_create(infusion=infusion, symptoms=form.entries, notes=form.cleaned_data["notes"])
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
        patient = services.links.user_from_email_preferences_token(token=token)
    except services.links.LinkError as error:
        return render(request, "reactions/link_problem.html", {"problem": error.problem}, status=400)
    return _followup_preferences(request, patient, template="reactions/email_preferences.html")


@patient_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    language_form, saved = _language_choice(request)
    if saved:
        return saved
    return _followup_preferences(
        request, request.user, template="reactions/profile.html", extra={"language_form": language_form}
    )


def _language_choice(request: HttpRequest) -> tuple[LanguageForm, HttpResponse | None]:
    """The signed-in user's language form; on a valid POST of it, the choice saved and a redirect back."""
    if request.method != "POST" or "language" not in request.POST:
        return LanguageForm(instance=request.user), None
    form = LanguageForm(request.POST, instance=request.user)
    if not form.is_valid():
        return form, None
    form.save(commit=False).save(update_fields=["language"])
    # Say it in the language just chosen (or the browser's, for "Browser's language").
    with translation.override(request.user.language or translation.get_language_from_request(request)):
        messages.success(request, _("Your language is saved."))
    return form, redirect(request.path)


def _followup_preferences(
    request: HttpRequest, patient: User, *, template: str, extra: dict[str, Any] | None = None
) -> HttpResponse:
    if request.method == "POST" and "choice" in request.POST:
        form = FollowupPreferenceForm(request.POST)
        if form.is_valid():
            services.accounts.patient_followups_set(patient=patient, choice=form.cleaned_data["choice"])
            messages.success(request, _("Your follow-up e-mail setting is saved."))
            return redirect(request.path)
    return render(request, template, {"patient": patient, **(extra or {})})


# --- Clinic ------------------------------------------------------------------------------------


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def clinic_account(request: HttpRequest) -> HttpResponse:
    """A clinician's own account: the language of their pages and of the e-mails they get, and security."""
    language_form, saved = _language_choice(request)
    if saved:
        return saved
    return render(request, "reactions/clinic_account.html", {"language_form": language_form})


@clinic_staff_required
def clinic_patients(request: HttpRequest) -> HttpResponse:
    form = PatientSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.clinic.clinic_patient_rows(clinic=request.user.clinic, query=filters.get("q", ""), sort=filters.get("sort", ""))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    services.audit.audit_record(request=request, patients=[p.pk for p in page.object_list], action="view", what="patient list")
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reactions/clinic_patients.html", {"form": form, "page": page, "query": query.urlencode()})


def _get_patient_for_clinic(request: HttpRequest, pk: int) -> User:
    return get_object_or_404(User, pk=pk, role=User.Role.PATIENT, clinic=request.user.clinic)


def _get_infusion_for_clinic(request: HttpRequest, pk: int) -> Infusion:
    return get_object_or_404(Infusion.objects.select_related("patient"), pk=pk, patient__clinic=request.user.clinic)


@clinic_staff_required
def clinic_patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient_for_clinic(request, pk)
    services.audit.audit_record(request=request, patients=[patient], action="view", what="timeline")
    timeline = selectors.timeline.patient_timeline(patient=patient)
    page = Paginator(timeline, TIMELINE_INFUSIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "patient": patient,
        "page": page,
        "infusions": selectors.timeline.timeline_details(page.object_list),
        "chart": symptom_burden(patient=patient),
        "details_form": PatientDetailsForm(instance=patient),
        "reclassify_form": ReclassifyForm(),
    }
    # The same unbound form follows every report: render it once, not once per report.
    form = context["reclassify_form"]
    fields_html = "".join(bs5_field(form[name]) for name in form.fields)  # each field escaped by format_html
    context["reclassify_form_html"] = mark_safe(fields_html)  # nosec B308 B703
    return render(request, "reactions/clinic_patient_detail.html", context)


@clinic_staff_required
@require_POST
def clinic_patient_update(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient_for_clinic(request, pk)
    form = PatientDetailsForm(request.POST, instance=patient)
    if form.is_valid():
        services.accounts.patient_update_details(patient=patient, indication=form.cleaned_data["indication"])
        services.audit.audit_record(request=request, patients=[patient], action="change", what="indication")
        messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Choose an indication from the list."))
    return redirect("clinic_patient_detail", pk=patient.pk)


@clinic_staff_required
@require_POST
def report_reclassify(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(ReactionReport.objects.select_related("patient", "infusion"), pk=pk,
                               patient__clinic=request.user.clinic)  # fmt: skip
    form = ReclassifyForm(request.POST)
    if form.is_valid():
        try:
            services.reports.report_reclassify(report=report, by=request.user, to_level=form.cleaned_data["to_level"],
                                       reason=form.cleaned_data["reason"])  # fmt: skip
            services.audit.audit_record(request=request, patients=[report.patient_id], action="change",
                                  what=f"report {report.pk}: reclassified")  # fmt: skip
            messages.success(request, _("Report reclassified; the patient's own answers are kept."))
        except services.triage.FlagActionError as error:
            messages.error(request, str(error))
    else:
        messages.error(request, _("Choose a severity and say why."))
    return redirect(reverse("clinic_patient_detail", args=[report.patient_id]) + f"#report-{report.pk}")


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def clinic_infusion_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A clinician logs an infusion on the patient's behalf; the patient gets the same follow-ups."""
    patient = _get_patient_for_clinic(request, pk)
    form = InfusionForm(bound_data(request), initial={"status": Infusion.Status.GIVEN, "setting": Infusion.Setting.CLINIC})
    if request.method == "POST" and form.is_valid():
        infusion = services.infusions.infusion_create(patient=patient, logged_by=request.user, **form.service_kwargs())
        services.audit.audit_record(request=request, patients=[patient], action="change", what=f"infusion {infusion.pk}: logged")
        messages.success(request, _("Infusion saved for %(name)s.") % {"name": patient.full_name})
        return redirect("clinic_infusion_detail", pk=infusion.pk)
    return render(request, "reactions/infusion_form.html", {"form": form, "creating": True, "for_patient": patient})


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def clinic_infusion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """During the infusion: vitals and rate changes, each a small form on this page."""
    infusion = _get_infusion_for_clinic(request, pk)
    services.audit.audit_record(request=request, patients=[infusion.patient_id],
                          action="change" if request.method == "POST" else "view", what=f"infusion {infusion.pk}")  # fmt: skip
    vitals_form = VitalsForm(infusion=infusion, prefix="v", initial={"recorded_at": timezone.localtime().replace(second=0, microsecond=0)})
    rate_form = RateChangeForm(infusion=infusion, prefix="r", initial={"changed_at": timezone.localtime().replace(second=0, microsecond=0)})
    if request.method == "POST":
        if "v-phase" in request.POST:
            vitals_form = VitalsForm(request.POST, infusion=infusion, prefix="v")
            if vitals_form.is_valid():
                vitals = services.infusions.vitals_record(infusion=infusion, by=request.user, **vitals_form.cleaned_data)
                if vitals.out_of_range:
                    messages.warning(request, _("Saved. Some values are outside the safe range: a review flag is open."))
                else:
                    messages.success(request, _("Vitals saved."))
                return redirect("clinic_infusion_detail", pk=infusion.pk)
        else:
            rate_form = RateChangeForm(request.POST, infusion=infusion, prefix="r")
            if rate_form.is_valid():
                services.infusions.rate_change_record(infusion=infusion, by=request.user, **rate_form.cleaned_data)
                messages.success(request, _("Rate change saved."))
                return redirect("clinic_infusion_detail", pk=infusion.pk)
    context = {
        "infusion": infusion,
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
    return render(request, "reactions/product_report.html",
                  {"form": form, **report, "lots": page.object_list, "page": page, "query": query.urlencode()})


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def clinic_settings(request: HttpRequest) -> HttpResponse:
    if request.user.role != User.Role.CLINIC_ADMIN:
        raise Http404
    form = ClinicSettingsForm(bound_data(request), instance=request.user.clinic)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Clinic settings saved. New follow-up times apply to infusions logged from now on."))
        return redirect("clinic_settings")
    return render(request, "reactions/clinic_settings.html", {"form": form})
