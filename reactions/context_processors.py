from __future__ import annotations

from django.http import HttpRequest

from . import services


def queue_count(request: HttpRequest) -> dict[str, int]:
    """The count badge on the clinician's "Flagged events" link: one small query per page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_clinic_staff:
        return {}
    # The triage queue, unfiltered, has just counted the same flags for its pages: no second query.
    count = getattr(request, "queue_count", None)
    return {"queue_count": services.clinic_queue_count(clinic_id=user.clinic_id) if count is None else count}
