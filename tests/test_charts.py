"""The symptom burden chart: the pure SVG renderer (no database) and the per-infusion numbers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import SafeString

from reactions import charts, services
from reactions.charts import BurdenRow, burden_svg, nice_ticks
from reactions.models import Infusion, RateChange
from reactions.selectors.burden import symptom_burden
from tests.factories import ClinicianFactory, InfusionFactory, make_report

SVG = "{http://www.w3.org/2000/svg}"


def _row(n: int, **overrides) -> BurdenRow:
    day = date(2025, 1, 6) + timedelta(days=28 * n)
    values = {
        "infusion_id": n + 1,
        "started_at": datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
        "date": day,
        "product": "Privigen",
        "lot": f"P{n}",
        "premedication": "",
        "pre_hydrated": False,
        "max_rate": "",
        "burden": n,
        "severe": False,
    }
    values.update(overrides)
    return BurdenRow(**values)


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # also proves the markup is well-formed XML


# --- burden_svg: pure, no database ------------------------------------------------------------


def test_svg_is_an_accessible_image_with_title_and_a_description_of_the_numbers():
    rows = [_row(0, burden=2), _row(1, burden=7, severe=True), _row(2, burden=3)]
    root = _parse(burden_svg(rows))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Symptom burden per infusion"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "3 infusions from 6 Jan 2025 to 3 Mar 2025" in desc.text
    assert "Highest burden 7 on 3 Feb 2025" in desc.text
    assert "Severe reaction after 1 infusion: 3 Feb 2025." in desc.text


def test_one_bar_per_infusion_in_order_with_its_value_and_date_label():
    rows = [_row(n, burden=b) for n, b in enumerate([4, 0, 9, 1])]
    root = _parse(burden_svg(rows))
    bars = [g for g in root.iter(f"{SVG}g") if "bar" in (g.get("class") or "").split()]
    assert len(bars) == 4
    heights = [float(g.find(f"{SVG}rect").get("height")) for g in bars]
    assert heights[1] == 0 and heights[2] > heights[0] > heights[3] > 0
    # x positions grow left to right: oldest first.
    xs = [float(g.find(f"{SVG}rect").get("x")) for g in bars]
    assert xs == sorted(xs)
    labels = [t.text for g in bars for t in g.findall(f"{SVG}text") if t.get("class") == "date"]
    assert labels == ["6 Jan 25", "3 Feb 25", "3 Mar 25", "31 Mar 25"]
    values = [g.findall(f"{SVG}text")[0].text for g in bars]
    assert values == ["4", "0", "9", "1"]


def test_y_axis_ticks_cover_the_highest_burden():
    root = _parse(burden_svg([_row(0, burden=13), _row(1, burden=2)]))
    axis = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "y-axis")
    ticks = [t.text for t in axis.findall(f"{SVG}text") if t.text and t.text.isdigit()]
    assert ticks == ["0", "5", "10", "15"]
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(96) == [0, 20, 40, 60, 80, 100]


def test_severe_infusions_are_hatched_and_marked_in_text_not_only_by_colour():
    root = _parse(burden_svg([_row(0, burden=3), _row(1, burden=5, severe=True)]))
    pattern = root.find(f"{SVG}defs/{SVG}pattern")
    assert pattern is not None
    bars = [g for g in root.iter(f"{SVG}g") if "bar" in (g.get("class") or "").split()]
    mild, severe = bars
    assert severe.get("class") == "bar severe"
    assert severe.find(f"{SVG}rect").get("fill") == f"url(#{pattern.get('id')})"
    assert mild.find(f"{SVG}rect").get("fill").startswith("#")
    assert severe.findall(f"{SVG}text")[0].text == "! 5"  # the text marker
    assert "severe reaction" in severe.find(f"{SVG}title").text
    assert "severe" not in mild.find(f"{SVG}title").text
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    assert "! severe reaction" in [t.text for t in legend.findall(f"{SVG}text")]


def test_premedication_is_marked_under_its_bar_and_in_the_tooltip():
    root = _parse(burden_svg([_row(0, premedication="Paracetamol 1 g"), _row(1)]))
    with_premed, without = [g for g in root.iter(f"{SVG}g") if "bar" in (g.get("class") or "").split()]
    assert [t.text for t in with_premed.findall(f"{SVG}text") if t.get("class") == "premedication"] == ["P"]
    assert not [t for t in without.findall(f"{SVG}text") if t.get("class") == "premedication"]
    assert "premedication: Paracetamol 1 g" in with_premed.find(f"{SVG}title").text
    assert "no premedication" in without.find(f"{SVG}title").text


def test_every_text_is_escaped():
    hostile = '<script>alert("x")</script>'
    svg = burden_svg([_row(0, product=hostile, lot='"><img src=x onerror=alert(1)>', premedication="a & b <i>")])
    assert "<script" not in svg and "<img" not in svg and "<i>" not in svg
    root = _parse(svg)
    tooltip = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "bar").find(f"{SVG}title").text
    # Escaped in the markup, and read back as the original text.
    assert hostile in tooltip and "a & b <i>" in tooltip
    assert "script" not in "".join(root.itertext()).replace(tooltip, "")


def test_no_javascript_and_no_inline_style_in_the_chart():
    svg = burden_svg([_row(n, burden=n, severe=n == 2, premedication="x" if n % 2 else "") for n in range(24)])
    lowered = svg.lower()
    assert "<script" not in lowered and "javascript:" not in lowered
    assert not re.search(r"\son[a-z]+\s*=", lowered)  # no event handler attributes
    # A strict Content Security Policy blocks style attributes; presentation attributes are fine.
    assert "style=" not in lowered


def test_an_empty_chart_still_says_what_it_is():
    root = _parse(burden_svg([]))
    assert root.get("role") == "img"
    assert root.find(f"{SVG}desc").text == "No given infusions to chart yet."


def test_the_chart_speaks_the_language_of_the_page():
    rows = [
        _row(0, burden=2, premedication="Paracetamol"),
        _row(1, burden=7, severe=True, pre_hydrated=True, max_rate="4.8 mL/kg/h"),
    ]
    with translation.override("es"):
        root = _parse(burden_svg(rows))
        empty = _parse(burden_svg([]))
    assert root.find(f"{SVG}title").text == "Carga de síntomas por infusión"
    desc = root.find(f"{SVG}desc").text
    assert desc.startswith("Carga de síntomas de 2 infusiones, del 6 Ene 2025 al 3 Feb 2025.")
    assert "Reacción grave tras 1 infusión: 3 Feb 2025." in desc and "Premedicación dada en 1 de 2 infusiones." in desc
    legend = [t.text for t in root.find(f"{SVG}g[@class='legend']").findall(f"{SVG}text")]
    assert legend == ["Carga (suma de grados: leve 1 … muy grave 4)", "! reacción grave", "P", "premedicación dada"]
    tooltips = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class", "").startswith("bar")]
    assert tooltips == [
        "6 Ene 2025: Privigen, lote P0, carga 2, premedicación: Paracetamol",
        (
            "3 Feb 2025: Privigen, lote P1, carga 7, reacción grave, ritmo más alto 4.8 mL/kg/h, sin premedicación, "
            "líquidos extra antes"
        ),
    ]
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "date"] == ["6 Ene 25", "3 Feb 25"]
    assert empty.find(f"{SVG}desc").text == "Todavía no hay infusiones administradas que mostrar."
    # Nothing is left in English.
    words = " ".join([desc, *legend, *tooltips])
    assert not re.search(r"\b(infusions?|severe|burden|premedication|lot|highest|fluids)\b", words, re.IGNORECASE)


@pytest.mark.parametrize("language", ["en", "es"])
def test_chart_dates_are_what_djangos_date_format_writes(language):
    days = [date(2025, month, month + 9) for month in range(1, 13)] + [date(2031, 12, 1)]
    with translation.override(language):
        assert [charts.short_date(d) for d in days] == [date_format(d, "j M y") for d in days]
        assert [charts.long_date(d) for d in days] == [date_format(d, "j M Y") for d in days]


def test_prefixes_keep_ids_unique_when_two_charts_share_a_page():
    a, b = burden_svg([_row(0, severe=True)], id_prefix="a"), burden_svg([_row(0, severe=True)], id_prefix="b")
    ids_a = {e.get("id") for e in _parse(a).iter() if e.get("id")}
    ids_b = {e.get("id") for e in _parse(b).iter() if e.get("id")}
    assert ids_a and not ids_a & ids_b


def test_highest_rate_per_unit_drops_trailing_zeros():
    changes = [
        RateChange(rate=Decimal("0.50"), unit=RateChange.Unit.ML_KG_H),
        RateChange(rate=Decimal("4.80"), unit=RateChange.Unit.ML_KG_H),
        RateChange(rate=Decimal("2.00"), unit=RateChange.Unit.ML_KG_H),
    ]
    assert charts.highest_rate(changes) == "4.8 mL/kg/h"
    assert charts.highest_rate([RateChange(rate=Decimal("200.00"), unit=RateChange.Unit.ML_H)]) == "200 mL/h"
    assert charts.highest_rate([]) == ""


# --- symptom_burden: from the database -------------------------------------------------------------


@pytest.mark.django_db
def test_burden_sums_grade_weights_over_all_reports_of_an_infusion(patient):
    infusion = InfusionFactory(patient=patient, premedication="Cetirizine", pre_hydrated=True, lot_number="LOT-7")
    make_report(infusion=infusion, symptoms=[("headache", "mild"), ("fatigue", "moderate")])
    make_report(infusion=infusion, symptoms=[("nausea", "severe"), ("chills", "severe")])
    quiet = InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(days=30))

    chart = symptom_burden(patient=patient)

    assert [r.infusion_id for r in chart.rows] == [quiet.pk, infusion.pk]  # oldest first
    row = chart.rows[1]
    assert row.burden == 1 + 2 + 3 + 3
    assert (row.product, row.lot, row.premedication, row.pre_hydrated) == ("Privigen", "LOT-7", "Cetirizine", True)
    assert row.severe is False and row.reports == 2
    assert chart.rows[0].burden == 0 and chart.rows[0].reports == 0
    assert isinstance(chart.svg, SafeString) and "Cetirizine" in chart.svg


@pytest.mark.django_db
def test_severe_follows_the_report_level_after_clinician_review(patient, clinician):
    severe = InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(days=10))
    make_report(infusion=severe, symptoms=[("breathing_trouble", "moderate")])
    downgraded = InfusionFactory(patient=patient)
    report = make_report(infusion=downgraded, symptoms=[("chest_pain", "mild")])
    services.reports.report_reclassify(
        report=report, by=clinician, to_level="mild", reason="Muscular, examined in clinic"
    )

    rows = symptom_burden(patient=patient).rows

    assert [(r.infusion_id, r.severe) for r in rows] == [(severe.pk, True), (downgraded.pk, False)]


@pytest.mark.django_db
def test_highest_rate_comes_from_the_rate_changes(patient, clinician):
    infusion = InfusionFactory(patient=patient)
    for minutes, rate in ((0, "0.5"), (30, "2"), (60, "4.8")):
        services.infusions.rate_change_record(
            infusion=infusion,
            by=clinician,
            changed_at=infusion.started_at + timedelta(minutes=minutes),
            rate=Decimal(rate),
            unit=RateChange.Unit.ML_KG_H,
        )
    (row,) = symptom_burden(patient=patient).rows
    assert row.max_rate == "4.8 mL/kg/h"


@pytest.mark.django_db
def test_only_the_patients_own_given_infusions_the_last_24(patient, other_patient):
    start = timezone.now() - timedelta(days=900)
    given = [InfusionFactory(patient=patient, started_at=start + timedelta(days=30 * n)) for n in range(26)]
    InfusionFactory(
        patient=patient, status=Infusion.Status.PLANNED, started_at=timezone.now() + timedelta(days=3), ended_at=None
    )
    InfusionFactory(patient=other_patient)

    rows = symptom_burden(patient=patient).rows

    assert [r.infusion_id for r in rows] == [i.pk for i in given[-24:]]


@pytest.mark.django_db
def test_dates_are_local_dates_in_the_current_time_zone(patient):
    # 23:30 UTC on 31 Jan is already 1 February in Tokyo.
    InfusionFactory(patient=patient, started_at=datetime(2025, 1, 31, 23, 30, tzinfo=UTC))
    with timezone.override("Asia/Tokyo"):
        (row,) = symptom_burden(patient=patient).rows
    assert row.date == date(2025, 2, 1)


def _patient_history(patient, clinician, *, infusions: int) -> None:
    start = timezone.now() - timedelta(days=30 * infusions)
    for n in range(infusions):
        infusion = InfusionFactory(patient=patient, started_at=start + timedelta(days=30 * n))
        services.infusions.rate_change_record(
            infusion=infusion,
            by=clinician,
            changed_at=infusion.started_at,
            rate=Decimal(1),
            unit=RateChange.Unit.ML_KG_H,
        )
        make_report(infusion=infusion, symptoms=[("headache", "moderate"), ("rash", "mild")])
        make_report(infusion=infusion, symptoms=[("fatigue", "severe")])


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_data(patient, other_patient, clinician):
    _patient_history(patient, clinician, infusions=2)
    _patient_history(other_patient, clinician, infusions=20)

    with CaptureQueriesContext(connection) as small:
        small_rows = symptom_burden(patient=patient).rows
    with CaptureQueriesContext(connection) as large:
        large_rows = symptom_burden(patient=other_patient).rows

    assert (len(small_rows), len(large_rows)) == (2, 20)
    assert all(r.burden == 2 + 1 + 3 for r in large_rows)
    assert len(small) == len(large) <= 4


@pytest.mark.django_db
def test_query_count_is_bounded_for_the_largest_chart(patient, django_assert_max_num_queries):
    clinician = ClinicianFactory(clinic=patient.clinic)
    _patient_history(patient, clinician, infusions=30)
    with django_assert_max_num_queries(4):
        chart = symptom_burden(patient=patient)
    assert len(chart.rows) == 24
