"""A clinician's actions on a flag."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reactions.forms.common import CleanTextMixin
from reactions.models import Clinic, Flag, User


class AcknowledgeForm(CleanTextMixin, forms.Form):
    note = forms.CharField(
        label=_("Note (what you did or decided)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FlagContactForm(CleanTextMixin, forms.Form):
    note = forms.CharField(
        label=_("Note (what was said or agreed)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FlagAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none())

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(
            clinic=clinic, role__in=[User.Role.CLINICIAN, User.Role.CLINIC_ADMIN], is_active=True
        ).order_by("full_name")


class FlagNoteForm(CleanTextMixin, forms.Form):
    note = forms.CharField(label=_("Add a note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class FlagCloseForm(CleanTextMixin, forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", _("Choose…")), *Flag.Outcome.choices])
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class FlagSnoozeForm(CleanTextMixin, forms.Form):
    days = forms.TypedChoiceField(
        label=_("Snooze for"),
        coerce=int,
        choices=[(1, _("1 day")), (3, _("3 days")), (7, _("1 week")), (14, _("2 weeks"))],
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)
