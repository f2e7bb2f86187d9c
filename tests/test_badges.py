"""The row pieces written in Python (reactions/templatetags/badges.py): right words, escaped values, translated."""
from __future__ import annotations

from datetime import date, datetime
from datetime import timezone as dt_timezone

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.formats import date_format

from reactions.models import Flag
from reactions.templatetags.badges import (
    _local_date,
    flag_badges,
    flag_summary,
    product_rows,
    queue_row,
    report_badge,
    report_line,
    symptom_list,
)
from tests.factories import InfusionFactory, make_report, make_severe_flag

pytestmark = pytest.mark.django_db


def test_report_badge_says_how_serious_the_report_is():
    severe = make_report(symptoms=[("breathing_trouble", "severe")])
    mild = make_report(symptoms=[("headache", "mild")])
    assert "badge-severe" in report_badge(severe) and "Warning sign" in report_badge(severe)
    assert report_badge(mild) == '<span class="badge badge-mild">Mild</span>'


def test_symptom_list_for_clinicians_names_both_and_marks_warning_signs():
    report = make_report(symptoms=[("breathing_trouble", "severe"), ("headache", "mild")])
    html = symptom_list(report.symptoms.order_by("pk"), clinical=True)
    warning, plain = html.split("</li>")[:2]
    # The clinical name, then the patient's words when they differ; warning signs bold with ⚠.
    assert '<strong>⚠ Bronchospasm / dyspnoea <span class="text-body-secondary">' \
        '(Trouble breathing, wheezing or gasping)</span></strong> — severe, during the infusion' in warning
    assert plain.strip() == "<li>Headache — mild, during the infusion"  # same words: named once
    assert symptom_list([], clinical=True) == ""


def test_symptom_list_in_spanish():
    report = make_report(symptoms=[("headache", "moderate")])
    with translation.override("es"):
        html = symptom_list(report.symptoms.all())
    assert "Dolor de cabeza" in html and "moderado" in html


def test_values_from_the_database_are_escaped_and_our_markup_is_kept():
    report = make_report(symptoms=[("chest_pain", "severe")])
    flag = report.flags.get(kind=Flag.Kind.SEVERE_EVENT)
    report.clinician_level = "<script>alert(1)</script>"
    flag.report = report
    html = flag_summary(flag)
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "Reclassified by clinician as <strong>" in html


def test_a_snoozed_flag_shows_the_date_in_the_current_time_zone():
    flag = make_severe_flag(infusion=InfusionFactory())
    flag.snoozed_until = datetime(2026, 3, 1, 23, 30, tzinfo=dt_timezone.utc)
    with timezone.override("Pacific/Auckland"):  # already 2 March there
        assert "Snoozed to 2 Mar" in flag_badges(flag)
    with timezone.override("America/New_York"):
        assert "Snoozed to 1 Mar" in flag_badges(flag)


def test_product_rows_show_counts_and_rounded_rates_and_escape_names():
    rows = [
        {"product_name": "<b>Home-made IVIG</b>", "lot_number": "", "infusions": 3, "patients": 2, "mild": 1,
         "mild_rate": 1 / 3, "severe": 2, "severe_rate": 2 / 3},
        {"product_name": "Privigen", "lot_number": "P123", "infusions": 8, "patients": 5, "mild": 1,
         "mild_rate": 1 / 8, "severe": 0, "severe_rate": 0.0},
    ]  # fmt: skip
    html = product_rows(rows, show_lot=True)
    first, second = html.split("</tr>")[:2]
    assert first == ("<tr><td>&lt;b&gt;Home-made IVIG&lt;/b&gt;</td><td>(not recorded)</td><td>3</td><td>2</td>"
                     "<td>1 (33%)</td><td><strong>2 (67%)</strong></td>")  # fmt: skip
    assert second == "<tr><td>Privigen</td><td>P123</td><td>8</td><td>5</td><td>1 (12%)</td><td>0</td>"
    assert "<td>P123</td>" not in product_rows(rows)  # the per-product table has no lot column


def test_queue_row_names_the_patient_the_infusion_and_who_handles_it(clinician):
    infusion = InfusionFactory(patient__full_name="<i>Ann</i> O'Neil", lot_number="A1<2")
    flag = make_severe_flag(infusion=infusion)
    html = queue_row(flag)
    assert html.startswith('<tr class="flag-severe">') and f'href="/clinic/flags/{flag.pk}/"' in html
    assert "&lt;i&gt;Ann&lt;/i&gt; O&#x27;Neil" in html and "lot A1&lt;2" in html
    assert "<strong>not yet</strong>" in html and '<time datetime="' in html
    flag.acknowledged_by = flag.assigned_to = clinician
    assert f"✓ {clinician.full_name}" in queue_row(flag) and f"→ {clinician.full_name}" in queue_row(flag)


def test_report_line_on_the_home_page_in_the_patients_words():
    report = make_report(symptoms=[("headache", "moderate"), ("breathing_trouble", "severe")])
    report.symptom_list = list(report.symptoms.order_by("pk"))
    html = report_line(report)
    assert f'href="/reports/{report.pk}/"' in html and "Reported " in html
    assert html.endswith(": Headache (moderate), Trouble breathing, wheezing or gasping (severe)</div>")
    report.symptom_list = []
    assert report_line(report).endswith(": notes only</div>")


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/New_York"])
def test_dates_on_the_rows_are_written_as_the_date_filter_writes_them(language, zone):
    moments = [datetime(2026, 12, 31, 23, 30, tzinfo=dt_timezone.utc), datetime(2026, 3, 1, 0, 5, tzinfo=dt_timezone.utc),
               datetime(999, 7, 9, 14, 0, tzinfo=dt_timezone.utc), timezone.now()]  # fmt: skip
    formats = ["j M", "j M Y", "j M, H:i", "j M Y, H:i", "D j M Y", "c", r"j \de M", "DATE_FORMAT"]  # escapes, names
    with translation.override(language), timezone.override(zone):
        for moment in moments:
            for fmt in formats:
                assert _local_date(moment, fmt) == date_format(timezone.localtime(moment), fmt), (moment, fmt)
    with translation.override("es"):
        assert _local_date(datetime(2026, 1, 5, 12, tzinfo=dt_timezone.utc), "j M Y") == "5 Ene 2026"


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland"])
def test_the_local_date_filter_writes_what_the_date_filter_writes(language, zone):
    values = {"moment": datetime(2026, 12, 31, 23, 30, tzinfo=dt_timezone.utc), "day": date(2026, 2, 3), "nothing": None}
    formats = ['"D j M Y, H:i"', '"j M H:i"', '"j M Y"', '_("D j M Y")', '"l j F"']
    with translation.override(language), timezone.override(zone):
        for name in values:
            for fmt in formats:
                ours = Template(f"{{% load badges %}}{{{{ {name}|local_date:{fmt} }}}}")
                django = Template(f"{{{{ {name}|date:{fmt} }}}}")
                if name == "day" and "H" in fmt:  # a time of day asked of a date: both refuse alike
                    for template in (ours, django):
                        with pytest.raises(TypeError, match="time-related"):
                            template.render(Context(values))
                    continue
                assert ours.render(Context(values)) == django.render(Context(values)), (name, fmt)
