"""The clinician's triage queue and a flag's page with its actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reactions import selectors, services
from reactions.forms.filters import QueueFilterForm
from reactions.forms.reports import ReclassifyForm
from reactions.forms.triage import (
    AcknowledgeForm,
    FlagAssignForm,
    FlagCloseForm,
    FlagContactForm,
    FlagNoteForm,
    FlagSnoozeForm,
)
from reactions.models import Flag
from reactions.views.decorators import audit, clinic_staff_required
from reactions.views.pharmacovigilance import flag_page_context

QUEUE_FLAGS_PER_PAGE = 25


def _get_flag_for_clinic(request: HttpRequest, pk: int) -> Flag:
    return get_object_or_404(
        Flag.objects.select_related(
            "patient",
            "report__infusion",
            "vitals__infusion",
            "followup__infusion",
            "acknowledged_by",
            "assigned_to",
            "closed_by",
        ).prefetch_related("report__symptoms", "report__reclassifications__by"),
        pk=pk,
        clinic=request.user.clinic,
    )


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
    plans_needed = selectors.plans.clinic_plans_needed(clinic=request.user.clinic)
    checks_needed = selectors.checkins.clinic_checks_needed(clinic=request.user.clinic)
    patients = [f.patient_id for f in page.object_list] + [i.patient_id for i in [*plans_needed, *checks_needed]]
    audit(request, patients=patients, action="view", what="triage queue")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reactions/clinic_flags.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "refresh_seconds": settings.QUEUE_REFRESH_SECONDS,
            "plans_needed": plans_needed,
            "checks_needed": checks_needed,
        },
    )


@clinic_staff_required
def flag_detail(request: HttpRequest, pk: int) -> HttpResponse:
    flag = _get_flag_for_clinic(request, pk)
    audit(request, patients=[flag.patient_id], action="view", what=f"flag {flag.pk}")
    return render(request, "reactions/flag_detail.html", _flag_context(request, flag))


# The flag page holds several forms with a "note" or a "reason": each form's ids are its own, so that each
# label names (and focuses) its own field. Only the ids change: the posted field names stay as they are.
FORM_IDS = {
    "ack_form": "ack_%s",
    "contact_form": "contact_%s",
    "assign_form": "assign_%s",
    "note_form": "note_%s",
    "close_form": "close_%s",
    "snooze_form": "snooze_%s",
    "reclassify_form": "reclassify_%s",
}


def _flag_context(request: HttpRequest, flag: Flag, **bound_forms: Any) -> dict[str, Any]:
    forms = {
        "ack_form": AcknowledgeForm(auto_id=FORM_IDS["ack_form"]),
        "contact_form": FlagContactForm(auto_id=FORM_IDS["contact_form"]),
        "assign_form": FlagAssignForm(
            clinic=request.user.clinic, initial={"assignee": flag.assigned_to_id}, auto_id=FORM_IDS["assign_form"]
        ),
        "note_form": FlagNoteForm(auto_id=FORM_IDS["note_form"]),
        "close_form": FlagCloseForm(auto_id=FORM_IDS["close_form"]),
        "snooze_form": FlagSnoozeForm(auto_id=FORM_IDS["snooze_form"]),
        "reclassify_form": ReclassifyForm(auto_id=FORM_IDS["reclassify_form"]),
    }
    forms.update(bound_forms)
    events = flag.events.select_related("actor")
    return {"flag": flag, "events": events, **forms, **flag_page_context(flag)}


# Each action: (form name in the template context, form factory, service call).
_FLAG_ACTIONS: dict[str, tuple[str, Callable[..., Any], Callable[..., Any]]] = {
    "acknowledge": (
        "ack_form",
        lambda r, d, **kw: AcknowledgeForm(d, **kw),
        lambda r, f, c: services.triage.flag_acknowledge(flag=f, by=r.user, note=c["note"]),
    ),
    "contact": (
        "contact_form",
        lambda r, d, **kw: FlagContactForm(d, **kw),
        lambda r, f, c: services.triage.flag_record_contact(flag=f, by=r.user, note=c["note"]),
    ),
    "assign": (
        "assign_form",
        lambda r, d, **kw: FlagAssignForm(d, clinic=r.user.clinic, **kw),
        lambda r, f, c: services.triage.flag_assign(flag=f, by=r.user, assignee=c["assignee"]),
    ),
    "note": (
        "note_form",
        lambda r, d, **kw: FlagNoteForm(d, **kw),
        lambda r, f, c: services.triage.flag_add_note(flag=f, by=r.user, note=c["note"]),
    ),
    "close": (
        "close_form",
        lambda r, d, **kw: FlagCloseForm(d, **kw),
        lambda r, f, c: services.triage.flag_close(flag=f, by=r.user, outcome=c["outcome"], note=c["note"]),
    ),
    "snooze": (
        "snooze_form",
        lambda r, d, **kw: FlagSnoozeForm(d, **kw),
        lambda r, f, c: services.triage.flag_snooze(
            flag=f, by=r.user, until=timezone.now() + timedelta(days=c["days"]), reason=c["reason"]
        ),
    ),
    "reopen": (
        "note_form",
        lambda r, d, **kw: FlagNoteForm({"note": d.get("note") or "Reopened"}, **kw),
        lambda r, f, c: services.triage.flag_reopen(flag=f, by=r.user, note=c["note"]),
    ),
    "reclassify": (
        "reclassify_form",
        lambda r, d, **kw: ReclassifyForm(d, **kw),
        lambda r, f, c: services.reports.report_reclassify(
            report=f.report, by=r.user, to_level=c["to_level"], reason=c["reason"]
        ),
    ),
}


@clinic_staff_required
@require_POST
def flag_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in _FLAG_ACTIONS:
        raise Http404
    flag = _get_flag_for_clinic(request, pk)
    form_name, make_form, perform = _FLAG_ACTIONS[action]
    form = make_form(request, request.POST, auto_id=FORM_IDS[form_name])
    if action == "reclassify" and flag.report_id is None:
        form.add_error(None, _("Only a patient's report can be reclassified."))
    if not form.is_valid():
        return render(
            request, "reactions/flag_detail.html", _flag_context(request, flag, **{form_name: form}), status=400
        )
    try:
        result = perform(request, flag, form.cleaned_data)
        audit(request, patients=[flag.patient_id], action="change", what=f"flag {flag.pk}: {action}")
    except services.triage.FlagActionError as error:
        messages.error(request, str(error))
        return redirect("flag_detail", pk=flag.pk)
    if action == "acknowledge" and result is False:
        messages.info(
            request, _("%(name)s acknowledged this first.") % {"name": flag.acknowledged_by or _("A colleague")}
        )
    else:
        messages.success(request, _("Saved."))
    if action in ("close", "snooze"):
        return redirect("clinic_flags")
    return redirect("flag_detail", pk=flag.pk)
