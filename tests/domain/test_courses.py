"""Courses of infusions on consecutive days: pure, no database."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from reactions.domain import courses

LONDON = ZoneInfo("Europe/London")
CLINIC_OFFSETS = [2, 24, 72, 168, 240, 336]


def day(key: int, on: date, hour: int = 9) -> courses.CourseDay:
    return courses.CourseDay(key=key, local_date=on, started_at=datetime(on.year, on.month, on.day, hour, tzinfo=UTC))


def test_one_infusion_is_a_course_of_one_with_every_prompt():
    places = courses.course_places([day(1, date(2026, 6, 1))])
    assert places[1] == courses.CoursePlace(day=1, of=1, is_last=True, keys=(1,))
    assert not places[1].is_course
    assert courses.offsets_for_place(places[1], CLINIC_OFFSETS) == CLINIC_OFFSETS


def test_two_consecutive_days_are_one_course_counted_from_the_second():
    places = courses.course_places([day(1, date(2026, 6, 1)), day(2, date(2026, 6, 2))])
    assert (places[1].day, places[1].of, places[1].is_last) == (1, 2, False)
    assert (places[2].day, places[2].of, places[2].is_last) == (2, 2, True)
    assert courses.offsets_for_place(places[1], CLINIC_OFFSETS) == [2]
    assert courses.offsets_for_place(places[2], CLINIC_OFFSETS) == CLINIC_OFFSETS


def test_five_days_only_the_last_gets_the_late_prompts():
    days = [day(k, date(2026, 6, k)) for k in range(1, 6)]
    places = courses.course_places(reversed(days))  # the order given does not matter
    assert [places[k].day for k in range(1, 6)] == [1, 2, 3, 4, 5]
    assert {places[k].of for k in range(1, 6)} == {5}
    assert [courses.offsets_for_place(places[k], CLINIC_OFFSETS) for k in range(1, 5)] == [[2]] * 4
    assert courses.offsets_for_place(places[5], CLINIC_OFFSETS) == CLINIC_OFFSETS


def test_the_early_window_of_an_earlier_day_keeps_a_6h_prompt_added_by_risk():
    place = courses.course_places([day(1, date(2026, 6, 1)), day(2, date(2026, 6, 2))])[1]
    assert courses.offsets_for_place(place, [*CLINIC_OFFSETS, 6, 48, 120]) == [2, 6]


def test_a_gap_day_splits_two_courses():
    places = courses.course_places(
        [day(1, date(2026, 6, 1)), day(2, date(2026, 6, 2)), day(3, date(2026, 6, 4)), day(4, date(2026, 6, 5))]
    )
    assert places[1].keys == places[2].keys == (1, 2)
    assert places[3].keys == places[4].keys == (3, 4)
    assert places[2].is_last and places[4].is_last
    assert (places[3].day, places[3].of) == (1, 2)


def test_monthly_infusions_are_each_their_own_course():
    places = courses.course_places([day(1, date(2026, 6, 1)), day(2, date(2026, 7, 1))])
    assert places[1].is_last and places[2].is_last
    assert places[1].of == places[2].of == 1


def test_two_infusions_on_one_date_share_a_day_and_the_later_one_ends_it():
    places = courses.course_places([day(1, date(2026, 6, 1), hour=9), day(2, date(2026, 6, 1), hour=15)])
    assert (places[1].day, places[2].day, places[2].of) == (1, 1, 1)
    assert not places[1].is_last and places[2].is_last


def test_planned_days_not_yet_given_count_only_when_passed_in():
    # The engine groups given infusions only: a planned day 2 must not take day 1's late prompts away
    # before it is given. The pages group given and planned days, to say "Day 1 of 2".
    given_only = courses.course_places([day(1, date(2026, 6, 1))])
    with_planned = courses.course_places([day(1, date(2026, 6, 1)), day(2, date(2026, 6, 2))])
    assert given_only[1].is_last
    assert (with_planned[1].day, with_planned[1].of, with_planned[1].is_last) == (1, 2, False)


def test_days_are_local_dates_in_the_patients_time_zone():
    # 23:30 BST on 1 June is 22:30 UTC; 00:30 BST on 3 June is 23:30 UTC on 2 June. In UTC dates they would
    # look one day apart; in London they are two days apart: no course.
    first = datetime(2026, 6, 1, 22, 30, tzinfo=UTC)
    second = datetime(2026, 6, 2, 23, 30, tzinfo=UTC)
    assert courses.local_date(first, LONDON) == date(2026, 6, 1)
    assert courses.local_date(second, LONDON) == date(2026, 6, 3)
    places = courses.course_places(
        [
            courses.CourseDay(1, courses.local_date(first, LONDON), first),
            courses.CourseDay(2, courses.local_date(second, LONDON), second),
        ]
    )
    assert places[1].is_last and places[2].is_last


def test_a_course_across_the_spring_clock_change_stays_one_course():
    # 28 March 2026 09:00 GMT and 29 March 09:00 BST (08:00 UTC): 23 hours apart, consecutive local dates.
    first = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    second = datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    places = courses.course_places(
        [
            courses.CourseDay(1, courses.local_date(first, LONDON), first),
            courses.CourseDay(2, courses.local_date(second, LONDON), second),
        ]
    )
    assert places[2].keys == (1, 2) and places[2].is_last and not places[1].is_last


def test_the_next_day_keeps_the_wall_clock_time_across_a_dst_change():
    saturday = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)  # 09:00 GMT
    sunday = courses.next_day(saturday, LONDON)
    assert sunday.astimezone(LONDON).timetuple()[:5] == (2026, 3, 29, 9, 0)
    assert sunday.astimezone(UTC) == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 23 real hours later
