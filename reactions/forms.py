"""Forms validate input and say what is wrong next to the field; services do the saving."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from reactions.domain import catalogue, schedule
from reactions.domain.catalogue import Grade, Onset
from reactions.services.reports import SymptomEntry

from .emails import render_email
from .models import Clinic, Flag, Infusion, RateChange, User, Vitals
from .signin import login_key

# Plausibility bounds (DESIGN.md §1): infusions last one to four hours; MS maintenance
# is 0.4–1 g/kg, induction up to 2 g/kg, often split over days.
MIN_DURATION = timedelta(minutes=15)
MAX_DURATION = timedelta(hours=12)
MIN_DOSE_G = Decimal("1")
MAX_DOSE_G = Decimal("200")
OLDEST_INFUSION = timedelta(days=5 * 365)
FURTHEST_PLANNED = timedelta(days=366)
# Clocks on phones drift: a "given" infusion may end a few minutes "in the future".
CLOCK_SKEW = timedelta(minutes=5)
LOT_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./\-]*$")

DATETIME_WIDGET_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_WIDGET_FORMAT)


def _printable(value: str) -> bool:
    return all(ch.isprintable() or ch in "\r\n\t" for ch in value)


class CleanTextMixin:
    """Reject control characters in every text field: they have no place in a health record."""

    def clean(self: Any) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        for name, value in list(data.items()):
            if isinstance(value, str) and not _printable(value):
                self.add_error(name, _("Remove the invisible control characters from this text."))
        return self.cleaned_data


class InfusionForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Infusion
        fields = [
            "status", "started_at", "ended_at", "product", "product_other", "lot_number",
            "dose_grams", "setting", "premedication", "pre_hydrated", "notes",
        ]  # fmt: skip
        widgets = {
            "status": forms.RadioSelect,
            "started_at": DateTimeLocalInput(),
            "ended_at": DateTimeLocalInput(),
            "setting": forms.RadioSelect,
            "pre_hydrated": forms.RadioSelect(choices=[(True, _("Yes")), (False, _("No"))]),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "status": _("Is this infusion planned, or has it been given?"),
            "product_other": _("Name of the product (if “Other”)"),
            "pre_hydrated": _("Did you drink extra fluids beforehand?"),
        }
        help_texts = {
            "ended_at": _("Leave empty if it has not finished yet."),
            "lot_number": _("Printed on the bottle or the infusion record, e.g. P100234."),
            "dose_grams": _("In grams, e.g. 30."),
            "premedication": _("e.g. paracetamol 1 g, cetirizine 10 mg."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = Infusion.Status.choices
        self.fields["setting"].choices = Infusion.Setting.choices
        # A yes/no radio must distinguish "No" from "not answered".
        self.fields["pre_hydrated"] = forms.TypedChoiceField(
            label=self.fields["pre_hydrated"].label,
            choices=[("True", _("Yes")), ("False", _("No"))],
            coerce=lambda v: v == "True",
            widget=forms.RadioSelect,
            initial="False",
        )
        if self.instance.pk:
            self.initial["pre_hydrated"] = str(self.instance.pre_hydrated)
        self.fields["dose_grams"].widget.attrs.update(min=str(MIN_DOSE_G), max=str(MAX_DOSE_G), step="0.5")
        self.fields["lot_number"].widget.attrs.update(autocapitalize="characters", spellcheck="false")

    def clean_lot_number(self) -> str:
        value = self.cleaned_data["lot_number"].strip()
        if value and not LOT_NUMBER_RE.match(value):
            raise forms.ValidationError(_("Use only letters, digits, spaces and . / - (as printed on the bottle)."))
        return value.upper()

    def clean_dose_grams(self) -> Decimal | None:
        value = self.cleaned_data["dose_grams"]
        if value is not None and not (MIN_DOSE_G <= value <= MAX_DOSE_G):
            raise forms.ValidationError(
                _("A dose of %(value)s g is outside the plausible range of %(low)s–%(high)s g. Check the number."),
                params={"value": value, "low": MIN_DOSE_G, "high": MAX_DOSE_G},
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        now = timezone.now()
        status = data.get("status")
        start: datetime | None = data.get("started_at")
        end: datetime | None = data.get("ended_at")
        if data.get("product") == Infusion.Product.OTHER and not data.get("product_other", "").strip():
            self.add_error("product_other", _("Type the name of the product."))
        if start is not None:
            if start < now - OLDEST_INFUSION:
                self.add_error("started_at", _("This date is more than five years ago. Check the year."))
            if status == Infusion.Status.GIVEN and start > now + CLOCK_SKEW:
                self.add_error("started_at", _("A given infusion cannot start in the future. Choose “Planned” instead."))
            if status == Infusion.Status.PLANNED and start > now + FURTHEST_PLANNED:
                self.add_error("started_at", _("Plan infusions at most a year ahead."))
        if start is not None and end is not None:
            if end <= start:
                self.add_error("ended_at", _("The end must be after the start."))
            elif end - start < MIN_DURATION:
                self.add_error("ended_at", _("An infusion this short (under 15 minutes) is unlikely. Check the times."))
            elif end - start > MAX_DURATION:
                self.add_error("ended_at", _("An infusion longer than 12 hours is unlikely. Check the date and times."))
            elif status == Infusion.Status.GIVEN and end > now + CLOCK_SKEW:
                self.add_error(
                    "ended_at", _("The end is in the future. Leave it empty until the infusion has finished.")
                )
        return data

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class _FixedChoiceField(forms.ChoiceField):
    """A ChoiceField whose choices are set once, when it is built, and never changed.

    Django deep-copies a form's declared fields for every form, and a ChoiceField's choices with them;
    the report form has 54 of these, and its copies can share the lists they never change.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> _FixedChoiceField:
        return forms.Field.__deepcopy__(self, memo)  # the widget still gets its own copy of the choices


