"""Which number a patient is told to call: the emergency number of the clinic's country, or the clinic.

Pure Python, no database (docs/clinical-facts.md §6). An emergency has exactly one number to call, the
one of the country the clinic is in; an urgent report calls the clinic's line while it is open and its
out-of-hours line when it is closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from types import MappingProxyType

from django.utils.translation import gettext_lazy as _

from reactions.domain.catalogue import StrOrPromise

# The number that sends an ambulance, by ISO 3166-1 alpha-2 code. Sources (docs/clinical-facts.md [22]):
# Ofcom (UK: 999, and 112 also works), EU Directive 2018/1972 art. 109 (112 in every member state),
# FCC (US: 911), CRTC (Canada: 911), ACMA (Australia: 000), and each national emergency service's site
# for the others. Spain, Portugal and the rest of the EU answer health emergencies on 112.
EMERGENCY_NUMBERS: Mapping[str, str] = MappingProxyType(
    {
        "GB": "999",
        "IE": "112",
        "ES": "112",
        "PT": "112",
        "FR": "112",
        "DE": "112",
        "IT": "112",
        "NL": "112",
        "BE": "112",
        "US": "911",
        "CA": "911",
        "MX": "911",
        "AU": "000",
        "NZ": "111",
    }
)
# Anywhere else: 112 reaches the emergency services in the whole EU and is routed to the local number by
# most mobile phones elsewhere (GSM standard). A clinic outside the table sets its own number.
DEFAULT_EMERGENCY_NUMBER = "112"

COUNTRIES: tuple[tuple[str, StrOrPromise], ...] = (
    ("GB", _("United Kingdom")),
    ("IE", _("Ireland")),
    ("ES", _("Spain")),
    ("PT", _("Portugal")),
    ("FR", _("France")),
    ("DE", _("Germany")),
    ("IT", _("Italy")),
    ("NL", _("Netherlands")),
    ("BE", _("Belgium")),
    ("US", _("United States")),
    ("CA", _("Canada")),
    ("MX", _("Mexico")),
    ("AU", _("Australia")),
    ("NZ", _("New Zealand")),
)

WEEKDAYS: tuple[tuple[int, StrOrPromise], ...] = (
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
)
DEFAULT_OPEN_DAYS: tuple[int, ...] = (0, 1, 2, 3, 4)
DEFAULT_OPENS_AT = time(8, 0)
DEFAULT_CLOSES_AT = time(18, 0)


def emergency_number(country: str, override: str = "") -> str:
    """The one number a patient with an emergency sign is told to call."""
    return override.strip() or EMERGENCY_NUMBERS.get(country, DEFAULT_EMERGENCY_NUMBER)


def is_open(local: datetime, *, days: Iterable[int], opens_at: time, closes_at: time) -> bool:
    """Whether the clinic's own line is answered at this local time (closes_at itself is closed)."""
    if local.weekday() not in set(days):
        return False
    return opens_at <= local.time() < closes_at


@dataclass(frozen=True, slots=True)
class Line:
    number: str
    out_of_hours: bool  # whether this is the out-of-hours line, for the words around it


def urgent_line(
    local: datetime, *, phone: str, out_of_hours_phone: str, days: Iterable[int], opens_at: time, closes_at: time
) -> Line:
    """The number an urgent report calls now: the clinic's line while open, else its out-of-hours line.

    A clinic with one number for all hours leaves ``phone`` empty, and that number is always given.
    """
    if phone.strip() and is_open(local, days=days, opens_at=opens_at, closes_at=closes_at):
        return Line(number=phone.strip(), out_of_hours=False)
    return Line(number=out_of_hours_phone.strip(), out_of_hours=bool(phone.strip()))


def clinic_lines(*, phone: str, out_of_hours_phone: str) -> tuple[Line, ...]:
    """The clinic's numbers for a message read at any hour (an e-mail): its line, then its out-of-hours line.

    What ``urgent_line`` would give at some hour, each once: a clinic with one number for all hours (no
    ``phone``) gives that number alone, not marked out of hours.
    """
    phone, out_of_hours_phone = phone.strip(), out_of_hours_phone.strip()
    if not phone:
        return (Line(number=out_of_hours_phone, out_of_hours=False),) if out_of_hours_phone else ()
    lines = [Line(number=phone, out_of_hours=False)]
    if out_of_hours_phone and out_of_hours_phone != phone:
        lines.append(Line(number=out_of_hours_phone, out_of_hours=True))
    return tuple(lines)
