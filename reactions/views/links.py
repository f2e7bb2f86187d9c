"""Pages opened from e-mailed links: no password, the signed token opens this one thing only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from reactions import services
from reactions.forms.accounts import (
    AcceptInvitationForm,
    FollowupPreferenceForm,
)
from reactions.forms.checkins import CheckInForm
from reactions.forms.reports import ReactionReportForm
from reactions.models import FollowUp, User
from reactions.signin import allow_first_device
from reactions.views.choices import channels_choice
from reactions.views.decorators import bound_data, caregiver_audit, reporter_kwargs


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.links.invitation_from_token(token=token)
    except services.links.InvitationError as error:
        return render(request, "reactions/invitation_problem.html", {"problem": error.problem}, status=400)
    ask_phone = invitation.role == User.Role.PATIENT
    form = AcceptInvitationForm(
        bound_data(request),
        email=invitation.email,
        ask_phone=ask_phone,
        initial={"full_name": invitation.full_name, "phone": invitation.phone},
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accounts.invitation_accept(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                phone=form.cleaned_data["phone"] if ask_phone else None,
            )
        except services.links.InvitationError as error:
            return render(request, "reactions/invitation_problem.html", {"problem": error.problem}, status=400)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        # The invitation was e-mailed to this address: this session may enrol the first authenticator.
        allow_first_device(request, user)
        messages.success(request, _("Welcome to ivigtrack, %(name)s.") % {"name": user.get_short_name()})
        return redirect("home")
    return render(request, "reactions/invitation_accept.html", {"form": form, "invitation": invitation})


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
    return _as_caregiver_audited(request, followup, _followup_answer(request, token, followup), "a follow-up prompt")


def _as_caregiver_audited(request: HttpRequest, followup: FollowUp, response: HttpResponse, what: str) -> HttpResponse:
    """A caregiver's copy of a prompt: what it showed them is in the patient's access log."""
    if followup.answering_caregiver is not None:
        caregiver_audit(request, response, caregiver=followup.answering_caregiver, patient=followup.patient, what=what)
    return response


def _followup_answer(request: HttpRequest, token: str, followup: FollowUp) -> HttpResponse:
    request.helping = followup.patient if followup.answering_caregiver else None
    if request.method == "POST":
        recorded = services.followups.followup_answer(
            followup=followup, answer=FollowUp.Answer.NO_SYMPTOMS, answered_by=followup.answering_caregiver
        )
        return render(
            request, "reactions/followup_done.html", {"followup": followup, "recorded": recorded, "token": token}
        )
    if followup.status not in services.followups.OPEN_PROMPT_STATUSES:
        return render(
            request, "reactions/followup_done.html", {"followup": followup, "recorded": False, "token": token}
        )
    return render(request, "reactions/followup_answer.html", {"followup": followup, "token": token})


@require_http_methods(["GET", "POST"])
def followup_report(request: HttpRequest, token: str) -> HttpResponse:
    followup = _followup_or_problem(request, token)
    if isinstance(followup, HttpResponse):
        return followup
    return _as_caregiver_audited(request, followup, _followup_report(request, token, followup), "report symptoms")


def _followup_report(request: HttpRequest, token: str, followup: FollowUp) -> HttpResponse:
    request.helping = followup.patient if followup.answering_caregiver else None
    if followup.status not in services.followups.OPEN_PROMPT_STATUSES:
        return render(
            request, "reactions/followup_done.html", {"followup": followup, "recorded": False, "token": token}
        )
    infusion = followup.infusion
    form = ReactionReportForm(bound_data(request), infusion=infusion)
    if request.method == "POST" and form.is_valid():
        report = services.reports.report_create(
            infusion=infusion, **form.service_kwargs(), **reporter_kwargs(followup.answering_caregiver)
        )
        # Rendered, not redirected: the result page must not be reachable by URL without the token.
        return render(
            request,
            "reactions/followup_reported.html",
            {"report": report, "clinic": followup.patient.clinic, "followup": followup},
        )
    return render(
        request,
        "reactions/report_form.html",
        {
            "form": form,
            "infusion": infusion,
            "clinic": followup.patient.clinic,
            "token_link": True,
            "cancel_url": reverse("followup_answer", args=[token]),
        },
    )


@require_http_methods(["GET", "POST"])
def checkin_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The day-before check-in from its e-mail: GET shows the question; only a POST records the answer."""
    try:
        followup = services.links.checkin_from_token(token=token)
    except services.links.LinkError as error:
        return render(request, "reactions/link_problem.html", {"problem": error.problem}, status=400)
    caregiver = followup.answering_caregiver
    request.helping = followup.patient if caregiver else None
    response = checkin_page(request, followup, action=reverse("checkin_answer", args=[token]), caregiver=caregiver)
    return _as_caregiver_audited(request, followup, response, "day-before check-in")


def checkin_page(
    request: HttpRequest, followup: FollowUp, *, action: str, caregiver: User | None = None
) -> HttpResponse:
    """The check-in page, from the e-mail's link or in the app (`caregiver`: who answers for the patient there):
    the question, then what was recorded."""
    context = {"followup": followup, "infusion": followup.infusion, "clinic": followup.patient.clinic}
    if not services.checkins.checkin_is_answerable(followup=followup):
        return render(request, "reactions/checkin_done.html", {**context, "recorded": False})
    form = CheckInForm(bound_data(request))
    if request.method == "POST" and form.is_valid():
        recorded = services.checkins.checkin_answer(followup=followup, answered_by=caregiver, **form.service_kwargs())
        # Rendered, not redirected: from an e-mail, the result must not be reachable without the token.
        return render(request, "reactions/checkin_done.html", {**context, "recorded": recorded})
    status = 400 if request.method == "POST" else 200
    return render(request, "reactions/checkin.html", {**context, "form": form, "action": action}, status=status)


@require_http_methods(["GET", "POST"])
def email_preferences(request: HttpRequest, token: str) -> HttpResponse:
    """Pause, stop or resume follow-up e-mails from a link in any e-mail, without signing in."""
    try:
        patient = services.links.user_from_email_preferences_token(token=token)
    except services.links.LinkError as error:
        return render(request, "reactions/link_problem.html", {"problem": error.problem}, status=400)
    return followup_preferences(request, patient, template="reactions/email_preferences.html")


def followup_preferences(
    request: HttpRequest, patient: User, *, template: str, extra: dict[str, Any] | None = None
) -> HttpResponse:
    """The patient's channels and their follow-ups' pause or stop, on the profile or from an e-mail's link."""
    channels_form, saved = channels_choice(request, patient)
    if saved:
        return saved
    extra = {"channels_form": channels_form, **(extra or {})}
    if request.method == "POST" and "choice" in request.POST:
        form = FollowupPreferenceForm(request.POST)
        if form.is_valid():
            services.accounts.patient_followups_set(patient=patient, choice=form.cleaned_data["choice"])
            messages.success(request, _("Your follow-up message setting is saved."))
            return redirect(request.path)
    return render(request, template, {"patient": patient, **extra})


@require_http_methods(["GET", "HEAD"])
def short_link(request: HttpRequest, token: str) -> HttpResponse:
    """A texted link: a redirect (302) to the signed page the e-mail's link opens. It records nothing."""
    try:
        target = services.links.short_link_target(token=token)
    except services.links.LinkError as error:
        return render(request, "reactions/link_problem.html", {"problem": error.problem}, status=400)
    return redirect(target)
