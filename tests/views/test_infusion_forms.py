"""Vitals and rate forms: the limits the database holds, each problem explained once, at its field."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from reactions.domain import vitals
from reactions.forms.infusions import RateChangeForm, VitalsForm
from reactions.models import Infusion, RateChange, Vitals
from tests.factories import InfusionFactory

pytestmark = pytest.mark.django_db


def _vitals_form(infusion: Infusion, **values: Any) -> VitalsForm:
    at = timezone.localtime(infusion.started_at + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    return VitalsForm({"phase": "start", "recorded_at": at, **values}, infusion=infusion)


def _rate_form(infusion: Infusion, **values: Any) -> RateChangeForm:
    at = timezone.localtime(infusion.started_at + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    return RateChangeForm({"changed_at": at, **values}, infusion=infusion)


def _messages(form: VitalsForm | RateChangeForm) -> dict[str, list[str]]:
    form.is_valid()
    return {field: list(errors) for field, errors in form.errors.items()}


BP = {"systolic": "120", "diastolic": "80"}


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({**BP, "systolic": "1200"}, "systolic", "not a possible value"),
        ({**BP, "diastolic": "5"}, "diastolic", "not a possible value"),
        ({"pulse": "400"}, "pulse", "not a possible value"),
        ({"temperature": "29.9"}, "temperature", "not a possible value"),
        ({"systolic": "120"}, "diastolic", "Enter both blood pressure values."),
        ({"systolic": "80", "diastolic": "80"}, "diastolic", "must be lower than the systolic"),
        ({}, "pulse", "Enter at least one measurement."),
        ({**BP, "systolic": "1200", "pulse": "400"}, None, None),
    ],
)
def test_each_vitals_problem_is_reported_once_at_its_field(values, field, message):
    messages = _messages(_vitals_form(InfusionFactory(), **values))
    if field is None:  # two problems: one message each, nothing else
        assert {name: len(found) for name, found in messages.items()} == {"systolic": 1, "pulse": 1}
        return
    assert list(messages) == [field]
    assert len(messages[field]) == 1 and message in messages[field][0]


@pytest.mark.parametrize("name", list(vitals.POSSIBLE))
def test_the_vitals_form_and_the_database_share_one_set_of_limits(name):
    infusion = InfusionFactory()
    low, high = vitals.POSSIBLE[name]
    step = Decimal("0.1") if name == "temperature" else 1
    # A partner that keeps the blood pressure pair valid, so only the limit under test can refuse a value.
    partner = {"systolic": {"diastolic": 20}, "diastolic": {"systolic": 300}}.get(name, {})
    for value, possible in ((low, True), (high, True), (low - step, False), (high + step, False)):
        values = {**partner, name: value}
        form = _vitals_form(infusion, **{key: str(v) for key, v in values.items()})
        assert form.is_valid() is possible, (value, form.errors)
        if possible:
            Vitals.objects.create(infusion=infusion, phase="start", recorded_at=infusion.started_at, **values)
        else:
            assert list(form.errors) == [name]
            with pytest.raises(IntegrityError), transaction.atomic():
                Vitals.objects.create(infusion=infusion, phase="start", recorded_at=infusion.started_at, **values)


@pytest.mark.parametrize(
    ("rate", "unit", "message"),
    [("0", "ml_kg_h", "above zero"), ("90", "ml_kg_h", "not a possible IVIG rate"), ("1001", "ml_h", "Check the unit")],
)
def test_each_rate_problem_is_reported_once_at_its_field(rate, unit, message):
    messages = _messages(_rate_form(InfusionFactory(), rate=rate, unit=unit))
    assert list(messages) == ["rate"]
    assert len(messages["rate"]) == 1 and message in messages["rate"][0]


@pytest.mark.parametrize("unit", list(vitals.RATE_LIMITS))
def test_the_rate_form_and_the_database_share_one_limit_per_unit(unit):
    infusion = InfusionFactory()
    limit = vitals.RATE_LIMITS[unit]
    assert _rate_form(infusion, rate=str(limit), unit=unit).is_valid()
    RateChange.objects.create(infusion=infusion, changed_at=infusion.started_at, rate=limit, unit=unit)
    too_high = limit + Decimal("0.01")
    assert list(_messages(_rate_form(infusion, rate=str(too_high), unit=unit))) == ["rate"]
    with pytest.raises(IntegrityError), transaction.atomic():
        RateChange.objects.create(infusion=infusion, changed_at=infusion.started_at, rate=too_high, unit=unit)
