"""The project's URLs plus the floors: a trivial view, and an empty page of each role on base.html.

Each page's cost is read against the empty page of its own role: what the page adds to the shell that
every signed-in page of that role pays (session, user, two-factor device and clinic for staff, the
navigation and its queue badge, base.html). The trivial view shows what that shell costs in turn.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from ivigtrack.urls import urlpatterns as project_urlpatterns
from reactions.views.decorators import clinic_staff_required, patient_required


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    """Signed in, session loaded and saved, every middleware run: only the page's own work is missing."""
    return HttpResponse("ok", content_type="text/plain")


@patient_required
def patient_shell(request: HttpRequest) -> HttpResponse:
    """What every patient page pays before its content: base.html, empty, behind the patient pages' check."""
    return render(request, "bench/shell.html")


@clinic_staff_required
def clinician_shell(request: HttpRequest) -> HttpResponse:
    """What every clinician page pays before its content: base.html (navigation, queue badge), empty."""
    return render(request, "bench/shell.html")


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("bench/shell/patient/", patient_shell, name="bench_patient_shell"),
    path("bench/shell/clinician/", clinician_shell, name="bench_clinician_shell"),
    *project_urlpatterns,
]
