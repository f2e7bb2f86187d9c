"""Signing in, invitations, two-factor codes, language and follow-up choices, deletion."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from reactions.domain import phones
from reactions.emails import render_email
from reactions.forms.common import CleanTextMixin
from reactions.models import User
from reactions.models.accounts import PATIENT_RISK_FIELDS
from reactions.signin import login_key


def phone_field(*, help_text: str, autocomplete: str) -> PhoneNumberField:
    """A phone number, optional: read as a number of PHONENUMBER_DEFAULT_REGION's country unless it starts
    with + (or 00), and shown back in that country's national format."""
    return PhoneNumberField(
        label=_("Phone number"),
        required=False,
        help_text=help_text,
        widget=RegionalPhoneNumberWidget(attrs={"autocomplete": autocomplete}),
    )


PATIENT_PHONE_HELP = _("The number the clinic calls back on after a warning sign is reported.")


class InvitationForm(CleanTextMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(label=_("Name"), max_length=150)
    role = forms.ChoiceField(label=_("Invite as"), choices=[(User.Role.PATIENT, User.Role.PATIENT.label)])
    # Staff type someone else's number here: the browser must not offer their own.
    phone = phone_field(
        help_text=_(
            "Optional, for a patient: the number the clinic calls back on after a warning sign. "
            "They can correct it when they join."
        ),
        autocomplete="off",
    )

    def __init__(self, *args: Any, inviter: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Clinic admins invite clinicians and admins too; clinicians invite patients.
        if inviter.role == User.Role.CLINIC_ADMIN:
            # Caregivers belong to no clinic: only a patient invites one, from their profile.
            self.fields["role"].choices = [c for c in User.Role.choices if c[0] != User.Role.CAREGIVER]
        else:
            self.fields["role"].widget = forms.HiddenInput()
        self.fields["role"].initial = User.Role.PATIENT

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Someone with this e-mail address already has an account."))
        return email


class AcceptInvitationForm(CleanTextMixin, forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150)
    phone = phone_field(
        help_text=_("Your clinic calls you back on this number after you report a warning sign."),
        autocomplete="tel",
    )
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Type the password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, ask_phone: bool = True, **kwargs: Any) -> None:
        self.email = email
        super().__init__(*args, **kwargs)
        if not ask_phone:  # staff: nobody calls them back about a reaction
            del self.fields["phone"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            candidate = User(email=self.email, full_name=data.get("full_name", ""))
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class FollowupPreferenceForm(forms.Form):
    choice = forms.ChoiceField(
        choices=[("pause", _("Pause for 30 days")), ("stop", _("Stop")), ("resume", _("Resume"))],
        widget=forms.HiddenInput,
    )


class ChannelsForm(forms.Form):
    """How a patient (or a caregiver, for their copies) gets follow-up messages: e-mail, texts, or both.
    Texts need a mobile number on file."""

    notify_email = forms.BooleanField(label=_("By e-mail"), required=False)
    notify_sms = forms.BooleanField(
        label=_("By text message"),
        required=False,
        help_text=_("Texts hold no health details, only a link. They go to the phone number on your profile."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"notify_email": user.notify_email, "notify_sms": user.notify_sms})
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("notify_email") and not data.get("notify_sms"):
            raise forms.ValidationError(_("Choose at least one way to get your follow-up messages."))
        if data.get("notify_sms") and not self.user.phone:
            self.add_error("notify_sms", _("Add your mobile number to your profile first."))
        elif data.get("notify_sms") and not phones.can_receive_sms(self.user.phone):
            self.add_error("notify_sms", _("Your phone number cannot get texts. Add a mobile number to your profile."))
        return data


class LanguageForm(forms.ModelForm):
    """The language of the user's pages and e-mails; empty follows the browser."""

    class Meta:
        model = User
        fields = ["language"]
        labels = {"language": _("Language")}
        help_texts = {"language": _("For these pages and for the e-mails we send you.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Language names stay in their own language, so that anyone can find theirs.
        self.fields["language"].choices = [("", _("Browser's language")), *list(settings.LANGUAGES)]


class LoginForm(auth_forms.AuthenticationForm):
    """Django's sign-in form, with the e-mail's length checked before anyone tries to authenticate.

    Django's form sets the username's max_length after building the field, so no validator checks it: a
    longer "address" reached authenticate(), and django-axes' record of the failed attempt (255
    characters) then failed on PostgreSQL with a 500.
    """

    username = auth_forms.UsernameField(
        max_length=User._meta.get_field(User.USERNAME_FIELD).max_length,
        widget=forms.TextInput(attrs={"autofocus": True}),
    )

    def clean_username(self) -> str:
        # django-axes counts failures per login: "PAT@x" and "pat@x" are one account, so one count.
        return login_key(self.cleaned_data["username"])


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, its e-mail rendered like every other: by render_email, in the account's language.

    The account's own language, else the language of the page the reset was asked from.
    """

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        language = getattr(context.get("user"), "language", "") or translation.get_language()
        rendered = render_email("password-reset", {**context, "recipient": context.get("user")}, language=language)
        message = EmailMultiAlternatives(rendered.subject, rendered.text, from_email, [to_email])
        message.attach_alternative(rendered.html, "text/html")
        message.send()


class PhoneForm(CleanTextMixin, forms.Form):
    """A patient's phone number, on their profile and on the clinic's page of the patient."""

    phone = phone_field(help_text=PATIENT_PHONE_HELP, autocomplete="tel")

    def __init__(self, *args: Any, by_staff: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if by_staff:  # someone else's number: the browser must not offer the clinician's own
            self.fields["phone"].widget.attrs["autocomplete"] = "off"


class PatientDetailsForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["indication"]


class PatientRiskForm(CleanTextMixin, forms.ModelForm):
    """The risk factors that add follow-up prompts (reactions/domain/followup_risk.py), recorded by clinicians."""

    class Meta:
        model = User
        fields = list(PATIENT_RISK_FIELDS)
        help_texts = {"birth_year": _("Used only to tell whether the patient is over 65.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        this_year = timezone.now().year
        self.fields["birth_year"].widget.attrs.update(min="1900", max=str(this_year), inputmode="numeric")
        self.fields["weight_kg"].widget.attrs.update(min="20", max="350", step="0.1")

    def clean_birth_year(self) -> int | None:
        year = self.cleaned_data["birth_year"]
        if year is not None and not 1900 <= year <= timezone.now().year:
            raise forms.ValidationError(_("Enter a year between 1900 and this year."))
        return year

    def clean_weight_kg(self) -> Decimal | None:
        weight = self.cleaned_data["weight_kg"]
        if weight is not None and not Decimal("20") <= weight <= Decimal("350"):
            raise forms.ValidationError(_("Enter a weight between 20 and 350 kg."))
        return weight


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class DeletionRequestForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why (optional)"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    password = forms.CharField(
        label=gettext_lazy("Your password, to confirm"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."))
        return password
