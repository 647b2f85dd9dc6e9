"""Reads routing's data files: working calendars (with public holidays from the `holidays`
library), district polygons (GeoJSON) and routing rules. Defaults ship in ../data/."""
from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path

import yaml

from ..domain.deadlines import Calendars, WorkingCalendar
from ..domain.districts import District, districts_from_geojson
from ..domain.rules import RoutingRule, rules_from_data

DATA = Path(__file__).resolve().parent.parent / "data"
DEFAULT_CALENDARS = DATA / "calendars.yml"
DEFAULT_DISTRICTS = DATA / "districts.geojson"
DEFAULT_RULES = DATA / "rules.yml"

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOLIDAY_YEARS_AHEAD = 11
"""Deadlines are bounded by ten years of working time; holidays are known that far ahead."""

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CalendarConfigError(ValueError):
    """The calendars data is malformed (unknown weekday, bad period, unknown body…)."""


def _read_yaml(path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_SafeLoader) or {}


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time(0) if (hours, minutes) == (24, 0) else time(hours, minutes)


def _periods(raw, where: str) -> tuple[tuple[time, time], ...]:
    periods = []
    for item in raw:
        try:
            begin, end = (_clock(part.strip()) for part in str(item).split("-"))
        except ValueError:
            raise CalendarConfigError(f"{where}: period {item!r} is not HH:MM-HH:MM") from None
        if end != time(0) and end <= begin:
            raise CalendarConfigError(f"{where}: period {item!r} ends before it begins")
        periods.append((begin, end))
    periods.sort()
    for (_, end), (begin, _) in zip(periods, periods[1:]):
        if end == time(0) or begin < end:
            raise CalendarConfigError(f"{where}: periods overlap")
    if not periods:
        raise CalendarConfigError(f"{where}: no working periods")
    return tuple(periods)


def public_holidays(country: str, years, *, observe_public: bool = True,
                    observe_suspended: bool = False) -> frozenset[date]:
    """Days off from the `holidays` library. For Ukraine its ``public`` category already
    follows martial law (no public holidays as days off since 2022/2023); the holidays the law
    suspended are reported in its ``workday`` category, included on request."""
    import holidays

    categories = (["public"] if observe_public else []) + (
        ["workday"] if observe_suspended else [])
    if not categories:
        return frozenset()
    return frozenset(holidays.country_holidays(country, years=list(years),
                                               categories=categories))


def calendar_from_settings(settings: dict, years, where: str = "default") -> WorkingCalendar:
    unknown_days = set(settings.get("weekdays", ())) - set(WEEKDAYS)
    if unknown_days:
        raise CalendarConfigError(f"{where}: unknown weekdays {sorted(unknown_days)}")
    days_off = set(public_holidays(
        settings.get("holidays_country") or "UA", years,
        observe_public=bool(settings.get("observe_public_holidays", True)),
        observe_suspended=bool(settings.get("observe_suspended_holidays", False))))
    days_off |= {d if isinstance(d, date) else date.fromisoformat(str(d))
                 for d in settings.get("extra_days_off") or ()}
    return WorkingCalendar(
        tz=settings.get("timezone") or "Europe/Kyiv",
        periods=_periods(settings.get("periods") or ("09:00-13:00", "14:00-18:00"), where),
        working_weekdays=frozenset(WEEKDAYS.index(d) for d in settings.get("weekdays", WEEKDAYS[:5])),
        holidays=frozenset(days_off),
    )


def calendars_from_data(data: dict, *, this_year: int, timezone: str | None = None) -> Calendars:
    """Calendars from the data-file shape (see data/calendars.yml). ``timezone`` (the city's,
    from config) applies unless the data names one."""
    years = range(this_year - 2, this_year + HOLIDAY_YEARS_AHEAD)
    default_settings = dict(data.get("default") or {})
    if timezone and "timezone" not in default_settings:
        default_settings["timezone"] = timezone
    default = calendar_from_settings(default_settings, years)
    by_body = {
        body: calendar_from_settings(default_settings | dict(own or {}), years, body)
        for body, own in (data.get("bodies") or {}).items()
    }
    return Calendars(default, by_body)


def load_calendars(path=None, *, this_year: int, timezone: str | None = None) -> Calendars:
    return calendars_from_data(_read_yaml(path or DEFAULT_CALENDARS), this_year=this_year,
                               timezone=timezone)


def load_districts(path=None) -> tuple[District, ...]:
    with open(path or DEFAULT_DISTRICTS, encoding="utf-8") as handle:
        return districts_from_geojson(json.load(handle))


def load_rules(path=None, districts=None) -> tuple[RoutingRule, ...]:
    codes = {d.code for d in districts} if districts is not None else None
    return rules_from_data(_read_yaml(path or DEFAULT_RULES), codes)


def _flag(value, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


_loaded: dict = {}


def load_settings(config: dict):
    """Routing's settings from its config (read once per process and config): calendars,
    districts, rules, the fallback body and the reassignment clock rule."""
    from ..service_layer.workflow import RoutingSettings

    key = tuple(str(config.get(name)) for name in (
        "CALENDARS_FILE", "DISTRICTS_FILE", "RULES_FILE", "CITY_TIMEZONE", "FALLBACK_BODY",
        "REASSIGN_RESTARTS_CLOCK"))
    if key not in _loaded:
        from datetime import datetime, timezone

        districts = load_districts(config.get("DISTRICTS_FILE") or None)
        _loaded[key] = RoutingSettings(
            calendars=load_calendars(config.get("CALENDARS_FILE") or None,
                                     this_year=datetime.now(timezone.utc).year,
                                     timezone=config.get("CITY_TIMEZONE") or None),
            districts=districts,
            rules=load_rules(config.get("RULES_FILE") or None, districts),
            fallback_body=config.get("FALLBACK_BODY") or "dispatch_1551",
            reassign_restarts_clock=_flag(config.get("REASSIGN_RESTARTS_CLOCK"), True),
        )
    return _loaded[key]
