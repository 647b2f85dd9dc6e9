"""Deadlines in working hours of the Kyiv calendar (09–13, 14–18, Monday to Friday)."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.domain.deadlines import WorkingCalendar, deadline_for
from routing.domain.taxonomy import Category

KYIV = ZoneInfo("Europe/Kyiv")
CALENDAR = WorkingCalendar()


def kyiv(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=KYIV)


def leaf(emergency=False, hours=(4, 16, 40)) -> Category:
    return Category(
        "roads.surface.pothole", "Вибоїна", "Pothole", "leaf", "roads.surface", "kyivavtodor",
        deadline_hours=dict(zip(("simple", "standard", "complex"), hours)),
        default_complexity="standard", emergency=emergency,
    )


# 2026-03-02 is a Monday; 2026-03-06 a Friday.
@pytest.mark.parametrize("start, hours, due", [
    (kyiv(2026, 3, 2, 9, 30), 2, kyiv(2026, 3, 2, 11, 30)),    # within the morning period
    (kyiv(2026, 3, 2, 11), 2, kyiv(2026, 3, 2, 13)),           # ends exactly at lunch
    (kyiv(2026, 3, 2, 12), 2, kyiv(2026, 3, 2, 15)),           # lunch 13-14 does not count
    (kyiv(2026, 3, 2, 14), 4, kyiv(2026, 3, 2, 18)),           # ends exactly at closing time
    (kyiv(2026, 3, 2, 17), 2, kyiv(2026, 3, 3, 10)),           # overnight
    (kyiv(2026, 3, 2, 9), 8, kyiv(2026, 3, 2, 18)),            # one whole working day
    (kyiv(2026, 3, 2, 9), 9, kyiv(2026, 3, 3, 10)),
    (kyiv(2026, 3, 2, 9), 40, kyiv(2026, 3, 6, 18)),           # a whole working week
    (kyiv(2026, 3, 2, 10, 15), 0.75, kyiv(2026, 3, 2, 11)),    # fractions of an hour
])
def test_working_hours_count_only_inside_working_periods(start, hours, due):
    result = CALENDAR.add_working_hours(start, hours)
    assert result == due
    assert result.tzinfo is timezone.utc


def test_friday_evening_plus_two_hours_falls_due_on_monday_morning():
    assert CALENDAR.add_working_hours(kyiv(2026, 3, 6, 17), 2) == kyiv(2026, 3, 9, 10)


def test_holidays_are_skipped_like_weekends():
    calendar = WorkingCalendar(holidays=frozenset({date(2026, 3, 9), date(2026, 3, 10)}))
    # Friday 17:00, then a long weekend: Monday and Tuesday are holidays.
    assert calendar.add_working_hours(kyiv(2026, 3, 6, 17), 2) == kyiv(2026, 3, 11, 10)
    # The same start without holidays would be Monday.
    assert CALENDAR.add_working_hours(kyiv(2026, 3, 6, 17), 2) == kyiv(2026, 3, 9, 10)


def test_start_on_a_holiday_counts_from_the_next_working_morning():
    calendar = WorkingCalendar(holidays=frozenset({date(2026, 1, 1)}))  # a Thursday
    assert calendar.add_working_hours(kyiv(2026, 1, 1, 10), 3) == kyiv(2026, 1, 2, 12)


@pytest.mark.parametrize("start, due", [
    (kyiv(2026, 3, 7, 11), kyiv(2026, 3, 9, 10)),     # Saturday
    (kyiv(2026, 3, 8, 23, 59), kyiv(2026, 3, 9, 10)),  # late Sunday
    (kyiv(2026, 3, 2, 7), kyiv(2026, 3, 2, 10)),      # before opening
    (kyiv(2026, 3, 2, 21), kyiv(2026, 3, 3, 10)),     # after closing
    (kyiv(2026, 3, 2, 18), kyiv(2026, 3, 3, 10)),     # exactly at closing
    (kyiv(2026, 3, 2, 13, 30), kyiv(2026, 3, 2, 15)),  # during lunch
])
def test_start_outside_working_hours_counts_from_the_next_period(start, due):
    assert CALENDAR.add_working_hours(start, 1) == due


def test_start_given_in_utc_is_read_in_the_city_timezone():
    # 06:30 UTC is 08:30 in Kyiv in winter (UTC+2): half an hour before opening.
    start = datetime(2026, 3, 2, 6, 30, tzinfo=timezone.utc)
    assert CALENDAR.add_working_hours(start, 1) == kyiv(2026, 3, 2, 10)
    assert CALENDAR.add_working_hours(start, 1) == datetime(2026, 3, 2, 8, tzinfo=timezone.utc)


def test_calendar_of_another_city_uses_its_own_timezone():
    lisbon = WorkingCalendar(tz="Europe/Lisbon")
    start = datetime(2026, 3, 2, 8, tzinfo=timezone.utc)  # 08:00 in Lisbon, 10:00 in Kyiv
    assert lisbon.add_working_hours(start, 1) == datetime(2026, 3, 2, 10, tzinfo=timezone.utc)
    assert CALENDAR.add_working_hours(start, 1) == datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


def test_custom_periods_and_working_days():
    six_day = WorkingCalendar(periods=((time(8), time(12)),),
                              working_weekdays=frozenset({0, 1, 2, 3, 4, 5}))
    # Friday 11:00 + 2h: one hour on Friday, one on Saturday.
    assert six_day.add_working_hours(kyiv(2026, 3, 6, 11), 2) == kyiv(2026, 3, 7, 9)


def test_spring_dst_change_over_the_weekend_keeps_local_working_hours():
    # Kyiv moves from UTC+2 to UTC+3 on Sunday 2026-03-29.
    start = kyiv(2026, 3, 27, 17)
    due = CALENDAR.add_working_hours(start, 2)
    assert due == kyiv(2026, 3, 30, 10)
    assert due == datetime(2026, 3, 30, 7, tzinfo=timezone.utc)
    assert due - start == timedelta(hours=64)  # 65 wall-clock hours, one of them skipped


def test_autumn_dst_change_over_the_weekend_keeps_local_working_hours():
    # Kyiv moves from UTC+3 back to UTC+2 on Sunday 2026-10-25.
    start = kyiv(2026, 10, 23, 17)
    due = CALENDAR.add_working_hours(start, 2)
    assert due == kyiv(2026, 10, 26, 10)
    assert due == datetime(2026, 10, 26, 8, tzinfo=timezone.utc)
    assert due - start == timedelta(hours=66)


def test_naive_start_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.add_working_hours(datetime(2026, 3, 2, 10), 2)
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline_for(leaf(), "standard", CALENDAR, datetime(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline_for(leaf(emergency=True), "standard", CALENDAR, datetime(2026, 3, 2, 10))


def test_deadline_for_uses_the_category_hours_of_the_complexity():
    start = kyiv(2026, 3, 2, 9)
    assert deadline_for(leaf(), "simple", CALENDAR, start) == kyiv(2026, 3, 2, 13)
    assert deadline_for(leaf(), "standard", CALENDAR, start) == kyiv(2026, 3, 3, 18)
    assert deadline_for(leaf(), "complex", CALENDAR, start) == kyiv(2026, 3, 6, 18)
    with pytest.raises(KeyError):
        deadline_for(leaf(), "trivial", CALENDAR, start)


def test_emergency_category_counts_wall_clock_hours_through_nights_and_weekends():
    friday_evening = kyiv(2026, 3, 6, 17)
    emergency = leaf(emergency=True, hours=(2, 4, 24))
    assert deadline_for(emergency, "standard", CALENDAR, friday_evening) == kyiv(2026, 3, 6, 21)
    assert deadline_for(emergency, "complex", CALENDAR, friday_evening) == kyiv(2026, 3, 7, 17)
    assert deadline_for(emergency, "simple", CALENDAR, friday_evening).tzinfo is timezone.utc


@pytest.mark.parametrize("start", [
    kyiv(2026, 3, 29, 1),   # two hours before the clocks go forward
    kyiv(2026, 10, 25, 2),  # two hours before the clocks go back
])
def test_emergency_deadline_is_elapsed_time_across_a_dst_change(start):
    due = deadline_for(leaf(emergency=True, hours=(2, 4, 24)), "standard", CALENDAR, start)
    assert due - start == timedelta(hours=4)
    assert due == start.astimezone(timezone.utc) + timedelta(hours=4)


# --- properties ---------------------------------------------------------------------------

starts = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31),
                      timezones=st.just(timezone.utc))
quarter_hours = st.integers(min_value=1, max_value=400).map(lambda q: q / 4)
holiday_sets = st.frozensets(st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 6, 30)),
                             max_size=30)


def inside_a_working_period(calendar: WorkingCalendar, moment: datetime) -> bool:
    local = moment.astimezone(ZoneInfo(calendar.tz))
    if not calendar.is_working_day(local.date()):
        return False
    return any(begin < local.time() <= end for begin, end in calendar.periods)


@settings(max_examples=200, deadline=None)
@given(start=starts, a=quarter_hours, b=quarter_hours)
def test_more_hours_never_give_an_earlier_deadline(start, a, b):
    low, high = sorted((a, b))
    assert CALENDAR.add_working_hours(start, low) <= CALENDAR.add_working_hours(start, high)


@settings(max_examples=200, deadline=None)
@given(start=starts, hours=quarter_hours, holidays=holiday_sets)
def test_working_deadline_is_never_sooner_than_the_hours_and_falls_in_a_working_period(
        start, hours, holidays):
    calendar = WorkingCalendar(holidays=holidays)
    due = calendar.add_working_hours(start, hours)
    assert due - start >= timedelta(hours=hours)
    # Inside a period of a working day; a deadline may fall exactly at a period's end.
    assert inside_a_working_period(calendar, due), due.astimezone(KYIV)
    assert deadline_for(leaf(hours=(1, hours, hours + 1)), "standard", calendar, start) == due


@settings(max_examples=200, deadline=None)
@given(start=starts, a=quarter_hours, b=quarter_hours)
def test_working_hours_add_up(start, a, b):
    assert CALENDAR.add_working_hours(CALENDAR.add_working_hours(start, a), b) == \
        CALENDAR.add_working_hours(start, a + b)


@settings(max_examples=100, deadline=None)
@given(start=starts, hours=st.integers(min_value=1, max_value=240))
def test_emergency_deadline_is_exactly_the_hours_later(start, hours):
    emergency = leaf(emergency=True, hours=(1, hours, hours + 1))
    assert deadline_for(emergency, "standard", CALENDAR, start.astimezone(KYIV)) == \
        start + timedelta(hours=hours)
