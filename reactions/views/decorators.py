"""Who may open a view, and what a view binds its form to.

Anything a user may not see is a 404, never a 403: the existence of another patient's record is itself
private."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from reactions import selectors, services
from reactions.models import ReportSource, User
from reactions.signin import client_ip

View = Callable[..., HttpResponse]


def bound_data(request: HttpRequest) -> Any:
    """The POST data to bind a form to, or None for a GET.

    Not `request.POST or None`: an empty POST is falsy, and would show the form again
    without saying what is missing.
    """
    return request.POST if request.method == "POST" else None


def query_pk(request: HttpRequest, name: str) -> int | None:
    """A row id from the query string, or None for anything else (a hostile value never reaches the database)."""
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) <= 9 else None


def _signed_in_as(allowed: Callable[[User], bool]) -> Callable[[View], View]:
    """A view for the signed-in users `allowed` lets in; anyone else signed in gets a 404."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not allowed(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def patient_required(view: View) -> View:
    """The patient's own account pages: never a caregiver's (see follow_up_pages for the pages they share)."""

    @_signed_in_as(lambda user: user.is_patient)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.patient = request.user  # views shared with follow_up_pages read the patient from here
        return view(request, *args, **kwargs)

    return wrapper


# The patient a caregiver is helping in this session (they may help several: care_home switches).
CARE_PATIENT_SESSION_KEY = "care_patient_id"


def follow_up_pages(what: str) -> Callable[[View], View]:
    """The patient's follow-up pages, open to the patient and to their caregivers; sets `request.patient`.

    A patient: themself. A caregiver: the patient chosen on their caregiver page (or the only one they help),
    checked against an active link on every request (removing a caregiver ends an open session's access at its
    next page); otherwise their caregiver page. Everything a caregiver opens or sends is in the patient's access log
    (`what`: which page). Anyone else: 404.
    """

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if user.is_patient:
                request.patient = user
                request.care_link = None
                return view(request, *args, **kwargs)
            if not user.is_caregiver:
                raise Http404
            link = selectors.caregivers.active_link(
                caregiver=user, patient_id=request.session.get(CARE_PATIENT_SESSION_KEY)
            ) or selectors.caregivers.only_link(caregiver=user)
            if link is None:
                request.session.pop(CARE_PATIENT_SESSION_KEY, None)
                return redirect("care_home")
            request.session[CARE_PATIENT_SESSION_KEY] = link.patient_id
            request.patient, request.care_link = link.patient, link
            request.helping = link.patient  # the banner of every page: "You are helping <first name>"
            response = view(request, *args, **kwargs)
            caregiver_audit(request, response, caregiver=user, patient=link.patient, what=what)
            return response

        return wrapper

    return decorate


def caregiver_audit(request: HttpRequest, response: HttpResponse, *, caregiver: User, patient: User, what: str) -> None:
    """Record in the patient's access log (and the clinic's audit trail) a page a caregiver was shown or
    sent, as clinicians' views are recorded. Refused requests showed nothing and are not recorded."""
    if response.status_code >= 400:
        return
    services.audit.audit_record(
        actor=caregiver,
        ip=client_ip(request),
        patients=[patient],
        action="view" if request.method in ("GET", "HEAD") else "change",
        what=f"{what} (as caregiver)",
        clinic_id=patient.clinic_id,
    )


def reporter_kwargs(caregiver: User | None) -> dict[str, Any]:
    """What services.reports.report_create needs to say that a caregiver gave the report (nothing for the
    patient's own)."""
    if caregiver is None:
        return {}
    return {"source": ReportSource.CAREGIVER_APP, "entered_by": caregiver}


# The own settings of someone who gets follow-up messages: a patient, or a caregiver for their copies.
message_recipient_required = _signed_in_as(lambda user: user.is_patient or user.is_caregiver)
caregiver_required = _signed_in_as(lambda user: user.is_caregiver)
clinic_staff_required = _signed_in_as(lambda user: user.is_clinic_staff)


def audit(request: HttpRequest, *, patients: Iterable[User | int], action: str, what: str) -> None:
    """Record in the audit trail what the signed-in clinician or admin did, from the request's address."""
    services.audit.audit_record(actor=request.user, ip=client_ip(request), patients=patients, action=action, what=what)
