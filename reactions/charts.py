"""Symptom burden per infusion, as numbers and as a server-rendered SVG chart.

A clinician reads it to see whether a slower rate, premedication or extra fluids
helped. No JavaScript and no chart framework: the SVG is built here, every text
in it escaped, and meaning never rests on colour alone (severe infusions are
hatched *and* carry a text marker; premedication has its own marker). Its words
and dates are in the active language, as the page around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

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
class BurdenChart:
    rows: list[BurdenRow]
    svg: SafeString


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


def burden_chart(rows: list[BurdenRow]) -> BurdenChart:
    """The rows and their chart, ready for a template."""
    # burden_svg escapes every text it writes and takes no markup from the database.
    return BurdenChart(rows=rows, svg=mark_safe(burden_svg(rows)))  # nosec B308 B703


# --- SVG --------------------------------------------------------------------------------------

_WIDTH = 720
_HEIGHT = 340
_LEFT = 48  # room for the y axis labels
_RIGHT = 12
_TOP = 40  # room for the legend
_BOTTOM = 78  # room for the markers and rotated date labels
_BAR_COLOUR = "#0b5394"
_SEVERE_COLOUR = "#a4161a"
_TEXT_COLOUR = "#212529"
_GRID_COLOUR = "#d0d4d9"


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


def burden_svg(rows: Sequence[BurdenRow], *, id_prefix: str = "burden") -> str:
    """An accessible bar chart of the burden per infusion. Pure: no database, no request."""
    prefix = escape(id_prefix)
    title_id, desc_id, hatch_id = f"{prefix}-title", f"{prefix}-desc", f"{prefix}-severe-hatch"
    # Translated outside the f-strings below: makemessages (xgettext) does not look inside them.
    title = escape(_("Symptom burden per infusion"))
    if not rows:
        nothing = escape(_("No given infusions to chart yet."))
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="burden-chart" role="img" width="100%" '
            f'viewBox="0 0 {_WIDTH} 60" aria-labelledby="{title_id} {desc_id}">'
            f'<title id="{title_id}">{title}</title>'
            f'<desc id="{desc_id}">{nothing}</desc>'
            f'<text x="0" y="35" font-size="16" fill="{_TEXT_COLOUR}">{nothing}</text></svg>'
        )

    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    baseline = _TOP + plot_h
    ticks = nice_ticks(max(r.burden for r in rows))
    top_value = ticks[-1]
    slot = plot_w / len(rows)
    bar_w = min(slot * 0.62, 48)

    def y_of(value: float) -> float:
        return baseline - (value / top_value) * plot_h

    out: list[str] = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="burden-chart" role="img" width="100%" '
            f'viewBox="0 0 {_WIDTH} {_HEIGHT}" preserveAspectRatio="xMinYMin meet" '
            f'aria-labelledby="{title_id} {desc_id}" font-family="system-ui, sans-serif">'
        ),
        f'<title id="{title_id}">{title}</title>',
        f'<desc id="{desc_id}">{escape(_describe(rows))}</desc>',
        (
            "<defs>"
            f'<pattern id="{hatch_id}" patternUnits="userSpaceOnUse" width="8" height="8" '
            'patternTransform="rotate(45)">'
            f'<rect width="8" height="8" fill="#ffffff"/>'
            f'<line x1="0" y1="0" x2="0" y2="8" stroke="{_SEVERE_COLOUR}" stroke-width="5"/>'
            "</pattern></defs>"
        ),
    ]

    # Legend: every encoding is spelled out in words.
    premedication_marker = escape(pgettext("the chart's letter under an infusion with premedication", "P"))
    burden_legend, severe_legend = (
        escape(_("Burden (sum of grades: mild 1 … very severe 4)")),
        escape(_("severe reaction")),
    )
    premedication_legend, burden_axis = escape(_("premedication given")), escape(_("Burden"))
    out.append(
        '<g class="legend" font-size="12" aria-hidden="true">'
        f'<rect x="{_LEFT}" y="8" width="14" height="14" fill="{_BAR_COLOUR}"/>'
        f'<text x="{_LEFT + 20}" y="19" fill="{_TEXT_COLOUR}">{burden_legend}</text>'
        f'<rect x="{_LEFT + 330}" y="8" width="14" height="14" fill="url(#{hatch_id})" stroke="{_SEVERE_COLOUR}"/>'
        f'<text x="{_LEFT + 350}" y="19" fill="{_TEXT_COLOUR}">! {severe_legend}</text>'
        f'<text x="{_LEFT + 470}" y="19" fill="{_TEXT_COLOUR}" font-weight="700">{premedication_marker}</text>'
        f'<text x="{_LEFT + 482}" y="19" fill="{_TEXT_COLOUR}">{premedication_legend}</text>'
        "</g>"
    )

    # Y axis with gridlines and tick labels.
    out.append(f'<g class="y-axis" font-size="12" fill="{_TEXT_COLOUR}">')
    for tick in ticks:
        y = y_of(tick)
        out.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_WIDTH - _RIGHT}" y2="{y:.1f}" stroke="{_GRID_COLOUR}" '
            f'stroke-width="1"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    out.append(
        f'<text transform="translate(12 {_TOP + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle">{burden_axis}</text>'
    )
    out.append(
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{baseline}" stroke="{_TEXT_COLOUR}" stroke-width="1"/>'
    )
    out.append("</g>")

    # One group per infusion: the bar, its value, the markers and the date.
    # Each bar's title (shown on pointing at it) is built from these words: translated once, not once a bar.
    lot_of, burden_of, rate_of, premedication_of = (
        _("lot %(lot)s"),
        _("burden %(burden)s"),
        _("highest rate %(rate)s"),
        _("premedication: %(what)s"),
    )
    severe_reaction, no_premedication, extra_fluids = (
        _("severe reaction"),
        _("no premedication"),
        _("extra fluids beforehand"),
    )
    for index, row in enumerate(rows):
        centre = _LEFT + slot * index + slot / 2
        x = centre - bar_w / 2
        height = max(baseline - y_of(row.burden), 0)
        label = [f"{long_date(row.date)}: {row.product}"]
        if row.lot:
            label.append(lot_of % {"lot": row.lot})
        label.append(burden_of % {"burden": row.burden})
        if row.severe:
            label.append(severe_reaction)
        if row.max_rate:
            label.append(rate_of % {"rate": row.max_rate})
        label.append(premedication_of % {"what": row.premedication} if row.premedication else no_premedication)
        if row.pre_hydrated:
            label.append(extra_fluids)
        classes = "bar severe" if row.severe else "bar"
        out.append(f'<g class="{classes}"><title>{escape(", ".join(label))}</title>')
        fill = f"url(#{hatch_id})" if row.severe else _BAR_COLOUR
        stroke = f' stroke="{_SEVERE_COLOUR}" stroke-width="2"' if row.severe else ""
        out.append(
            f'<rect x="{x:.1f}" y="{baseline - height:.1f}" width="{bar_w:.1f}" height="{height:.1f}" '
            f'fill="{fill}"{stroke}/>'
        )
        value_y = baseline - height - 5
        value = f"{row.burden}"
        if row.severe:
            value = f"! {value}"
        weight = ' font-weight="700"' if row.severe else ""
        colour = _SEVERE_COLOUR if row.severe else _TEXT_COLOUR
        out.append(
            f'<text x="{centre:.1f}" y="{value_y:.1f}" text-anchor="middle" font-size="12" '
            f'fill="{colour}"{weight}>{escape(value)}</text>'
        )
        if row.premedication:
            out.append(
                f'<text class="premedication" x="{centre:.1f}" y="{baseline + 15}" text-anchor="middle" '
                f'font-size="12" font-weight="700" fill="{_TEXT_COLOUR}">{premedication_marker}</text>'
            )
        out.append(
            f'<text class="date" transform="translate({centre:.1f} {baseline + 28}) rotate(-45)" '
            f'text-anchor="end" font-size="11" fill="{_TEXT_COLOUR}">{escape(short_date(row.date))}</text>'
        )
        out.append("</g>")

    out.append(
        f'<line x1="{_LEFT}" y1="{baseline}" x2="{_WIDTH - _RIGHT}" y2="{baseline}" stroke="{_TEXT_COLOUR}" '
        f'stroke-width="1"/>'
    )
    out.append("</svg>")
    return "".join(out)
