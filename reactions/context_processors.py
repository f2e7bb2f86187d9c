from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from reactions import selectors


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the navigation shows: nothing of the app before the second step of signing in is passed, and
    for clinic staff the count badge on "Flagged events" (one small query per page)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if getattr(request, "second_step", None):
        return {"second_step_pending": True}
    if not user.is_clinic_staff:
        return {}
    # The triage queue, unfiltered, has just counted the same flags for its pages: no second query.
    count = getattr(request, "queue_count", None)
    return {
        "queue_count": selectors.triage_queue.clinic_queue_count(clinic_id=user.clinic_id) if count is None else count
    }
