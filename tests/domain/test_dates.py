"""Whole days in a time zone, as the filters of the queue, the exports and the summary read them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from reactions.domain import dates

LONDON = ZoneInfo("Europe/London")


def test_a_period_runs_from_the_first_midnight_to_the_midnight_after_the_last_day():
    start, end = dates.period(date(2026, 3, 28), date(2026, 3, 29), LONDON)
    assert start.astimezone(UTC) == datetime(2026, 3, 28, 0, 0, tzinfo=UTC)  # GMT
    # The clocks go forward on 29 March: the day after begins at 23:00 UTC.
    assert end.astimezone(UTC) == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)


def test_open_ends_filter_nothing_on_that_side():
    assert dates.period(None, None, LONDON) == (None, None)
    assert dates.within("created_at", None, None, LONDON) == {}
    lookups = dates.within("created_at", date(2026, 1, 5), None, LONDON)
    assert list(lookups) == ["created_at__gte"]


def test_a_single_day_is_twenty_four_hours_on_an_ordinary_day():
    start, end = dates.period(date(2026, 6, 1), date(2026, 6, 1), LONDON)
    assert (end - start).total_seconds() == 24 * 3600
