"""Filters of lists, exports and summaries: each refuses an end date before its start."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from reactions.models import Flag, Infusion


class DateRangeForm(forms.Form):
    """A period of whole days, either end open. Every filter with dates extends it: one rule for all."""

    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class QueueFilterForm(DateRangeForm):
    field_order = ["kind", "status", "product"]  # then the dates

    STATUS_CHOICES = [
        ("active", _("Needs action (open or acknowledged)")),
        ("open", _("Open (not acknowledged)")),
        ("snoozed", _("Snoozed")),
        ("closed", _("Closed")),
        ("all", _("All")),
    ]
    kind = forms.ChoiceField(label=_("Severity"), required=False, choices=[("", _("All")), *Flag.Kind.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    product = forms.ChoiceField(label=_("Product"), required=False, choices=[("", _("All")), *Infusion.Product.choices])


class PatientSearchForm(forms.Form):
    SORTS = [
        ("name", _("Name")),
        ("-last_infusion", _("Last infusion (newest first)")),
        ("next_infusion", _("Next infusion (soonest first)")),
        ("-open_flags", _("Open flags (most first)")),
    ]
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORTS)


class AuditFilterForm(DateRangeForm):
    field_order = ["patient", "actor"]  # then the dates

    patient = forms.IntegerField(label=_("Patient id"), required=False, min_value=1)
    actor = forms.CharField(label=_("Who (name or e-mail contains)"), required=False, max_length=100)


def with_date_aliases(params: QueryDict) -> QueryDict:
    """Accept ?from=&to= as well as the queue filter's ?date_from=&date_to= names."""
    data = params.copy()
    for alias, name in (("from", "date_from"), ("to", "date_to")):
        if data.get(alias) and not data.get(name):
            data[name] = data[alias]
    return data


class InfusionExportForm(DateRangeForm):
    field_order = ["product"]  # then the dates, then a subclass's own fields

    product = forms.ChoiceField(label=_("Product"), required=False, choices=[("", _("All")), *Infusion.Product.choices])


class EventExportForm(InfusionExportForm):
    STATUS_CHOICES: ClassVar[list[tuple[str, Any]]] = [
        ("", _("Needs action (open or acknowledged)")),
        ("active", _("Needs action (open or acknowledged)")),
        *Flag.Status.choices,
        ("snoozed", _("Snoozed")),
        ("all", _("All")),
    ]
    kind = forms.ChoiceField(label=_("Severity"), required=False, choices=[("", _("All")), *Flag.Kind.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)


class SummaryRangeForm(DateRangeForm):
    """The period of a patient's summary (the view fills in the defaults)."""
