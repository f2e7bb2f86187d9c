"""The symptom report, and a clinician's reclassification of one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reactions.domain import catalogue, checklist, triage
from reactions.domain.catalogue import Grade, Onset
from reactions.domain.severity import ReportLevel
from reactions.domain.triage import Care
from reactions.forms.common import CleanTextMixin
from reactions.models import Infusion, ReportSource
from reactions.services.reports import SymptomEntry


def _symptom_fields(symptom: catalogue.Symptom) -> dict[str, forms.Field]:
    """Four fields per symptom: whether it happened, how bad, when it started, still going on."""
    prefix = f"s_{symptom.code}"
    return {
        prefix: forms.BooleanField(
            label=symptom.label,
            required=False,
            widget=forms.CheckboxInput(attrs={"class": "form-check-input symptom-toggle"}),
        ),
        f"{prefix}_grade": forms.ChoiceField(
            label=_("How bad?"),
            choices=Grade.choices,
            required=False,
            widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        ),
        f"{prefix}_onset": forms.ChoiceField(
            label=_("When did it start?"),
            choices=[("", _("Choose…")), *Onset.choices],
            required=False,
            widget=forms.Select(attrs={"class": "form-select"}),
        ),
        f"{prefix}_ongoing": forms.BooleanField(
            label=_("Still going on"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
        ),
    }


class ReactionReportForm(CleanTextMixin, forms.Form):
    """A checklist of the symptoms the catalogue offers, each with grade, onset and "still going on".

    Retired symptoms are not offered: their fields do not exist, so a posted answer for one is ignored.
    """

    notes = forms.CharField(
        label=_("Anything else you want your care team to know"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Optional: a report must never be held back because this was left unanswered (docs/clinical-safety.md).
    care = forms.ChoiceField(
        label=_("Did you need medical care for this?"),
        choices=[(value, label) for value, label in Care.choices if value],
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, infusion: Infusion, **kwargs: Any) -> None:
        self.infusion = infusion
        super().__init__(*args, **kwargs)
        for symptom in catalogue.OFFERED:
            self.fields.update(_symptom_fields(symptom))

    def _row(self, symptom: catalogue.Symptom) -> dict[str, Any]:
        """The bound fields of one symptom, for the template."""
        prefix = f"s_{symptom.code}"
        return {
            "symptom": symptom,
            "checked": self[prefix],
            "grade": self[f"{prefix}_grade"],
            "onset": self[f"{prefix}_onset"],
            "ongoing": self[f"{prefix}_ongoing"],
            # For the offline message: what this sign alone calls for (app.js).
            "tier": triage.tier_alone(symptom.code),
        }

    def mild_rows(self) -> list[dict[str, Any]]:
        return [self._row(symptom) for symptom in catalogue.OFFERED if symptom.family is catalogue.Family.MILD]

    def warning_sections(self) -> list[dict[str, Any]]:
        """The warning-sign screen: the signs that need an ambulance first, then those that need a doctor today,
        each under its group's heading (reactions/domain/checklist.py)."""
        return [
            {
                "tier": section.tier,
                "groups": [
                    {"group": group, "rows": [self._row(sign) for sign in signs]} for group, signs in section.groups
                ],
            }
            for section in checklist.warning_sign_sections()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        now = timezone.now()
        if self.infusion.started_at > now:
            raise forms.ValidationError(_("You can report how you feel once this infusion has started."))
        reference_end = self.infusion.ended_at or self.infusion.started_at
        time_since_end = now - reference_end
        entries: list[SymptomEntry] = []
        for symptom in catalogue.OFFERED:
            prefix = f"s_{symptom.code}"
            if not data.get(prefix):
                continue
            grade, onset = data.get(f"{prefix}_grade") or "", data.get(f"{prefix}_onset") or ""
            # A warning sign is sent without its grade or onset rather than held back (catalogue.NOT_GIVEN).
            optional = symptom.is_warning_sign
            if not grade and not optional:
                self.add_error(f"{prefix}_grade", _("Choose how bad “%(label)s” is.") % {"label": symptom.label})
            if not onset and not optional:
                self.add_error(f"{prefix}_onset", _("Choose when it started."))
            elif onset and not catalogue.onset_possible(onset, time_since_end=time_since_end):
                self.add_error(
                    f"{prefix}_onset",
                    _("That is later than now: the infusion ended %(ago)s ago.") % {"ago": _humanize(time_since_end)},
                )
            if (grade and onset) or optional:
                entries.append(
                    SymptomEntry(
                        code=symptom.code, grade=grade, onset=onset, ongoing=bool(data.get(f"{prefix}_ongoing"))
                    )
                )
        if not entries and not self.errors and not data.get("notes", "").strip():
            self.add_error("notes", _("Tick at least one symptom, or describe how you feel here."))
        self.entries = entries
        return data

    def service_kwargs(self) -> dict[str, Any]:
        """What services.reports.report_create takes from this form."""
        return {"symptoms": self.entries, "notes": self.cleaned_data["notes"], "care": self.cleaned_data["care"]}


class StaffReportForm(ReactionReportForm):
    """A report that a member of staff enters for a patient who phoned, came in, or whose caregiver called."""

    source = forms.ChoiceField(
        label=_("How was it reported?"),
        choices=[(value, label) for value, label in ReportSource.choices if value != ReportSource.PATIENT],
        widget=forms.RadioSelect,
    )

    field_order = ["source"]

    def service_kwargs(self) -> dict[str, Any]:
        return {**super().service_kwargs(), "source": self.cleaned_data["source"]}


def _humanize(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 1:
        return str(_("less than an hour"))
    if hours < 48:
        return str(_("%(n)d hours") % {"n": hours})
    return str(_("%(n)d days") % {"n": hours // 24})


class ReclassifyForm(CleanTextMixin, forms.Form):
    to_level = forms.ChoiceField(
        label=_("Reclassify as"),
        choices=ReportLevel.choices,
    )
    reason = forms.CharField(label=_("Why"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
