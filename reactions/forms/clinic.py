"""A clinic admin's settings."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reactions.domain import contacts, followup_risk, schedule, sender_name, vitals
from reactions.forms.common import CleanTextMixin
from reactions.models import Clinic


class ClinicSettingsForm(CleanTextMixin, forms.ModelForm):
    open_days = forms.TypedMultipleChoiceField(
        label=_("Open on"),
        choices=contacts.WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "On other days, and outside the hours above, patients with an urgent problem get the out-of-hours phone."
        ),
    )
    followup_offsets = forms.CharField(
        label=_("Follow-up prompts, in hours after the infusion ends"),
        help_text=_(
            "Comma-separated. Default 2, 24, 72, 168, 240, 336: immediate reactions, clots and meningitis onset, "
            "meningitis and kidney, the first week, haemolysis up to 10 days and clots up to 14 days. A patient at "
            "higher risk also gets prompts at 6, 48 or 120 hours."
        ),
    )

    class Meta:
        model = Clinic
        fields = [
            "name",
            "message_sender_name",
            "country",
            "emergency_number",
            "phone",
            "out_of_hours_phone",
            "opens_at",
            "closes_at",
            "time_zone",
            "quiet_hours_start",
            "quiet_hours_end",
            "quiet_hours_spare_early_window",
            "followup_rate_threshold_ml_kg_h",
            "prompt_reminder_after_hours",
            "escalation_after_minutes",
            "escalation_repeat_minutes",
            "daily_reminder_at",
        ]
        widgets = {
            "opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "daily_reminder_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        labels = {
            "quiet_hours_start": _("Quiet hours start (no prompts after)"),
            "quiet_hours_end": _("Quiet hours end (prompts resume)"),
            "prompt_reminder_after_hours": _("Remind about an unanswered prompt after (hours)"),
            "escalation_after_minutes": _("Escalate an unacknowledged severe event after (minutes)"),
            "escalation_repeat_minutes": _("Then repeat the escalation every (minutes)"),
            "daily_reminder_at": _("Daily reminder e-mail to clinicians at"),
        }
        help_texts = {
            # The demo sets both to 00:00; an admin reading 12:00 AM twice should know what it means.
            "quiet_hours_end": _("The same time as the start: no quiet hours, prompts go at any hour."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["open_days"].initial = self.instance.open_days
        self.fields["followup_offsets"].initial = ", ".join(str(h) for h in self.instance.followup_offsets_hours)
        self.fields["escalation_after_minutes"].min_value = 1
        self.fields["escalation_repeat_minutes"].min_value = 5
        self.fields["prompt_reminder_after_hours"].min_value = 1
        # Empty: the default (the labelled maximum of the 10% products).
        self.fields["followup_rate_threshold_ml_kg_h"].required = False

    def clean_followup_rate_threshold_ml_kg_h(self) -> Decimal:
        value = self.cleaned_data["followup_rate_threshold_ml_kg_h"]
        if value is None:
            return followup_risk.DEFAULT_RATE_THRESHOLD_ML_KG_H
        if not Decimal("0") < value <= vitals.RATE_LIMITS[vitals.RateUnit.ML_KG_H]:
            raise forms.ValidationError(_("Enter a rate above 0 and at most 15 mL/kg/h."))
        return value

    def clean_followup_offsets(self) -> list[int]:
        try:
            return schedule.parse_offsets(self.cleaned_data["followup_offsets"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_message_sender_name(self) -> str:
        try:
            return sender_name.sender_name_parse(self.cleaned_data["message_sender_name"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_out_of_hours_phone(self) -> str:
        return _phone(self.cleaned_data["out_of_hours_phone"])

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data["phone"]) if self.cleaned_data["phone"].strip() else ""

    def clean_emergency_number(self) -> str:
        value = self.cleaned_data["emergency_number"].strip()
        if value and not re.fullmatch(r"[0-9]{2,6}", value):
            raise forms.ValidationError(_("An emergency number is 2 to 6 digits, e.g. 999 or 112."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and opens >= closes:
            self.add_error("closes_at", _("The clinic must close after it opens."))
        return data

    def save(self, commit: bool = True) -> Clinic:
        self.instance.followup_offsets_hours = self.cleaned_data["followup_offsets"]
        self.instance.open_days = sorted(self.cleaned_data["open_days"])
        return super().save(commit=commit)


def _phone(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"\+?[0-9][0-9 ()\-]{4,38}", value):
        raise forms.ValidationError(
            _("Enter a phone number: digits, spaces, brackets and dashes, e.g. +44 20 7946 0123.")
        )
    return value
