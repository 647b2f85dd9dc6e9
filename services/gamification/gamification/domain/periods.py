"""Periods of points, ratings and rewards: a month, a quarter, a year, or all time.

A period is named by a key — ``2026-11`` (month), ``2026-Q4`` (quarter), ``2026`` (year),
``all`` — and an event belongs to the periods its time falls in, in the city's time zone (an
appeal confirmed at 00:30 Kyiv time on 1 December counts for December, not November).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

CITY_TIMEZONE = ZoneInfo("Europe/Kyiv")
ALL_TIME = "all"
KINDS = ("month", "quarter", "year")

_KEY = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])))?$")


class InvalidPeriod(ValueError):
    """A period key that is not ``YYYY-MM``, ``YYYY-Qn``, ``YYYY``, ``all`` or a kind."""


@dataclass(frozen=True)
class Period:
    key: str
    kind: str  # "month" | "quarter" | "year" | "all"
    starts: datetime | None  # aware, city time; None for all time
    ends: datetime | None  # exclusive

    def has_ended(self, now: datetime) -> bool:
        return self.ends is not None and now >= self.ends


def _first_day(year: int, month: int, tz: ZoneInfo) -> datetime:
    return datetime(year, month, 1, tzinfo=tz)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def period(key: str, tz: ZoneInfo = CITY_TIMEZONE) -> Period:
    """The period a key names. Raises :class:`InvalidPeriod`."""
    if key == ALL_TIME:
        return Period(ALL_TIME, "all", None, None)
    match = _KEY.match(key or "")
    if not match:
        raise InvalidPeriod(f"{key!r} is not a period: use YYYY-MM, YYYY-Qn, YYYY or all")
    year = int(match["year"])
    if match["month"]:
        month = int(match["month"])
        return Period(key, "month", _first_day(year, month, tz),
                      _first_day(*_next_month(year, month), tz))
    if match["quarter"]:
        first = (int(match["quarter"]) - 1) * 3 + 1
        end_year, end_month = (year + 1, 1) if first == 10 else (year, first + 3)
        return Period(key, "quarter", _first_day(year, first, tz),
                      _first_day(end_year, end_month, tz))
    return Period(key, "year", _first_day(year, 1, tz), _first_day(year + 1, 1, tz))


def keys_at(at: datetime, tz: ZoneInfo = CITY_TIMEZONE) -> dict[str, str]:
    """The keys of every period ``at`` falls in: ``{"month": "2026-11", "quarter": "2026-Q4",
    "year": "2026", "all": "all"}``."""
    local = at.astimezone(tz)
    return {"month": f"{local.year:04d}-{local.month:02d}",
            "quarter": f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}",
            "year": f"{local.year:04d}",
            "all": ALL_TIME}


def current_key(kind: str, now: datetime, tz: ZoneInfo = CITY_TIMEZONE) -> str:
    """The key of the ``kind`` period running at ``now``."""
    if kind not in KINDS + ("all",):
        raise InvalidPeriod(f"{kind!r} is not a period kind: use {', '.join(KINDS)} or all")
    return keys_at(now, tz)[kind]


def resolve(key_or_kind: str | None, now: datetime, tz: ZoneInfo = CITY_TIMEZONE) -> Period:
    """A key, or a kind meaning the running period of that kind (``None`` → this month)."""
    value = key_or_kind or "month"
    if value in KINDS:
        value = current_key(value, now, tz)
    return period(value, tz)


def previous_key(kind: str, now: datetime, tz: ZoneInfo = CITY_TIMEZONE) -> str:
    """The key of the last ``kind`` period that ended before ``now``."""
    start = period(current_key(kind, now, tz), tz).starts
    return keys_at(start - timedelta(seconds=1), tz)[kind]


def day_of(at: datetime, tz: ZoneInfo = CITY_TIMEZONE) -> date:
    """The city's calendar day of ``at`` (daily caps count by it)."""
    return at.astimezone(tz).date()
