"""Who may open a view, and what a view binds its form to.

Anything a user may not see is a 404, never a 403: the existence of another patient's record is itself
private."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from reactions import services
from reactions.models import User
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


def audit(request: HttpRequest, *, patients: Iterable[User | int], action: str, what: str) -> None:
    """Record in the audit trail what the signed-in clinician or admin did, from the request's address."""
    services.audit.audit_record(actor=request.user, ip=client_ip(request), patients=patients, action=action, what=what)