def _symptom_fields() -> dict[str, forms.Field]:
    """Four fields per catalogue symptom: whether it happened, how bad, when it started, still going on.

    Built once, at import, as the form's declared fields (labels are lazy, so each request still gets
    its own language); each form copies them, as Django does for any declared field. Built in every
    form's __init__ instead, they were a fifth of the time of a report submission.
    """
    fields: dict[str, forms.Field] = {}
    for symptom in catalogue.SYMPTOMS:
        prefix = f"s_{symptom.code}"
        fields[prefix] = forms.BooleanField(
            label=symptom.label,
            required=False,
            widget=forms.CheckboxInput(attrs={"class": "form-check-input symptom-toggle"}),
        )
        fields[f"{prefix}_grade"] = _FixedChoiceField(
            label=_("How bad?"),
            choices=Grade.choices,
            required=False,
            widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        )
        fields[f"{prefix}_onset"] = _FixedChoiceField(
            label=_("When did it start?"),
            choices=[("", _("Choose…"))] + Onset.choices,
            required=False,
            widget=forms.Select(attrs={"class": "form-select"}),
        )
        fields[f"{prefix}_ongoing"] = forms.BooleanField(
            label=_("Still going on"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
        )
    return fields


class ReactionReportForm(CleanTextMixin, forms.Form):
    """A checklist of every symptom in the catalogue, each with grade, onset and "still going on"."""

    notes = forms.CharField(
        label=_("Anything else you want your care team to know"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, infusion: Infusion, **kwargs: Any) -> None:
        self.infusion = infusion
        super().__init__(*args, **kwargs)

    def symptom_rows(self, family: catalogue.Family) -> list[dict[str, Any]]:
        """Bound fields grouped per symptom, for the template."""
        rows = []
        for symptom in catalogue.SYMPTOMS:
            if symptom.family is not family:
                continue
            prefix = f"s_{symptom.code}"
            rows.append(
                {
                    "symptom": symptom,
                    "checked": self[prefix],
                    "grade": self[f"{prefix}_grade"],
                    "onset": self[f"{prefix}_onset"],
                    "ongoing": self[f"{prefix}_ongoing"],
                }
            )
        return rows

    def mild_rows(self) -> list[dict[str, Any]]:
        return self.symptom_rows(catalogue.Family.MILD)

    def warning_rows(self) -> list[dict[str, Any]]:
        return self.symptom_rows(catalogue.Family.SEVERE)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        now = timezone.now()
        if self.infusion.started_at > now:
            raise forms.ValidationError(_("You can report how you feel once this infusion has started."))
        reference_end = self.infusion.ended_at or self.infusion.started_at
        time_since_end = now - reference_end
        entries: list[SymptomEntry] = []
        for symptom in catalogue.SYMPTOMS:
            prefix = f"s_{symptom.code}"
            if not data.get(prefix):
                continue
            grade, onset = data.get(f"{prefix}_grade"), data.get(f"{prefix}_onset")
            if not grade:
                self.add_error(f"{prefix}_grade", _("Choose how bad “%(label)s” is.") % {"label": symptom.label})
            if not onset:
                self.add_error(f"{prefix}_onset", _("Choose when it started."))
            elif not catalogue.onset_possible(onset, time_since_end=time_since_end):
                self.add_error(
                    f"{prefix}_onset",
                    _("That is later than now: the infusion ended %(ago)s ago.")
                    % {"ago": _humanize(time_since_end)},
                )
            if grade and onset:
                entries.append(
                    SymptomEntry(code=symptom.code, grade=grade, onset=onset, ongoing=bool(data.get(f"{prefix}_ongoing")))
                )
        if not entries and not self.errors and not data.get("notes", "").strip():
            self.add_error("notes", _("Tick at least one symptom, or describe how you feel here."))
        self.entries = entries
        return data


# After the declared ones (notes first), as the metaclass would have collected them.
ReactionReportForm.base_fields.update(_symptom_fields())


def _humanize(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 1:
        return str(_("less than an hour"))
    if hours < 48:
        return str(_("%(n)d hours") % {"n": hours})
    return str(_("%(n)d days") % {"n": hours // 24})


class InvitationForm(CleanTextMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(label=_("Name"), max_length=150)
    role = forms.ChoiceField(label=_("Invite as"), choices=[(User.Role.PATIENT, User.Role.PATIENT.label)])

    def __init__(self, *args: Any, inviter: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Clinic admins invite clinicians and admins too; clinicians invite patients.
        if inviter.role == User.Role.CLINIC_ADMIN:
            self.fields["role"].choices = User.Role.choices
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
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Type the password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        self.email = email
        super().__init__(*args, **kwargs)

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


class AcknowledgeForm(CleanTextMixin, forms.Form):
    note = forms.CharField(
        label=_("Note (what you did or decided)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class FollowupPreferenceForm(forms.Form):
    choice = forms.ChoiceField(
        choices=[("pause", _("Pause for 30 days")), ("stop", _("Stop")), ("resume", _("Resume"))],
        widget=forms.HiddenInput,
    )


class ClinicSettingsForm(CleanTextMixin, forms.ModelForm):
    followup_offsets = forms.CharField(
        label=_("Follow-up prompts, in hours after the infusion ends"),
        help_text=_("Comma-separated. Default 2, 24, 72, 168: immediate reactions, clots and meningitis onset, "
                    "meningitis and kidney, and the whole first week."),
    )  # fmt: skip

    class Meta:
        model = Clinic
        fields = [
            "name", "emergency_phone", "time_zone", "quiet_hours_start", "quiet_hours_end",
            "prompt_reminder_after_hours", "escalation_after_minutes", "escalation_repeat_minutes", "daily_reminder_at",
        ]  # fmt: skip
        widgets = {
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["followup_offsets"].initial = ", ".join(str(h) for h in self.instance.followup_offsets_hours)
        self.fields["escalation_after_minutes"].min_value = 1
        self.fields["escalation_repeat_minutes"].min_value = 5
        self.fields["prompt_reminder_after_hours"].min_value = 1

    def clean_followup_offsets(self) -> list[int]:
        try:
            return schedule.parse_offsets(self.cleaned_data["followup_offsets"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_emergency_phone(self) -> str:
        value = self.cleaned_data["emergency_phone"].strip()
        if not re.fullmatch(r"\+?[0-9][0-9 ()\-]{4,38}", value):
            raise forms.ValidationError(_("Enter a phone number: digits, spaces, brackets and dashes, e.g. +44 20 7946 0123."))
        return value

    def save(self, commit: bool = True) -> Clinic:
        self.instance.followup_offsets_hours = self.cleaned_data["followup_offsets"]
        return super().save(commit=commit)


# --- Clinician workspace -------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("active", _("Needs action (open or acknowledged)")),
        ("open", _("Open (not acknowledged)")),
        ("snoozed", _("Snoozed")),
        ("closed", _("Closed")),
        ("all", _("All")),
    ]
    kind = forms.ChoiceField(label=_("Severity"), required=False, choices=[("", _("All"))] + Flag.Kind.choices)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    product = forms.ChoiceField(label=_("Product"), required=False, choices=[("", _("All"))] + Infusion.Product.choices)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


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
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", _("Choose…"))] + Flag.Outcome.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class FlagSnoozeForm(CleanTextMixin, forms.Form):
    days = forms.TypedChoiceField(
        label=_("Snooze for"), coerce=int, choices=[(1, _("1 day")), (3, _("3 days")), (7, _("1 week")), (14, _("2 weeks"))]
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ReclassifyForm(CleanTextMixin, forms.Form):
    to_level = forms.ChoiceField(
        label=_("Reclassify as"),
        choices=[("severe", _("Severe event")), ("review", _("Needs review")), ("mild", _("Mild / expected"))],
    )
    reason = forms.CharField(label=_("Why"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class VitalsForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Vitals
        fields = ["phase", "recorded_at", "systolic", "diastolic", "pulse", "temperature", "note"]
        widgets = {"recorded_at": DateTimeLocalInput(), "phase": forms.RadioSelect}
        labels = {"recorded_at": _("Time")}

    # Physiologically possible bounds (the database holds the same): outside them a value is a typo.
    POSSIBLE = {"systolic": (40, 300), "diastolic": (20, 200), "pulse": (20, 250), "temperature": (30, 45)}

    def __init__(self, *args: Any, infusion: Infusion, **kwargs: Any) -> None:
        self.infusion = infusion
        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = Vitals.Phase.choices
        self.fields["temperature"].widget.attrs.update(step="0.1")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, (low, high) in self.POSSIBLE.items():
            value = data.get(name)
            if value is not None and not (low <= value <= high):
                self.add_error(name, _("%(value)s is not a possible value (%(low)s–%(high)s). Check for a typo.")
                               % {"value": value, "low": low, "high": high})  # fmt: skip
        systolic, diastolic = data.get("systolic"), data.get("diastolic")
        if (systolic is None) != (diastolic is None) and not self.has_error("systolic") and not self.has_error("diastolic"):
            self.add_error("diastolic" if diastolic is None else "systolic", _("Enter both blood pressure values."))
        elif systolic is not None and diastolic is not None and systolic <= diastolic:
            self.add_error("diastolic", _("The diastolic pressure must be lower than the systolic."))
        if not self.errors and all(data.get(n) is None for n in ("systolic", "pulse", "temperature")):
            self.add_error("pulse", _("Enter at least one measurement."))
        recorded_at = data.get("recorded_at")
        if recorded_at is not None:
            _check_within_infusion(self, "recorded_at", recorded_at, self.infusion)
        return data

    def _post_clean(self) -> None:
        # The form checks everything; the service builds and validates the row.
        pass


class RateChangeForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = RateChange
        fields = ["changed_at", "rate", "unit", "note"]
        widgets = {"changed_at": DateTimeLocalInput(), "unit": forms.RadioSelect}
        labels = {"changed_at": _("Time"), "rate": _("New rate")}

    LIMITS = {RateChange.Unit.ML_KG_H: Decimal("15"), RateChange.Unit.ML_H: Decimal("1000")}

    def __init__(self, *args: Any, infusion: Infusion, **kwargs: Any) -> None:
        self.infusion = infusion
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = RateChange.Unit.choices
        self.fields["rate"].widget.attrs.update(step="0.01", min="0.01")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        rate, unit = data.get("rate"), data.get("unit")
        if rate is not None and rate <= 0:
            self.add_error("rate", _("The rate must be above zero."))
        elif rate is not None and unit in self.LIMITS and rate > self.LIMITS[unit]:
            self.add_error("rate", _("%(rate)s %(unit)s is not a possible IVIG rate. Check the unit.")
                           % {"rate": rate, "unit": RateChange.Unit(unit).label})  # fmt: skip
        if data.get("changed_at") is not None:
            _check_within_infusion(self, "changed_at", data["changed_at"], self.infusion)
        return data

    def _post_clean(self) -> None:
        pass


def _check_within_infusion(form: forms.Form, field: str, at: datetime, infusion: Infusion) -> None:
    now = timezone.now()
    if at > now + CLOCK_SKEW:
        form.add_error(field, _("This time is in the future."))
    elif at < infusion.started_at - timedelta(hours=1):
        form.add_error(field, _("This is before the infusion started (%(start)s).")
                       % {"start": timezone.localtime(infusion.started_at).strftime("%d %b %H:%M")})  # fmt: skip
    elif infusion.ended_at and at > infusion.ended_at + timedelta(hours=2):
        form.add_error(field, _("This is long after the infusion ended."))


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


class PatientDetailsForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["indication"]


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
        self.fields["language"].choices = [("", _("Browser's language"))] + list(settings.LANGUAGES)


class LoginForm(auth_forms.AuthenticationForm):
    """Django's sign-in form, with the e-mail's length checked before anyone tries to authenticate.

    Django's form sets the username's max_length after building the field, so no validator checks it: a
    longer "address" reached authenticate(), and django-axes' record of the failed attempt (255
    characters) then failed on PostgreSQL with a 500.
    """

    username = auth_forms.UsernameField(
        max_length=User._meta.get_field(User.USERNAME_FIELD).max_length, widget=forms.TextInput(attrs={"autofocus": True})
    )

    def clean_username(self) -> str:
        # django-axes counts failures per login: "PAT@x" and "pat@x" are one account, so one count.
        return login_key(self.cleaned_data["username"])


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, its e-mail rendered like every other: by render_email, in the account's language.

    The account's own language, else the language of the page the reset was asked from.
    """

    def send_mail(self, subject_template_name: str, email_template_name: str, context: dict[str, Any],
                  from_email: str | None, to_email: str, html_email_template_name: str | None = None) -> None:
        language = getattr(context.get("user"), "language", "") or translation.get_language()
        rendered = render_email("password-reset", {**context, "recipient": context.get("user")}, language=language)
        message = EmailMultiAlternatives(rendered.subject, rendered.text, from_email, [to_email])
        message.attach_alternative(rendered.html, "text/html")
        message.send()
