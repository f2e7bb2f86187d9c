"""When follow-up prompts, reminders and retries are due. Pure: no database (messages are translated lazily).

All inputs and outputs are aware datetimes; local wall-clock rules (quiet hours,
the clinic's morning) are applied in the given time zone, so they hold across
midnight and daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

# docs/clinical-facts.md §5: +2 h (immediate reactions, lung injury), +24 h (most arterial clots,
# meningitis onset), +72 h (meningitis, kidney), +7 days (kidney, haemolysis, venous clots), +10 days
# (the end of haemolysis's window), +14 days (the end of venous clots' window).
DEFAULT_FOLLOWUP_OFFSETS_HOURS: tuple[int, ...] = (2, 24, 72, 168, 240, 336)
# The default before the window was extended; clinics still on it were moved to the new one.
PREVIOUS_DEFAULT_FOLLOWUP_OFFSETS_HOURS: tuple[int, ...] = (2, 24, 72, 168)
# Lung injury (TRALI) appears 1–6 h after an infusion, late allergic reactions within hours: a prompt this
# close to the end is sent at its time, quiet hours or not (docs/clinical-safety.md H-28).
EARLY_WINDOW_HOURS = 6
DEFAULT_QUIET_START = time(22, 0)
DEFAULT_QUIET_END = time(8, 0)
MAX_OFFSET_HOURS = 21 * 24


def parse_offsets(text: str) -> list[int]:
    """'2, 24, 72, 168' -> [2, 24, 72, 168]; ValueError with a readable message otherwise."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError(_("Give at least one time, in hours after the infusion ends."))
    offsets: list[int] = []
    for part in parts:
        if not part.isdigit():
            raise ValueError(_("“%(part)s” is not a whole number of hours.") % {"part": part})
        hours = int(part)
        if not 1 <= hours <= MAX_OFFSET_HOURS:
            raise ValueError(
                _("%(hours)d h is outside 1–%(max)d hours (three weeks).") % {"hours": hours, "max": MAX_OFFSET_HOURS}
            )
        offsets.append(hours)
    if len(set(offsets)) != len(offsets):
        raise ValueError(_("Each time may appear only once."))
    return sorted(offsets)


def _local_wall(dt: datetime, tz: ZoneInfo) -> datetime:
    return dt.astimezone(tz)


def _aware(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant the local clock shows `at` on `day`.

    A time skipped by a spring-forward jump comes out just past the gap (fold=0 reads it
    with the old offset); a repeated autumn time means its first occurrence.
    """
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC).astimezone(tz)


def in_quiet_hours(dt: datetime, tz: ZoneInfo, quiet_start: time, quiet_end: time) -> bool:
    if quiet_start == quiet_end:
        return False  # no quiet period
    local = _local_wall(dt, tz).time()
    if quiet_start < quiet_end:  # e.g. 13:00–15:00 on the same day
        return quiet_start <= local < quiet_end
    return local >= quiet_start or local < quiet_end  # across midnight, e.g. 22:00–08:00


def push_out_of_quiet_hours(dt: datetime, tz: ZoneInfo, quiet_start: time, quiet_end: time) -> datetime:
    """dt itself if outside quiet hours, else the end of the quiet period (local time)."""
    if not in_quiet_hours(dt, tz, quiet_start, quiet_end):
        return dt
    local = _local_wall(dt, tz)
    day = local.date()
    if quiet_start > quiet_end and local.time() >= quiet_start:
        day += timedelta(days=1)  # evening part of an overnight quiet period: ends tomorrow morning
    return _aware(day, quiet_end, tz).astimezone(UTC)


def in_early_window(offset_hours: int) -> bool:
    """A prompt this many hours after the end falls in the window of lung injury and late allergy."""
    return offset_hours <= EARLY_WINDOW_HOURS


def prompt_due_time(
    *,
    ended_at: datetime,
    offset_hours: int,
    tz: ZoneInfo,
    quiet_start: time = DEFAULT_QUIET_START,
    quiet_end: time = DEFAULT_QUIET_END,
    early_window_exempt: bool = True,
) -> datetime:
    """When the prompt `offset_hours` after `ended_at` is sent.

    Quiet hours move it to their end, except a prompt in the early window while the clinic keeps
    the exemption on: a 21:00 end's +2 h prompt goes at 23:00, not the next morning.
    """
    # In UTC: adding hours to a local wall time would add wall-clock hours across a DST change.
    due = ended_at.astimezone(UTC) + timedelta(hours=offset_hours)
    if early_window_exempt and in_early_window(offset_hours):
        return due
    return push_out_of_quiet_hours(due, tz, quiet_start, quiet_end)


def followup_due_times(
    *,
    ended_at: datetime,
    offsets_hours: Sequence[int],
    tz: ZoneInfo,
    quiet_start: time = DEFAULT_QUIET_START,
    quiet_end: time = DEFAULT_QUIET_END,
    early_window_exempt: bool = True,
) -> list[tuple[int, datetime]]:
    """(offset, due time) for each follow-up after an infusion that ended at `ended_at`.

    Offsets are elapsed hours (a +24 h prompt comes 24 real hours later, even across a
    DST change); only the quiet-hours shift uses the local clock.
    """
    return [
        (
            hours,
            prompt_due_time(
                ended_at=ended_at,
                offset_hours=hours,
                tz=tz,
                quiet_start=quiet_start,
                quiet_end=quiet_end,
                early_window_exempt=early_window_exempt,
            ),
        )
        for hours in sorted(set(offsets_hours))
    ]


def pre_infusion_reminder_time(
    *, starts_at: datetime, tz: ZoneInfo, quiet_start: time = DEFAULT_QUIET_START, quiet_end: time = DEFAULT_QUIET_END
) -> datetime:
    """The day before a planned infusion: 24 h before it, or earlier if that falls in quiet hours.

    Quiet hours here move the reminder *back* to the previous evening, so it still comes the day before.
    """
    due = starts_at - timedelta(hours=24)
    if not in_quiet_hours(due, tz, quiet_start, quiet_end):
        return due
    local = _local_wall(due, tz)
    day = local.date()
    if quiet_start > quiet_end and local.time() < quiet_end:
        day -= timedelta(days=1)  # early morning: the quiet period began the evening before
    # Shortly before the quiet period begins.
    return (_aware(day, quiet_start, tz) - timedelta(minutes=30)).astimezone(UTC)


def daily_time_passed(*, now: datetime, tz: ZoneInfo, at: time) -> tuple[date, bool]:
    """The clinic's local date, and whether its daily time has come today."""
    local = _local_wall(now, tz)
    return local.date(), local.time() >= at


def retry_backoff(attempts: int, *, base_seconds: int = 60, cap_seconds: int = 900) -> timedelta:
    """Wait before the next delivery attempt: base, 2×base, 4×base … capped. attempts >= 1."""
    exponent = max(0, attempts - 1)
    return timedelta(seconds=min(cap_seconds, base_seconds * (2 ** min(exponent, 20))))
