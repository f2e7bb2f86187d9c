"""`bs5_field` writes the same markup as crispy-forms' Bootstrap 5 pack, only faster.

Compared as HTML (attribute order aside) with crispy's own output for every field of the forms it
is used on, unbound and bound with errors, so that a crispy upgrade that changes the markup fails here.
"""
from __future__ import annotations

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.test.html import parse_html

from reactions.forms.filters import DateRangeForm, QueueFilterForm
from reactions.forms.infusions import InfusionForm
from reactions.forms.reports import ReclassifyForm
from reactions.templatetags.fast_fields import bs5_field

pytestmark = pytest.mark.django_db


def _forms():
    bad_infusion = {"status": "given", "started_at": "yesterday", "ended_at": "", "product": "nope", "lot_number": "<>",
                    "dose_grams": "-3", "setting": "clinic", "pre_hydrated": "True", "notes": "x" * 5}  # fmt: skip
    return [
        InfusionForm(), InfusionForm(initial={"status": "given", "pre_hydrated": False}), InfusionForm(data=bad_infusion),
        InfusionForm(data={}),  # every radio group with its error
        QueueFilterForm(), QueueFilterForm(data={"date_from": "soon"}),
        DateRangeForm(), DateRangeForm(data={"date_from": "2026-13-40"}),
        ReclassifyForm(), ReclassifyForm(data={}),
    ]  # fmt: skip


def test_bs5_field_matches_crispy_for_every_field():
    compared = radios = 0
    for form in _forms():
        if form.is_bound:
            form.is_valid()
        for name in form.fields:
            ours, theirs = parse_html(str(bs5_field(form[name]))), parse_html(str(as_crispy_field(form[name])))
            assert ours == theirs, f"{type(form).__name__}.{name} (bound={form.is_bound}):\n{ours}\n---\n{theirs}"
            compared += 1
            radios += isinstance(form.fields[name].widget, forms.RadioSelect)
    assert compared > 20 and radios >= 8  # the radio buttons are drawn by bs5_field too, not handed to crispy
