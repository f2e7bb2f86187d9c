"""The day-before check-in: "all well", or "something has changed" with what changed (optional)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reactions.domain.checkin import ALL_WELL, CHANGED, Change
from reactions.forms.common import CleanTextMixin


class CheckInForm(CleanTextMixin, forms.Form):
    # Set by the button the patient taps (its name="answer"), not rendered as a field.
    answer = forms.ChoiceField(choices=[(ALL_WELL, _("All well")), (CHANGED, _("Something has changed"))])
    changes = forms.MultipleChoiceField(
        label=_("What has changed? (optional)"),
        choices=Change.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("answer") == ALL_WELL and (data.get("changes") or (data.get("note") or "").strip()):
            # A tick or a note under "all well" is a contradiction: ask rather than guess either way.
            self.add_error("changes", _("You told us something has changed: tap “Something has changed” to send it."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"answer": data["answer"], "changes": data["changes"], "note": data["note"]}
