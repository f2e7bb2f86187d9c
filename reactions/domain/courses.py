"""Courses: infusions on consecutive days for one patient, followed up as one. Pure: no database.

A loading dose of 2 g/kg is often split over 2–5 consecutive days (docs/clinical-facts.md §1). Its
late prompts count from the end of the last day; the days before get only their early-window prompts
(docs/clinical-safety.md H-29). Days are local dates in the patient's time zone: a course given at
23:30 and 00:30 local time is one day apart, however the UTC dates fall.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from reactions.domain import schedule


@dataclass(frozen=True)
class CourseDay:
    """One infusion as the grouping sees it: an id, its local date and its start (to order one date's)."""

    key: int
    local_date: date
    started_at: datetime


@dataclass(frozen=True)
class CoursePlace:
    """Where an infusion sits in its course. A lone infusion is day 1 of 1."""

    day: int  # 1-based, counted in dates: two infusions on one date share a day
    of: int  # the course's number of dates
    is_last: bool  # the course's last infusion: its prompts are the course's
    keys: tuple[int, ...]  # the course's infusions, in order

    @property
    def is_course(self) -> bool:
        return self.of > 1


def local_date(started_at: datetime, tz: ZoneInfo) -> date:
    return started_at.astimezone(tz).date()


def group_courses(days: Iterable[CourseDay]) -> list[tuple[CourseDay, ...]]:
    """Split infusions into courses: each next date is the day after the previous one (or the same date)."""
    courses: list[list[CourseDay]] = []
    for day in sorted(days, key=lambda d: (d.local_date, d.started_at, d.key)):
        if courses and day.local_date - courses[-1][-1].local_date <= timedelta(days=1):
            courses[-1].append(day)
        else:
            courses.append([day])
    return [tuple(course) for course in courses]


def course_places(days: Iterable[CourseDay]) -> dict[int, CoursePlace]:
    """Each infusion's place in its course, by key."""
    places: dict[int, CoursePlace] = {}
    for course in group_courses(days):
        dates = sorted({d.local_date for d in course})
        keys = tuple(d.key for d in course)
        for d in course:
            places[d.key] = CoursePlace(
                day=dates.index(d.local_date) + 1, of=len(dates), is_last=d.key == keys[-1], keys=keys
            )
    return places


def offsets_for_place(place: CoursePlace, offsets_hours: Sequence[int]) -> list[int]:
    """The prompts an infusion gets: all of them on a course's last day, the early window's before it."""
    if place.is_last:
        return sorted(set(offsets_hours))
    return sorted({h for h in offsets_hours if schedule.in_early_window(h)})


def next_day(at: datetime, tz: ZoneInfo) -> datetime:
    """The same wall-clock time on the next local date: a 09:00 start is 09:00 tomorrow, even across DST."""
    local = at.astimezone(tz)
    following = datetime.combine(local.date() + timedelta(days=1), local.time(), tzinfo=tz)
    return following.astimezone(UTC).astimezone(tz)  # a time skipped by spring-forward comes out just past it
