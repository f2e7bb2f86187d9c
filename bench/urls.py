"""The project's URLs plus the floor: a trivial view behind the same middleware and settings."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from ivigtrack.urls import urlpatterns as project_urlpatterns


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    """Signed in, session loaded and saved, every middleware run: only the page's own work is missing."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *project_urlpatterns]
