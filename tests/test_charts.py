"""The symptom burden chart: its geometry (reactions/charts.py, no database) and the SVG the template writes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format

from reactions import charts
from reactions.charts import PALETTE, BurdenRow, burden_chart, chart_layout, nice_ticks
from reactions.models import RateChange

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


def render(rows: list[BurdenRow], *, id_prefix: str = "burden") -> str:
    return render_to_string("reactions/_burden_chart.html", {"chart": burden_chart(rows, id_prefix=id_prefix)})


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # also proves the markup is well-formed XML


def _bars(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "bar" in (g.get("class") or "").split()]


# --- The geometry: pure data, no markup ---------------------------------------------------------


def test_bars_are_as_tall_as_their_burden_on_the_axis_scale():
    layout = chart_layout([_row(n, burden=b) for n, b in enumerate([4, 0, 9, 1])])
    assert [t.value for t in layout.ticks] == [0, 2, 4, 6, 8, 10]
    plot_height = layout.baseline - layout.top
    unit = plot_height / layout.ticks[-1].value
    assert [bar.height for bar in layout.bars] == [pytest.approx(b * unit, abs=0.05) for b in (4, 0, 9, 1)]
    # Every bar stands on the baseline and stays inside the plot.
    assert all(bar.y + bar.height == pytest.approx(layout.baseline, abs=0.1) for bar in layout.bars)
    assert all(layout.top <= bar.y <= layout.baseline for bar in layout.bars)
    # Ticks run from the baseline (0) up to the top of the plot (the highest tick).
    assert layout.ticks[0].y == layout.baseline and layout.ticks[-1].y == layout.top
    assert [bar.value for bar in layout.bars] == ["4", "0", "9", "1"]


def test_bars_share_the_width_oldest_first_and_never_grow_too_wide():
    few = chart_layout([_row(0), _row(1)])
    assert [bar.width for bar in few.bars] == [48, 48]  # two infusions: each capped, not 200 wide
    many = chart_layout([_row(n) for n in range(24)])
    slot = (many.right - many.left) / 24
    centres = [bar.centre for bar in many.bars]
    assert centres == sorted(centres)
    assert all(b - a == pytest.approx(slot, abs=0.11) for a, b in pairwise(centres))  # to a tenth, each
    assert all(bar.width < slot for bar in many.bars)  # a gap between neighbours
    assert many.bars[0].x >= many.left and many.bars[-1].x + many.bars[-1].width <= many.right


def test_labels_and_titles_are_text_and_say_what_colour_says():
    layout = chart_layout(
        [
            _row(0, burden=3, premedication="Paracetamol 1 g"),
            _row(1, burden=5, severe=True, max_rate="4.8 mL/kg/h", pre_hydrated=True),
        ]
    )
    mild, severe = layout.bars
    assert (mild.value, severe.value) == ("3", "! 5")
    assert (mild.severe, mild.premedicated, severe.severe, severe.premedicated) == (False, True, True, False)
    assert mild.title == "6 Jan 2025: Privigen, lot P0, burden 3, premedication: Paracetamol 1 g"
    assert severe.title == (
        "3 Feb 2025: Privigen, lot P1, burden 5, severe reaction, highest rate 4.8 mL/kg/h, no premedication, "
        "extra fluids beforehand"
    )
    assert [bar.date_label for bar in layout.bars] == ["6 Jan 25", "3 Feb 25"]
    assert layout.description.startswith("Symptom burden for 2 infusions from 6 Jan 2025 to 3 Feb 2025.")


def test_colours_are_data_and_ids_follow_the_prefix():
    layout = chart_layout([_row(0)], id_prefix="summary")
    assert layout.colours == PALETTE and PALETTE.severe == "#a4161a"
    assert (layout.title_id, layout.desc_id, layout.hatch_id) == (
        "summary-title",
        "summary-desc",
        "summary-severe-hatch",
    )
    assert layout.labelledby == "summary-title summary-desc"


def test_an_empty_layout_has_no_bars_and_is_one_line_high():
    layout = chart_layout([])
    assert layout.bars == [] and layout.ticks == [] and layout.height == charts.EMPTY_HEIGHT


def test_nice_ticks():
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(13) == [0, 5, 10, 15]
    assert nice_ticks(96) == [0, 20, 40, 60, 80, 100]


# --- The SVG the template writes ----------------------------------------------------------------


def test_svg_is_an_accessible_image_with_title_and_a_description_of_the_numbers():
    root = _parse(render([_row(0, burden=2), _row(1, burden=7, severe=True), _row(2, burden=3)]))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Symptom burden per infusion"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "3 infusions from 6 Jan 2025 to 3 Mar 2025" in desc.text
    assert "Highest burden 7 on 3 Feb 2025" in desc.text
    assert "Severe reaction after 1 infusion: 3 Feb 2025." in desc.text
    legend = root.find(f"{SVG}g[@class='legend']")
    assert legend.get("aria-hidden") == "true"  # the description already says it, in words


def test_the_svg_draws_the_layout():
    rows = [_row(n, burden=b) for n, b in enumerate([4, 0, 9, 1])]
    layout = chart_layout(rows)
    root = _parse(render(rows))
    assert root.get("viewBox") == f"0 0 {layout.width} {layout.height}"
    bars = _bars(root)
    assert len(bars) == 4
    drawn = [{k: float(g.find(f"{SVG}rect").get(k)) for k in ("x", "y", "width", "height")} for g in bars]
    assert drawn == [{"x": b.x, "y": b.y, "width": b.width, "height": b.height} for b in layout.bars]
    assert drawn[1]["height"] == 0 and drawn[2]["height"] > drawn[0]["height"] > drawn[3]["height"] > 0
    labels = [t.text for g in bars for t in g.findall(f"{SVG}text") if t.get("class") == "date"]
    assert labels == ["6 Jan 25", "3 Feb 25", "3 Mar 25", "31 Mar 25"]
    assert [g.findall(f"{SVG}text")[0].text for g in bars] == ["4", "0", "9", "1"]
    axis = root.find(f"{SVG}g[@class='y-axis']")
    assert [t.text for t in axis.findall(f"{SVG}text") if t.text.isdigit()] == ["0", "2", "4", "6", "8", "10"]
    gridlines = [float(line.get("y1")) for line in axis.findall(f"{SVG}line")[:-1]]
    assert gridlines == [t.y for t in layout.ticks]


def test_coordinates_are_not_localized():
    """Spanish writes 12,5: an SVG coordinate must stay 12.5 whatever the page's language."""
    rows = [_row(n, burden=b) for n, b in enumerate([4, 7, 9])]
    with translation.override("es"):
        svg = render(rows)
    root = _parse(svg)
    numbers = [g.find(f"{SVG}rect").get(k) for g in _bars(root) for k in ("x", "y", "width", "height")]
    assert all(re.fullmatch(r"\d+(\.\d)?", n) for n in numbers), numbers
    assert "," not in root.get("viewBox")


