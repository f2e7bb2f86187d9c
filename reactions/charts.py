"""Symptom burden per infusion: the numbers, and the geometry of their server-rendered SVG chart.

A clinician reads it to see whether a slower rate, premedication or extra fluids helped. No
JavaScript and no chart framework: this module works out where every bar, tick and label goes and
what each says, as plain data; ``templates/reactions/_burden_chart.html`` writes the SVG (so the
template engine escapes every text). Meaning never rests on colour alone: severe infusions are
hatched *and* carry a text marker, and premedication has its own marker. Its words and dates are in
the active language, as the page around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reactions.domain.catalogue import Grade
from reactions.models import RateChange

# PRO-CTCAE-style grades weighted 1..4: a very severe headache weighs four mild ones.
GRADE_WEIGHTS: dict[str, int] = {Grade.MILD: 1, Grade.MODERATE: 2, Grade.SEVERE: 3, Grade.VERY_SEVERE: 4}
MAX_INFUSIONS = 24


@dataclass(frozen=True, slots=True)
class BurdenRow:
    """One infusion on the chart."""

    infusion_id: int
    started_at: datetime
    date: date  # local date of the start, in the current time zone
    product: str
    lot: str
    premedication: str
    pre_hydrated: bool
    max_rate: str  # e.g. "4.8 mL/kg/h"; "" when no rate was recorded
    burden: int
    severe: bool
    reports: int = 0


@dataclass(frozen=True, slots=True)
class Palette:
    """The chart's colours; the severe red and the text pass WCAG AA contrast on white."""

    bar: str = "#0b5394"
    severe: str = "#a4161a"
    text: str = "#212529"
    grid: str = "#d0d4d9"
    background: str = "#ffffff"


PALETTE = Palette()


@dataclass(frozen=True, slots=True)
class Tick:
    """A y-axis gridline and its label."""

    value: int
    y: float
    label_y: float  # the label's baseline, a little below the line so that it reads as centred on it


@dataclass(frozen=True, slots=True)
class Bar:
    """One infusion's bar, with its value above it and its date and markers below."""

    row: BurdenRow
    centre: float
    x: float
    y: float
    width: float
    height: float
    value: str  # "5", or "! 5" for a severe infusion: severity is said in text, not only in colour
    value_y: float
    date_label: str  # "3 Mar 25"
    title: str  # shown on pointing at the bar, read by screen readers

    @property
    def severe(self) -> bool:
        return self.row.severe

    @property
    def premedicated(self) -> bool:
        return bool(self.row.premedication)


@dataclass(frozen=True, slots=True)
class Legend:
    """x positions of the legend's swatches and words (all on one line at the top)."""

    y: int
    swatch_y: int
    burden_swatch_x: int
    burden_label_x: int
    severe_swatch_x: int
    severe_label_x: int
    premedication_marker_x: int
    premedication_label_x: int


@dataclass(frozen=True, slots=True)
class ChartLayout:
    """Everything the SVG template draws, in the units of its viewBox."""

    title_id: str
    desc_id: str
    hatch_id: str
    width: int
    height: int
    left: int  # the y axis
    right: int  # where the gridlines end
    top: int  # the top of the plot
    baseline: float  # the x axis
    description: str  # the chart's numbers in a sentence or four, for screen readers
    ticks: list[Tick]
    bars: list[Bar]
    legend: Legend
    axis_label_y: float  # the middle of the plot, where the rotated "Burden" sits
    marker_y: float  # baseline of the premedication markers
    date_y: float  # origin of the rotated date labels
    colours: Palette = PALETTE

    @property
    def labelledby(self) -> str:
        return f"{self.title_id} {self.desc_id}"


@dataclass(frozen=True, slots=True)
class BurdenChart:
    rows: list[BurdenRow]
    layout: ChartLayout


def format_rate(rate: Decimal, unit_label: str) -> str:
    # normalize() drops trailing zeros (4.80 -> 4.8); ":f" keeps 200 from becoming 2E+2.
    return f"{rate.normalize():f} {unit_label}"


def highest_rate(rate_changes: Sequence[RateChange]) -> str:
    """The highest rate per unit used, e.g. "4.8 mL/kg/h" (two units: both, joined by " / ")."""
    highest: dict[str, Decimal] = {}
    for change in rate_changes:
        if change.unit not in highest or change.rate > highest[change.unit]:
            highest[change.unit] = change.rate
    labels = dict(RateChange.Unit.choices)
    return " / ".join(format_rate(rate, str(labels.get(unit, unit))) for unit, rate in sorted(highest.items()))


def burden_chart(rows: list[BurdenRow], *, id_prefix: str = "burden") -> BurdenChart:
    """The rows and their chart's layout, ready for a template."""
    return BurdenChart(rows=rows, layout=chart_layout(rows, id_prefix=id_prefix))


# --- Geometry ---------------------------------------------------------------------------------

WIDTH = 720
HEIGHT = 340
EMPTY_HEIGHT = 60  # an empty chart is one line of text
_LEFT = 48  # room for the y axis labels
_RIGHT = 12
_TOP = 40  # room for the legend
_BOTTOM = 78  # room for the markers and rotated date labels
_MAX_BAR_WIDTH = 48
_BAR_SHARE = 0.62  # of each infusion's slot; the rest is the gap between bars


def short_date(day: date) -> str:
    """'3 Mar 25', in the active language."""
    return date_format(day, "j M y")


def long_date(day: date) -> str:
    """'3 Mar 2025', in the active language."""
    return date_format(day, "j M Y")


