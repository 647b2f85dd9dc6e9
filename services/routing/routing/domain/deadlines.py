"""Deadlines counted in a body's working calendar.

A deadline is a number of *working* hours from the moment of assignment: time outside the
body's working periods (nights, weekends, holidays) does not count. Emergency categories
count around the clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class WorkingCalendar:
    tz: str = "Europe/Kyiv"
    periods: tuple[tuple[time, time], ...] = ((time(9), time(13)), (time(14), time(18)))
    working_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_weekdays and day not in self.holidays

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` of working time after ``start`` (an aware datetime)."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        zone = ZoneInfo(self.tz)
        local = start.astimezone(zone)
        remaining = timedelta(hours=hours)
        day = local.date()
        for _ in range(3660):  # ten years of days: a bound, not a limit anyone meets
            if self.is_working_day(day):
                for begin, end in self.periods:
                    period_start = datetime.combine(day, begin, zone)
                    # An end of 00:00 is the following midnight ("24:00").
                    period_end = datetime.combine(
                        day + timedelta(days=1) if end == time(0) else day, end, zone)
                    if period_end <= local:
                        continue
                    effective_start = max(period_start, local)
                    available = period_end - effective_start
                    if remaining <= available:
                        return (effective_start + remaining).astimezone(timezone.utc)
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("deadline beyond ten years of working time")


@dataclass(frozen=True)
class Calendars:
    """The working calendar of each body, and the city's default for bodies without one."""

    default: WorkingCalendar = field(default_factory=WorkingCalendar)
    by_body: dict[str, WorkingCalendar] = field(default_factory=dict)

    def for_body(self, body: str) -> WorkingCalendar:
        return self.by_body.get(body, self.default)


def deadline_for(category, complexity: str, calendar: WorkingCalendar, start: datetime) -> datetime:
    """When an appeal in ``category`` of ``complexity`` assigned at ``start`` falls due."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    hours = category.deadline_hours[complexity]
    if category.emergency:
        # Elapsed time, not wall-clock arithmetic: adding to a local time across a DST change
        # would give an hour too much or too little.
        return start.astimezone(timezone.utc) + timedelta(hours=hours)
    return calendar.add_working_hours(start, hours)