def test_severe_infusions_are_hatched_and_marked_in_text_not_only_by_colour():
    root = _parse(render([_row(0, burden=3), _row(1, burden=5, severe=True)]))
    pattern = root.find(f"{SVG}defs/{SVG}pattern")
    assert pattern is not None
    mild, severe = _bars(root)
    assert severe.get("class") == "bar severe"
    assert severe.find(f"{SVG}rect").get("fill") == f"url(#{pattern.get('id')})"
    assert mild.find(f"{SVG}rect").get("fill") == PALETTE.bar
    assert severe.findall(f"{SVG}text")[0].text == "! 5"  # the text marker
    assert "severe reaction" in severe.find(f"{SVG}title").text
    assert "severe" not in mild.find(f"{SVG}title").text
    legend = root.find(f"{SVG}g[@class='legend']")
    assert "! severe reaction" in [t.text for t in legend.findall(f"{SVG}text")]


def test_premedication_is_marked_under_its_bar_and_in_the_tooltip():
    root = _parse(render([_row(0, premedication="Paracetamol 1 g"), _row(1)]))
    with_premed, without = _bars(root)
    assert [t.text for t in with_premed.findall(f"{SVG}text") if t.get("class") == "premedication"] == ["P"]
    assert not [t for t in without.findall(f"{SVG}text") if t.get("class") == "premedication"]
    assert "premedication: Paracetamol 1 g" in with_premed.find(f"{SVG}title").text
    assert "no premedication" in without.find(f"{SVG}title").text


