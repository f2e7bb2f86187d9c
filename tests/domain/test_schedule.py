"""The follow-up schedule: pure, no database."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from reactions.domain import schedule

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
QUIET = (time(22), time(8))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_default_offsets_follow_the_clinical_window():
    # +10 days for haemolysis, +14 days for venous clots (docs/clinical-facts.md §2).
    assert schedule.DEFAULT_FOLLOWUP_OFFSETS_HOURS == (2, 24, 72, 168, 240, 336)


def test_due_times_are_offsets_after_the_end():
    end = utc(2026, 6, 10, 9, 0)  # 10:00 in London (BST)
    due = schedule.followup_due_times(ended_at=end, offsets_hours=[2, 24, 72, 168], tz=LONDON)
    assert due == [
        (2, end + timedelta(hours=2)),
        (24, end + timedelta(hours=24)),
        (72, end + timedelta(hours=72)),
        (168, end + timedelta(hours=168)),
    ]


@pytest.mark.parametrize(
    ("local", "expected_local"),
    [
        (
            datetime(2026, 6, 10, 23, 30, tzinfo=LONDON),
            datetime(2026, 6, 11, 8, 0, tzinfo=LONDON),
        ),  # evening: next morning
        (
            datetime(2026, 6, 11, 3, 0, tzinfo=LONDON),
            datetime(2026, 6, 11, 8, 0, tzinfo=LONDON),
        ),  # small hours: same morning
        (
            datetime(2026, 6, 11, 22, 0, tzinfo=LONDON),
            datetime(2026, 6, 12, 8, 0, tzinfo=LONDON),
        ),  # the start of quiet hours is quiet
        (datetime(2026, 6, 11, 8, 0, tzinfo=LONDON), datetime(2026, 6, 11, 8, 0, tzinfo=LONDON)),  # the end is not
        (datetime(2026, 6, 11, 12, 0, tzinfo=LONDON), datetime(2026, 6, 11, 12, 0, tzinfo=LONDON)),
    ],
)
def test_quiet_hours_across_midnight(local, expected_local):
    moved = schedule.push_out_of_quiet_hours(local, LONDON, *QUIET)
    assert moved.astimezone(LONDON) == expected_local


def test_a_same_day_quiet_window_and_a_disabled_one():
    lunch = (time(12), time(14))
    assert (
        schedule.push_out_of_quiet_hours(datetime(2026, 6, 1, 13, tzinfo=LONDON), LONDON, *lunch)
        .astimezone(LONDON)
        .hour
        == 14
    )
    late = datetime(2026, 6, 1, 23, tzinfo=LONDON)
    assert schedule.push_out_of_quiet_hours(late, LONDON, time(0), time(0)) == late


def test_quiet_hours_use_the_patients_time_zone():
    instant = utc(2026, 6, 11, 3, 0)  # 04:00 in London, 23:00 the day before in New York
    assert schedule.push_out_of_quiet_hours(instant, LONDON, *QUIET) == utc(2026, 6, 11, 7, 0)
    assert schedule.push_out_of_quiet_hours(instant, NEW_YORK, *QUIET) == utc(2026, 6, 11, 12, 0)


def test_offsets_are_elapsed_hours_across_a_dst_change():
    end = utc(2026, 3, 28, 12, 0)  # 12:00 GMT; clocks go forward overnight
    ((_, due),) = schedule.followup_due_times(ended_at=end, offsets_hours=[24], tz=LONDON)
    assert due - end == timedelta(hours=24)
    assert due.astimezone(LONDON).hour == 13  # 24 real hours later the wall clock shows 13:00 BST

    end = utc(2026, 10, 24, 12, 0)  # 13:00 BST; clocks go back overnight
    ((_, due),) = schedule.followup_due_times(ended_at=end, offsets_hours=[24], tz=LONDON)
    assert due - end == timedelta(hours=24) and due.astimezone(LONDON).hour == 12


def test_quiet_hours_end_on_the_local_clock_across_dst():
    # 23:00 GMT on the night clocks go forward: the morning end is 08:00 BST = 07:00 UTC.
    assert schedule.push_out_of_quiet_hours(utc(2026, 3, 28, 23, 0), LONDON, *QUIET) == utc(2026, 3, 29, 7, 0)
    # The night clocks go back: 08:00 GMT = 08:00 UTC.
    assert schedule.push_out_of_quiet_hours(utc(2026, 10, 24, 23, 0), LONDON, *QUIET) == utc(2026, 10, 25, 8, 0)


def test_a_quiet_period_ending_in_the_spring_gap_ends_just_after_it():
    # 01:30 does not exist in London on 2026-03-29: the period ends at 02:30 BST (01:30 UTC).
    moved = schedule.push_out_of_quiet_hours(utc(2026, 3, 29, 0, 30), LONDON, time(22), time(1, 30))
    assert moved == utc(2026, 3, 29, 1, 30)


def test_pre_infusion_reminder_is_the_day_before_and_avoids_quiet_hours():
    starts = datetime(2026, 6, 12, 9, 30, tzinfo=LONDON)
    assert schedule.pre_infusion_reminder_time(starts_at=starts, tz=LONDON) == starts - timedelta(hours=24)
    early = datetime(2026, 6, 12, 7, 0, tzinfo=LONDON)  # 24 h before is 07:00, inside quiet hours
    reminder = schedule.pre_infusion_reminder_time(starts_at=early, tz=LONDON).astimezone(LONDON)
    assert reminder.date() == date(2026, 6, 10) and reminder.time() == time(21, 30)
    late = datetime(2026, 6, 12, 23, 0, tzinfo=LONDON)  # 24 h before is 23:00 the day before
    reminder = schedule.pre_infusion_reminder_time(starts_at=late, tz=LONDON).astimezone(LONDON)
    assert reminder == datetime(2026, 6, 11, 21, 30, tzinfo=LONDON)


def test_daily_time_passed_in_the_clinic_time_zone():
    now = utc(2026, 6, 11, 6, 30)  # 07:30 London, 02:30 New York
    assert schedule.daily_time_passed(now=now, tz=LONDON, at=time(7)) == (date(2026, 6, 11), True)
    assert schedule.daily_time_passed(now=now, tz=NEW_YORK, at=time(7)) == (date(2026, 6, 11), False)


def test_retry_backoff_doubles_and_is_capped():
    waits = [schedule.retry_backoff(n, base_seconds=60, cap_seconds=900).total_seconds() for n in range(1, 8)]
    assert waits == [60, 120, 240, 480, 900, 900, 900]


@pytest.mark.parametrize(
    ("text", "expected"), [("2, 24, 72, 168", [2, 24, 72, 168]), ("168;2", [2, 168]), (" 6 ", [6])]
)
def test_parse_offsets_accepts_hours(text, expected):
    assert schedule.parse_offsets(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at least one"),
        ("2, x", "not a whole number"),
        ("0", "outside"),
        ("600", "outside"),
        ("2,2", "only once"),
        ("-3", "not a whole number"),
    ],
)
def test_parse_offsets_rejects_nonsense_with_a_readable_message(text, message):
    with pytest.raises(ValueError, match=message):
        schedule.parse_offsets(text)


# --- The +10 d and +14 d prompts ------------------------------------------------------------------


@pytest.mark.parametrize("hours", [240, 336])
def test_the_late_prompts_are_elapsed_hours_across_the_autumn_change(hours):
    end = utc(2026, 10, 20, 10, 0)  # 11:00 BST; clocks go back on 25 October
    ((_, due),) = schedule.followup_due_times(
        ended_at=end, offsets_hours=[hours], tz=LONDON, quiet_start=QUIET[0], quiet_end=QUIET[1]
    )
    assert due - end == timedelta(hours=hours)
    assert due.astimezone(LONDON).hour == 10  # the wall clock shows 10:00 GMT


@pytest.mark.parametrize("hours", [240, 336])
def test_the_late_prompts_keep_quiet_hours_in_the_patients_zone(hours):
    end = utc(2026, 3, 20, 22, 30)  # 22:30 GMT; after the spring change the prompt falls at 23:30 BST
    ((_, due),) = schedule.followup_due_times(
        ended_at=end, offsets_hours=[hours], tz=LONDON, quiet_start=QUIET[0], quiet_end=QUIET[1]
    )
    local = due.astimezone(LONDON)
    assert (local.hour, local.minute) == (8, 0)
    assert local.date() == (end + timedelta(hours=hours)).astimezone(LONDON).date() + timedelta(days=1)


# --- Quiet hours never delay the early window ------------------------------------------------------


def test_an_evening_end_gets_its_2h_prompt_at_2300_not_next_morning():
    end = datetime(2026, 6, 10, 21, 0, tzinfo=LONDON)
    due = schedule.prompt_due_time(ended_at=end, offset_hours=2, tz=LONDON, quiet_start=QUIET[0], quiet_end=QUIET[1])
    assert due.astimezone(LONDON) == datetime(2026, 6, 10, 23, 0, tzinfo=LONDON)


def test_a_6h_prompt_is_the_last_one_spared():
    end = datetime(2026, 6, 10, 21, 0, tzinfo=LONDON)
    at_6 = schedule.prompt_due_time(ended_at=end, offset_hours=6, tz=LONDON, quiet_start=QUIET[0], quiet_end=QUIET[1])
    at_7 = schedule.prompt_due_time(ended_at=end, offset_hours=7, tz=LONDON, quiet_start=QUIET[0], quiet_end=QUIET[1])
    assert at_6.astimezone(LONDON) == datetime(2026, 6, 11, 3, 0, tzinfo=LONDON)
    assert at_7.astimezone(LONDON) == datetime(2026, 6, 11, 8, 0, tzinfo=LONDON)


def test_later_prompts_keep_quiet_hours():
    end = datetime(2026, 6, 9, 23, 0, tzinfo=LONDON)
    due = dict(
        schedule.followup_due_times(
            ended_at=end, offsets_hours=[2, 24], tz=LONDON, quiet_start=QUIET[0], quiet_end=QUIET[1]
        )
    )
    assert due[2].astimezone(LONDON) == datetime(2026, 6, 10, 1, 0, tzinfo=LONDON)
    assert due[24].astimezone(LONDON) == datetime(2026, 6, 11, 8, 0, tzinfo=LONDON)


def test_a_clinic_that_switches_the_exemption_off_gets_the_morning():
    end = datetime(2026, 6, 10, 21, 0, tzinfo=LONDON)
    due = schedule.prompt_due_time(
        ended_at=end, offset_hours=2, tz=LONDON, quiet_start=QUIET[0], quiet_end=QUIET[1], early_window_exempt=False
    )
    assert due.astimezone(LONDON) == datetime(2026, 6, 11, 8, 0, tzinfo=LONDON)


def test_the_exemption_holds_on_the_night_the_clocks_go_forward():
    # 00:30 GMT, given as a local time; at 01:00 the clock jumps to 02:00 BST.
    end = datetime(2026, 3, 29, 0, 30, tzinfo=LONDON)
    due = schedule.prompt_due_time(ended_at=end, offset_hours=2, tz=LONDON, quiet_start=QUIET[0], quiet_end=QUIET[1])
    assert due.astimezone(UTC) - end.astimezone(UTC) == timedelta(hours=2)
    assert due.astimezone(LONDON).hour == 3  # two real hours later the clock shows 03:30 BST
