"""Which number a patient is told to call: pure, no database."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from reactions.domain import contacts

LONDON = ZoneInfo("Europe/London")
HOURS = {"days": (0, 1, 2, 3, 4), "opens_at": time(8), "closes_at": time(18)}


@pytest.mark.parametrize(
    ("country", "number"), [("GB", "999"), ("ES", "112"), ("US", "911"), ("AU", "000"), ("NZ", "111"), ("IE", "112")]
)
def test_the_emergency_number_is_the_clinics_countrys(country, number):
    assert contacts.emergency_number(country) == number


def test_a_country_outside_the_table_gets_112_and_a_clinic_can_set_its_own():
    assert contacts.emergency_number("ZZ") == "112"
    assert contacts.emergency_number("GB", " 112 ") == "112"


def test_every_country_offered_has_its_number_in_the_table():
    assert {code for code, _label in contacts.COUNTRIES} == set(contacts.EMERGENCY_NUMBERS)


@pytest.mark.parametrize(
    ("local", "is_open"),
    [
        (datetime(2026, 12, 2, 8, 0, tzinfo=LONDON), True),  # Wednesday, opening time
        (datetime(2026, 12, 2, 17, 59, tzinfo=LONDON), True),
        (datetime(2026, 12, 2, 18, 0, tzinfo=LONDON), False),  # closing time is closed
        (datetime(2026, 12, 2, 7, 59, tzinfo=LONDON), False),
        (datetime(2026, 12, 5, 12, 0, tzinfo=LONDON), False),  # Saturday
    ],
)
def test_open_on_its_days_between_its_hours(local, is_open):
    assert contacts.is_open(local, **HOURS) is is_open


def test_an_urgent_report_calls_the_clinic_while_open_and_the_out_of_hours_line_when_closed():
    lines = {"phone": "+44 20 7946 0100", "out_of_hours_phone": "+44 20 7946 0999"}
    day = contacts.urgent_line(datetime(2026, 12, 2, 10, tzinfo=LONDON), **lines, **HOURS)
    night = contacts.urgent_line(datetime(2026, 12, 2, 22, tzinfo=LONDON), **lines, **HOURS)
    assert day == contacts.Line(number="+44 20 7946 0100", out_of_hours=False)
    assert night == contacts.Line(number="+44 20 7946 0999", out_of_hours=True)


def test_a_clinic_with_one_number_for_all_hours_always_gives_it():
    line = contacts.urgent_line(
        datetime(2026, 12, 2, 10, tzinfo=LONDON), phone="", out_of_hours_phone="+44 20 7946 0999", **HOURS
    )
    assert line == contacts.Line(number="+44 20 7946 0999", out_of_hours=False)


def test_an_email_gives_the_clinics_line_and_its_out_of_hours_line():
    lines = contacts.clinic_lines(phone=" 020 7946 0001 ", out_of_hours_phone="020 7946 0999")
    assert lines == (
        contacts.Line(number="020 7946 0001", out_of_hours=False),
        contacts.Line(number="020 7946 0999", out_of_hours=True),
    )
    # One number for all hours: given once, not called out of hours.
    assert contacts.clinic_lines(phone="", out_of_hours_phone="0999") == (contacts.Line("0999", False),)
    assert contacts.clinic_lines(phone="0999", out_of_hours_phone="0999") == (contacts.Line("0999", False),)
    assert contacts.clinic_lines(phone="", out_of_hours_phone="") == ()
