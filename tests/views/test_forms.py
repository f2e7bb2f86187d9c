"""The reaction report form: four fields per offered symptom, each form with its own."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from reactions.domain import catalogue
from reactions.forms.reports import ReactionReportForm
from tests.factories import InfusionFactory

pytestmark = pytest.mark.django_db


def test_one_field_per_question_of_every_symptom_after_the_notes():
    form = ReactionReportForm(infusion=InfusionFactory())
    names = list(form.fields)
    assert names[:2] == ["notes", "care"]
    assert names[2:6] == ["s_headache", "s_headache_grade", "s_headache_onset", "s_headache_ongoing"]
    assert len(names) == 2 + 4 * len(catalogue.OFFERED)


def test_a_symptom_no_longer_offered_is_not_on_the_form():
    retired = [s.code for s in catalogue.SYMPTOMS if s.retired]
    assert retired  # else this test checks nothing
    form = ReactionReportForm(infusion=InfusionFactory())
    warning = [row for section in form.warning_sections() for group in section["groups"] for row in group["rows"]]
    shown = {row["symptom"].code for row in [*warning, *form.mild_rows()]}
    assert shown == {s.code for s in catalogue.OFFERED}
    assert not [name for name in form.fields if any(name.startswith(f"s_{code}") for code in retired)]


def test_a_posted_symptom_no_longer_offered_is_ignored():
    infusion = InfusionFactory(started_at=timezone.now() - timedelta(hours=3))
    data = {"s_sudden_breathless": "on", "s_sudden_breathless_grade": "severe", "s_sudden_breathless_onset": "during"}
    form = ReactionReportForm({**data, "notes": "Tired."}, infusion=infusion)
    assert form.is_valid(), form.errors
    assert form.entries == []


def test_each_form_changes_only_its_own_fields():
    infusion = InfusionFactory()
    first, second = ReactionReportForm(infusion=infusion), ReactionReportForm(infusion=infusion)
    first.fields["s_headache_grade"].choices = [("mild", "Mild")]
    first.fields["s_headache_onset"].widget.attrs["class"] = "changed"
    first.fields["s_headache"].label = "Changed"
    assert [value for value, _label in second.fields["s_headache_grade"].choices] == list(catalogue.Grade.values)
    assert second.fields["s_headache_onset"].widget.attrs["class"] == "form-select"
    assert second.fields["s_headache"].label == "Headache"
    third = ReactionReportForm(infusion=infusion)
    assert [value for value, _label in third.fields["s_headache_grade"].choices] == list(catalogue.Grade.values)
    assert len(third.fields["s_headache_grade"].widget.choices) == len(catalogue.Grade.choices)


@pytest.mark.parametrize(
    ("language", "label", "grade"), [("en", "Headache", "Very severe"), ("es", "Dolor de cabeza", "Muy grave")]
)
def test_labels_are_in_the_language_of_each_request(language, label, grade):
    with translation.override(language):
        form = ReactionReportForm(infusion=InfusionFactory())
        assert str(form.fields["s_headache"].label) == label
        assert grade in [str(text) for _value, text in form.fields["s_headache_grade"].choices]
        assert grade in form["s_headache_grade"].as_widget()


def test_the_report_form_shows_every_warning_sign_first_grouped_and_none_behind_a_collapse(patient_client, patient):
    infusion = InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(hours=3))
    html = patient_client.get(reverse("report_create", args=[infusion.pk])).content.decode()
    body = html[html.index('class="warning-signs') :]
    signs = body[: body.index('class="mild-symptoms')]
    assert "<details" not in signs and " hidden" not in signs
    ambulance, today = body.index("Signs that need an ambulance"), body.index("Signs that need a doctor today")
    mild = body.index("Common, usually mild symptoms")
    assert ambulance < today < mild
    for code in ("breathing_trouble", "chest_pain", "face_droop", "collapse"):
        assert ambulance < body.index(f'name="s_{code}"') < today, code
    for code in ("widespread_hives", "dark_urine", "painful_swollen_limb"):
        assert today < body.index(f'name="s_{code}"') < mild, code
    for sign in catalogue.OFFERED_WARNING_SIGNS:
        assert body.count(f'name="s_{sign.code}"') == 1
    assert body.index("Breathing or swallowing") < body.index('name="s_breathing_trouble"')
    # One breathing item: the two near-duplicates of older forms are not offered.
    assert 'name="s_sudden_breathless"' not in body and 'name="s_hard_to_breathe"' not in body


def test_each_symptom_is_ticked_through_one_label_around_its_box(patient_client, patient):
    infusion = InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(hours=3))
    html = patient_client.get(reverse("report_create", args=[infusion.pk])).content.decode()
    for symptom in catalogue.OFFERED:
        head = re.search(
            rf'<label class="symptom-head">\s*<input [^>]*name="s_{symptom.code}"[^>]*>\s*<span>([^<]+)</span>', html
        )
        assert head, symptom.code
        assert unescape(head.group(1)) == str(symptom.label)
