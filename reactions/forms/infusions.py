"""Infusions, and the vitals and rate changes recorded during one."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reactions.domain import courses, vitals
from reactions.forms.common import CLOCK_SKEW, CleanTextMixin, DateTimeLocalInput
from reactions.models import Infusion, RateChange, Vitals

# Plausibility bounds (docs/clinical-facts.md §1): infusions last one to four hours; MS maintenance
# is 0.4–1 g/kg, induction up to 2 g/kg, often split over days.
MIN_DURATION = timedelta(minutes=15)


MAX_DURATION = timedelta(hours=12)


MIN_DOSE_G = Decimal("1")


MAX_DOSE_G = Decimal("200")


OLDEST_INFUSION = timedelta(days=5 * 365)


FURTHEST_PLANNED = timedelta(days=366)


LOT_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./\-]*$")


class InfusionForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Infusion
        fields = [
            "status",
            "started_at",
            "ended_at",
            "product",
            "product_other",
            "lot_number",
            "dose_grams",
            "setting",
            "premedication",
            "pre_hydrated",
            "notes",
        ]
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
                self.add_error(
                    "started_at", _("A given infusion cannot start in the future. Choose “Planned” instead.")
                )
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


# The start a new infusion's form offers: now, on a quarter hour (the patient adjusts it).
START_ROUNDING_MINUTES = 15


def infusion_initial(*, last: Infusion | None, now: datetime) -> dict[str, Any]:
    """A new infusion: given, starting now; the product, dose and premedication of last time."""
    start = now.replace(minute=now.minute - now.minute % START_ROUNDING_MINUTES, second=0, microsecond=0)
    initial: dict[str, Any] = {"status": Infusion.Status.GIVEN, "started_at": start}
    if last is not None:
        initial.update(
            product=last.product,
            product_other=last.product_other,
            dose_grams=last.dose_grams,
            setting=last.setting,
            premedication=last.premedication,
        )
    return initial


def infusion_next_day_initial(*, previous: Infusion, now: datetime) -> dict[str, Any]:
    """The next day of a course: the same product, lot, dose and place, a day after the previous start.

    Given if that time has come, else planned; its end is offered only if it is not in the future.
    """
    tz = previous.patient.tzinfo
    start = courses.next_day(previous.started_at, tz)
    end = courses.next_day(previous.ended_at, tz) if previous.ended_at else None
    given = start <= now
    return {
        "status": Infusion.Status.GIVEN if given else Infusion.Status.PLANNED,
        "started_at": start,
        "ended_at": end if end is not None and (not given or end <= now) else None,
        "product": previous.product,
        "product_other": previous.product_other,
        "lot_number": previous.lot_number,
        "dose_grams": previous.dose_grams,
        "setting": previous.setting,
        "premedication": previous.premedication,
        "pre_hydrated": str(previous.pre_hydrated),
    }


class VitalsForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Vitals
        fields = ["phase", "recorded_at", "systolic", "diastolic", "pulse", "temperature", "note"]
        widgets = {"recorded_at": DateTimeLocalInput(), "phase": forms.RadioSelect}
        labels = {"recorded_at": _("Time")}

    def __init__(self, *args: Any, infusion: Infusion, **kwargs: Any) -> None:
        self.infusion = infusion
        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = Vitals.Phase.choices
        self.fields["temperature"].widget.attrs.update(step="0.1")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, (low, high) in vitals.POSSIBLE.items():
            value = data.get(name)
            if value is not None and not (low <= value <= high):
                self.add_error(
                    name,
                    _("%(value)s is not a possible value (%(low)s–%(high)s). Check for a typo.")
                    % {"value": value, "low": low, "high": high},
                )
        systolic, diastolic = data.get("systolic"), data.get("diastolic")
        if (
            (systolic is None) != (diastolic is None)
            and not self.has_error("systolic")
            and not self.has_error("diastolic")
        ):
            self.add_error("diastolic" if diastolic is None else "systolic", _("Enter both blood pressure values."))
        elif systolic is not None and diastolic is not None and systolic <= diastolic:
            self.add_error("diastolic", _("The diastolic pressure must be lower than the systolic."))
        if not self.errors and all(data.get(n) is None for n in ("systolic", "pulse", "temperature")):
            self.add_error("pulse", _("Enter at least one measurement."))
        recorded_at = data.get("recorded_at")
        if recorded_at is not None:
            _check_within_infusion(self, "recorded_at", recorded_at, self.infusion)
        return data


class RateChangeForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = RateChange
        fields = ["changed_at", "rate", "unit", "note"]
        widgets = {"changed_at": DateTimeLocalInput(), "unit": forms.RadioSelect}
        labels = {"changed_at": _("Time"), "rate": _("New rate")}

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
        elif rate is not None and unit in vitals.RATE_LIMITS and rate > vitals.RATE_LIMITS[unit]:
            self.add_error(
                "rate",
                _("%(rate)s %(unit)s is not a possible IVIG rate. Check the unit.")
                % {"rate": rate, "unit": RateChange.Unit(unit).label},
            )
        if data.get("changed_at") is not None:
            _check_within_infusion(self, "changed_at", data["changed_at"], self.infusion)
        return data


def _check_within_infusion(form: forms.Form, field: str, at: datetime, infusion: Infusion) -> None:
    now = timezone.now()
    if at > now + CLOCK_SKEW:
        form.add_error(field, _("This time is in the future."))
    elif at < infusion.started_at - timedelta(hours=1):
        form.add_error(
            field,
            _("This is before the infusion started (%(start)s).")
            % {"start": timezone.localtime(infusion.started_at).strftime("%d %b %H:%M")},
        )
    elif infusion.ended_at and at > infusion.ended_at + timedelta(hours=2):
        form.add_error(field, _("This is long after the infusion ended."))