def test_every_text_is_escaped():
    hostile = '<script>alert("x")</script>'
    svg = render([_row(0, product=hostile, lot='"><img src=x onerror=alert(1)>', premedication="a & b <i>")])
    assert "<script" not in svg and "<img" not in svg and "<i>" not in svg
    root = _parse(svg)
    tooltip = _bars(root)[0].find(f"{SVG}title").text
    # Escaped in the markup, and read back as the original text.
    assert hostile in tooltip and "a & b <i>" in tooltip
    assert "script" not in "".join(root.itertext()).replace(tooltip, "")


def test_no_javascript_and_no_inline_style_in_the_chart():
    svg = render([_row(n, burden=n, severe=n == 2, premedication="x" if n % 2 else "") for n in range(24)])
    lowered = svg.lower()
    assert "<script" not in lowered and "javascript:" not in lowered
    assert not re.search(r"\son[a-z]+\s*=", lowered)  # no event handler attributes
    # A strict Content Security Policy blocks style attributes; presentation attributes are fine.
    assert "style=" not in lowered
    assert len(_bars(_parse(svg))) == 24


def test_an_empty_chart_still_says_what_it_is():
    root = _parse(render([]))
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Symptom burden per infusion"
    assert root.find(f"{SVG}desc").text == "No given infusions to chart yet."
    assert not _bars(root)


def test_the_chart_speaks_the_language_of_the_page():
    rows = [
        _row(0, burden=2, premedication="Paracetamol"),
        _row(1, burden=7, severe=True, pre_hydrated=True, max_rate="4.8 mL/kg/h"),
    ]
    with translation.override("es"):
        root = _parse(render(rows))
        empty = _parse(render([]))
    assert root.find(f"{SVG}title").text == "Carga de síntomas por infusión"
    desc = root.find(f"{SVG}desc").text
    assert desc.startswith("Carga de síntomas de 2 infusiones, del 6 Ene 2025 al 3 Feb 2025.")
    assert "Reacción grave tras 1 infusión: 3 Feb 2025." in desc and "Premedicación dada en 1 de 2 infusiones." in desc
    legend = [t.text for t in root.find(f"{SVG}g[@class='legend']").findall(f"{SVG}text")]
    assert legend == ["Carga (suma de grados: leve 1 … muy grave 4)", "! reacción grave", "P", "premedicación dada"]
    tooltips = [g.find(f"{SVG}title").text for g in _bars(root)]
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
    a, b = render([_row(0, severe=True)], id_prefix="a"), render([_row(0, severe=True)], id_prefix="b")
    ids_a = {e.get("id") for e in _parse(a).iter() if e.get("id")}
    ids_b = {e.get("id") for e in _parse(b).iter() if e.get("id")}
    assert ids_a == {"a-title", "a-desc", "a-severe-hatch"} and not ids_a & ids_b


def test_highest_rate_per_unit_drops_trailing_zeros():
    changes = [
        RateChange(rate=Decimal("0.50"), unit=RateChange.Unit.ML_KG_H),
        RateChange(rate=Decimal("4.80"), unit=RateChange.Unit.ML_KG_H),
        RateChange(rate=Decimal("2.00"), unit=RateChange.Unit.ML_KG_H),
    ]
    assert charts.highest_rate(changes) == "4.8 mL/kg/h"
    assert charts.highest_rate([RateChange(rate=Decimal("200.00"), unit=RateChange.Unit.ML_H)]) == "200 mL/h"
    assert charts.highest_rate([]) == ""
