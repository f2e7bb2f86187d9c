"""A clinician's assessment of a reported event, and the plan for a planned infusion."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reactions.domain import pharmacovigilance as pv
from reactions.forms.common import CleanTextMixin
from reactions.models import EventAssessment, InfusionPlan


class EventAssessmentForm(CleanTextMixin, forms.Form):
    criteria = forms.MultipleChoiceField(
        label=_("Seriousness (ICH E2A)"),
        help_text=_("Tick every criterion the event meets; none ticked means non-serious."),
        choices=pv.Seriousness.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    causality = forms.ChoiceField(label=_("Causality (WHO-UMC)"), choices=[("", _("Choose…")), *pv.Causality.choices])
    action_taken = forms.ChoiceField(
        label=_("Action taken with the product"), choices=[("", _("Choose…")), *pv.ActionTaken.choices]
    )
    outcome = forms.ChoiceField(label=_("Outcome of the reaction"), choices=[("", _("Choose…")), *pv.Outcome.choices])
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    @classmethod
    def initial_from(cls, assessment: EventAssessment | None) -> dict[str, Any]:
        """The current assessment as the form's starting values, for a clinician who revises it."""
        if assessment is None:
            return {}
        return {
            "criteria": assessment.criteria,
            "causality": assessment.causality,
            "action_taken": assessment.action_taken,
            "outcome": assessment.outcome,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "criteria" in data and data.get("outcome"):
            problem = pv.consistency_error(criteria=data["criteria"], outcome=data["outcome"])
            if problem:
                self.add_error("outcome", problem)
        return data


class InfusionPlanForm(CleanTextMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Plan for this infusion"),
        choices=InfusionPlan.Decision.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (what, how much, who told the patient)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
