"""Filters of lists, exports and summaries: each refuses an end date before its start."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from reactions.models import Flag, Infusion


class QueueFilterForm(forms.Form):
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
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class PatientSearchForm(forms.Form):
    SORTS = [
        ("name", _("Name")),
        ("-last_infusion", _("Last infusion (newest first)")),
        ("next_infusion", _("Next infusion (soonest first)")),
        ("-open_flags", _("Open flags (most first)")),
    ]
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORTS)


class DateRangeForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class AuditFilterForm(forms.Form):
    patient = forms.IntegerField(label=gettext_lazy("Patient id"), required=False, min_value=1)
    actor = forms.CharField(label=gettext_lazy("Who (name or e-mail contains)"), required=False, max_length=100)
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _with_date_aliases(params: QueryDict) -> QueryDict:
    """Accept ?from=&to= as well as the queue filter's ?date_from=&date_to= names."""
    data = params.copy()
    for alias, name in (("from", "date_from"), ("to", "date_to")):
        if data.get(alias) and not data.get(name):
            data[name] = data[alias]
    return data


class _DateRangeMixin:
    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end date is before the start date."))  # type: ignore[attr-defined]
        return data


class InfusionExportForm(_DateRangeMixin, forms.Form):
    product = forms.ChoiceField(label=_("Product"), required=False, choices=[("", _("All")), *Infusion.Product.choices])
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


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


class SummaryRangeForm(_DateRangeMixin, forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
