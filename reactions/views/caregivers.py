"""Caregivers: the patient invites and removes them; a caregiver accepts, chooses whom they help, steps down."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from reactions import selectors, services
from reactions.channels import channels_for
from reactions.channels.push import vapid_public_key
from reactions.forms.accounts import AcceptInvitationForm
from reactions.forms.caregivers import CaregiverInviteForm, CaregiverPhoneForm, CarePromptsForm
from reactions.models import CaregiverInvitation, CareLink, User
from reactions.views.choices import channels_choice, language_choice, phone_choice
from reactions.views.decorators import CARE_PATIENT_SESSION_KEY, bound_data, caregiver_required, patient_required

# --- The patient's side --------------------------------------------------------------------------------


@patient_required
@require_http_methods(["GET", "POST"])
def my_caregivers(request: HttpRequest) -> HttpResponse:
    """The patient's caregivers and pending invitations, and the form to invite one."""
    form = CaregiverInviteForm(bound_data(request), patient=request.user)
    if request.method == "POST" and form.is_valid():
        services.caregivers.caregiver_invite(
            patient=request.user, email=form.cleaned_data["email"], full_name=form.cleaned_data["full_name"]
        )
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
        return redirect("my_caregivers")
    context = {
        "form": form,
        "links": selectors.caregivers.patient_caregivers(patient=request.user),
        "invitations": selectors.caregivers.patient_pending_invitations(patient=request.user),
    }
    return render(request, "reactions/my_caregivers.html", context)


@patient_required
@require_http_methods(["GET", "POST"])
def my_caregiver_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; the POST ends the caregiver's access at once."""
    link = get_object_or_404(CareLink.objects.active().select_related("caregiver"), pk=pk, patient=request.user)
    if request.method == "POST":
        services.caregivers.care_link_remove(link=link, by=request.user)
        messages.success(
            request, _("%(name)s can no longer see or report for you.") % {"name": link.caregiver.full_name}
        )
        return redirect("my_caregivers")
    return render(request, "reactions/my_caregiver_remove.html", {"link": link})


@patient_required
@require_POST
def my_caregiver_invitation_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(CaregiverInvitation, pk=pk, patient=request.user)
    if services.caregivers.caregiver_invitation_withdraw(invitation=invitation):
        messages.success(request, _("The invitation to %(email)s no longer works.") % {"email": invitation.email})
    return redirect("my_caregivers")


