"""Calendar days in a time zone: what "from 1 March to 3 March" means for times stored in UTC. Pure."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo


def day_start(day: date, tz: tzinfo) -> datetime:
    """The instant the day begins on the clock of ``tz``."""
    return datetime.combine(day, time.min, tzinfo=tz)


def period(date_from: date | None, date_to: date | None, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """The instants a period of whole days covers: from the start of ``date_from`` (included) to the start
    of the day after ``date_to`` (excluded). Either end may be open (None)."""
    start = day_start(date_from, tz) if date_from else None
    end = day_start(date_to + timedelta(days=1), tz) if date_to else None
    return start, end


def within(field: str, date_from: date | None, date_to: date | None, tz: tzinfo) -> dict[str, datetime]:
    """Queryset lookups (``field__gte``, ``field__lt``) keeping the rows whose time falls in the period."""
    start, end = period(date_from, date_to, tz)
    lookups = {}
    if start is not None:
        lookups[f"{field}__gte"] = start
    if end is not None:
        lookups[f"{field}__lt"] = end
    return lookups
