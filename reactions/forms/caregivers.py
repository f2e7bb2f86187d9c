"""A patient's invitation to a caregiver, and a caregiver's choice about prompts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reactions.forms.accounts import PhoneForm
from reactions.forms.common import CleanTextMixin
from reactions.models import User


class CaregiverInviteForm(CleanTextMixin, forms.Form):
    full_name = forms.CharField(label=_("Their name"), max_length=150)
    email = forms.EmailField(label=_("Their e-mail address"))

    def __init__(self, *args: Any, patient: User, **kwargs: Any) -> None:
        self.patient = patient
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        # Whether someone else's address has an account is not said here (it would tell a patient who else
        # uses the app): the invitee learns it when they open the link.
        email = self.cleaned_data["email"].strip().lower()
        if email == self.patient.email.lower():
            raise forms.ValidationError(_("This is your own address: invite the person who helps you."))
        return email


class CarePromptsForm(forms.Form):
    receives_prompts = forms.BooleanField(
        label=_("Send me the follow-up questions and reminders too"),
        required=False,
        help_text=_("They come the ways you choose on your account page: e-mail, text message or notification."),
    )


class CaregiverPhoneForm(PhoneForm):
    """A caregiver's own number: for their texts only (a clinic calls the patient back, not them)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].help_text = _("Your mobile number, for text messages about the people you help.")