# --- The invitation link --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def caregiver_invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the invitation is (mail scanners follow links); only a POST accepts it.

    A new address chooses a password; an existing caregiver account signs in first, then accepts."""
    try:
        invitation = services.links.caregiver_invitation_from_token(token=token)
    except services.links.InvitationError as error:
        return _problem(request, error.problem)
    context: dict[str, object] = {"invitation": invitation, "inviter_name": invitation.patient.get_short_name()}
    user = request.user
    if user.is_authenticated:
        if user.email.lower() != invitation.email:
            return render(request, "reactions/caregiver_invitation_accept.html", {**context, "state": "other_account"})
        if not user.is_caregiver:
            return render(request, "reactions/caregiver_invitation_accept.html", {**context, "state": "not_caregiver"})
        if request.method == "POST":
            try:
                link = services.caregivers.caregiver_accept_existing(invitation=invitation, user=user)
            except services.links.InvitationError as error:
                return _problem(request, error.problem)
            return _start_helping(request, link)
        return render(request, "reactions/caregiver_invitation_accept.html", {**context, "state": "confirm"})
    if User.objects.filter(email__iexact=invitation.email).exists():
        return render(request, "reactions/caregiver_invitation_accept.html", {**context, "state": "sign_in"})
    form = AcceptInvitationForm(
        bound_data(request), email=invitation.email, ask_phone=False, initial={"full_name": invitation.full_name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            link = services.caregivers.caregiver_accept_new(
                invitation=invitation, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password1"]
            )
        except services.links.InvitationError as error:
            return _problem(request, error.problem)
        login(request, link.caregiver, backend="django.contrib.auth.backends.ModelBackend")
        return _start_helping(request, link)
    return render(request, "reactions/caregiver_invitation_accept.html", {**context, "state": "new", "form": form})


def _problem(request: HttpRequest, problem: str) -> HttpResponse:
    return render(request, "reactions/invitation_problem.html", {"problem": problem, "caregiver": True}, status=400)


def _start_helping(request: HttpRequest, link: CareLink) -> HttpResponse:
    request.session[CARE_PATIENT_SESSION_KEY] = link.patient_id
    messages.success(request, _("You can now follow up for %(name)s.") % {"name": link.patient.get_short_name()})
    return redirect("home")


# --- The caregiver's side -------------------------------------------------------------------------------


def _own_link(request: HttpRequest, pk: int) -> CareLink:
    return get_object_or_404(CareLink.objects.active().select_related("patient"), pk=pk, caregiver=request.user)


@caregiver_required
def care_home(request: HttpRequest) -> HttpResponse:
    """Whom the caregiver helps: choose one, choose whether to get their prompts, or step down."""
    links = list(selectors.caregivers.caregiver_links(caregiver=request.user))
    current = request.session.get(CARE_PATIENT_SESSION_KEY)
    if len(links) == 1 and current != links[0].patient_id:
        request.session[CARE_PATIENT_SESSION_KEY] = current = links[0].patient_id
    for link in links:
        link.prompts_form = CarePromptsForm(initial={"receives_prompts": link.receives_prompts})
    context = {"links": links, "current": current, "channels": channels_for(request.user)}
    return render(request, "reactions/care_home.html", context)


@caregiver_required
@require_http_methods(["GET", "POST"])
def care_account(request: HttpRequest) -> HttpResponse:
    """The caregiver's own account: language, mobile number, and how the questions they chose to get reach them
    (e-mail, texts, notifications on their own devices). Nothing here is the patient's."""
    language_form, saved = language_choice(request)
    if saved:
        return saved
    phone_form, saved = phone_choice(request, form_class=CaregiverPhoneForm)
    if saved:
        return saved
    channels_form, saved = channels_choice(request, request.user)
    if saved:
        return saved
    context = {
        "language_form": language_form,
        "phone_form": phone_form,
        "channels_form": channels_form,
        "push_devices": selectors.push.push_devices(user=request.user),
        "vapid_public_key": vapid_public_key(),
    }
    return render(request, "reactions/care_account.html", context)


@caregiver_required
@require_POST
def care_choose(request: HttpRequest, pk: int) -> HttpResponse:
    link = _own_link(request, pk)
    request.session[CARE_PATIENT_SESSION_KEY] = link.patient_id
    return redirect("home")


@caregiver_required
@require_POST
def care_prompts(request: HttpRequest, pk: int) -> HttpResponse:
    link = _own_link(request, pk)
    form = CarePromptsForm(request.POST)
    if form.is_valid():
        services.caregivers.care_link_set_prompts(link=link, receives_prompts=form.cleaned_data["receives_prompts"])
        messages.success(request, _("Your choice is saved."))
    return redirect("care_home")


@caregiver_required
@require_http_methods(["GET", "POST"])
def care_step_down(request: HttpRequest, pk: int) -> HttpResponse:
    """The caregiver stops helping this patient (GET asks to confirm)."""
    link = _own_link(request, pk)
    if request.method == "POST":
        services.caregivers.care_link_remove(link=link, by=request.user)
        if request.session.get(CARE_PATIENT_SESSION_KEY) == link.patient_id:
            request.session.pop(CARE_PATIENT_SESSION_KEY)
        messages.success(request, _("You no longer help %(name)s.") % {"name": link.patient.get_short_name()})
        return redirect("care_home")
    return render(request, "reactions/care_step_down.html", {"link": link})