def nice_ticks(maximum: int, *, target: int = 5) -> list[int]:
    """Integer ticks from 0 up to at least ``maximum``, about ``target`` of them, in steps of 1, 2, 5, 10..."""
    maximum = max(int(maximum), 1)
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        step = candidate
        if maximum / candidate <= target:
            break
    else:
        while maximum / step > target:
            step *= 2
    top = -(-maximum // step) * step  # ceiling to a whole step
    return list(range(0, top + 1, step))


def _describe(rows: Sequence[BurdenRow]) -> str:
    first, last = rows[0], rows[-1]
    highest = max(rows, key=lambda r: r.burden)
    severe = [long_date(r.date) for r in rows if r.severe]
    premedicated = sum(1 for r in rows if r.premedication)
    parts = [
        ngettext(
            "Symptom burden for %(count)d infusion from %(first)s to %(last)s.",
            "Symptom burden for %(count)d infusions from %(first)s to %(last)s.",
            len(rows),
        )
        % {"count": len(rows), "first": long_date(first.date), "last": long_date(last.date)},
        _("Highest burden %(burden)s on %(date)s; latest %(latest)s.")
        % {"burden": highest.burden, "date": long_date(highest.date), "latest": last.burden},
        ngettext(
            "Severe reaction after %(count)d infusion: %(dates)s.",
            "Severe reaction after %(count)d infusions: %(dates)s.",
            len(severe),
        )
        % {"count": len(severe), "dates": ", ".join(severe)}
        if severe
        else _("No severe reaction."),
        ngettext(
            "Premedication given at %(count)d of %(total)d infusion.",
            "Premedication given at %(count)d of %(total)d infusions.",
            len(rows),
        )
        % {"count": premedicated, "total": len(rows)},
    ]
    return " ".join(parts)


class _Titles:
    """A bar's title, from words translated once a chart rather than once a bar."""

    def __init__(self) -> None:
        self.lot, self.burden, self.rate, self.premedication = (
            _("lot %(lot)s"),
            _("burden %(burden)s"),
            _("highest rate %(rate)s"),
            _("premedication: %(what)s"),
        )
        self.severe, self.no_premedication, self.extra_fluids = (
            _("severe reaction"),
            _("no premedication"),
            _("extra fluids beforehand"),
        )

    def __call__(self, row: BurdenRow) -> str:
        parts = [f"{long_date(row.date)}: {row.product}"]
        if row.lot:
            parts.append(self.lot % {"lot": row.lot})
        parts.append(self.burden % {"burden": row.burden})
        if row.severe:
            parts.append(self.severe)
        if row.max_rate:
            parts.append(self.rate % {"rate": row.max_rate})
        parts.append(self.premedication % {"what": row.premedication} if row.premedication else self.no_premedication)
        if row.pre_hydrated:
            parts.append(self.extra_fluids)
        return ", ".join(parts)


def _r(value: float) -> float:
    """A coordinate to a tenth of a unit: enough on a 720-wide viewBox, and short in the markup."""
    return round(value, 1)


def chart_layout(rows: Sequence[BurdenRow], *, id_prefix: str = "burden") -> ChartLayout:
    """Where each part of the bar chart of the burden per infusion goes. Pure: no database, no request."""
    plot_h = HEIGHT - _TOP - _BOTTOM
    baseline = _TOP + plot_h
    legend = Legend(
        y=19,
        swatch_y=8,
        burden_swatch_x=_LEFT,
        burden_label_x=_LEFT + 20,
        severe_swatch_x=_LEFT + 330,
        severe_label_x=_LEFT + 350,
        premedication_marker_x=_LEFT + 470,
        premedication_label_x=_LEFT + 482,
    )
    common = {
        "title_id": f"{id_prefix}-title",
        "desc_id": f"{id_prefix}-desc",
        "hatch_id": f"{id_prefix}-severe-hatch",
        "width": WIDTH,
        "left": _LEFT,
        "right": WIDTH - _RIGHT,
        "top": _TOP,
        "baseline": baseline,
        "legend": legend,
        "axis_label_y": _r(_TOP + plot_h / 2),
        "marker_y": baseline + 15,
        "date_y": baseline + 28,
    }
    if not rows:
        return ChartLayout(height=EMPTY_HEIGHT, description="", ticks=[], bars=[], **common)

    ticks = nice_ticks(max(r.burden for r in rows))
    top_value = ticks[-1]
    slot = (WIDTH - _LEFT - _RIGHT) / len(rows)
    bar_w = min(slot * _BAR_SHARE, _MAX_BAR_WIDTH)

    def y_of(value: float) -> float:
        return baseline - (value / top_value) * plot_h

    title_of = _Titles()
    bars = []
    for index, row in enumerate(rows):
        centre = _LEFT + slot * index + slot / 2
        height = max(baseline - y_of(row.burden), 0)
        bars.append(
            Bar(
                row=row,
                centre=_r(centre),
                x=_r(centre - bar_w / 2),
                y=_r(baseline - height),
                width=_r(bar_w),
                height=_r(height),
                value=f"! {row.burden}" if row.severe else f"{row.burden}",
                value_y=_r(baseline - height - 5),
                date_label=short_date(row.date),
                title=title_of(row),
            )
        )
    return ChartLayout(
        height=HEIGHT,
        description=_describe(rows),
        ticks=[Tick(value=tick, y=_r(y_of(tick)), label_y=_r(y_of(tick) + 4)) for tick in ticks],
        bars=bars,
        **common,
    )
