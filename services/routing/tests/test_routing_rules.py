"""Districts, routing rules, body calendars with Ukraine's holidays, and the assignment's
workflow as plain domain code."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hromada_common.lifecycle import IllegalTransition
from routing.adapters.routing_data import (
    CalendarConfigError,
    calendars_from_data,
    load_calendars,
    load_districts,
    load_rules,
    public_holidays,
)
from routing.adapters.taxonomy_file import load_taxonomy_file
from routing.domain.assignment import DeadlineError, assign_appeal
from routing.domain.deadlines import Calendars, WorkingCalendar, deadline_for
from routing.domain.districts import district_at, point_in_ring
from routing.domain.rules import RoutingRule, choose_body, rules_from_data

KYIV = ZoneInfo("Europe/Kyiv")
BBOX = (50.213, 30.239, 50.591, 30.826)
DISTRICTS = load_districts()
RULES = load_rules(districts=DISTRICTS)
SHIPPED = load_taxonomy_file()


def kyiv(*args) -> datetime:
    return datetime(*args, tzinfo=KYIV)


# --- districts ------------------------------------------------------------------------------

@pytest.mark.parametrize("place, lat, lon, district", [
    ("Maidan Nezalezhnosti", 50.4501, 30.5234, "shevchenkivskyi"),
    ("Troieshchyna", 50.510, 30.600, "desnianskyi"),
    ("Obolon, Minska", 50.512, 30.498, "obolonskyi"),
    ("Kyiv Pechersk Lavra", 50.434, 30.557, "pecherskyi"),
    ("Kontraktova Square", 50.465, 30.516, "podilskyi"),
    ("Teremky", 50.370, 30.450, "holosiivskyi"),
    ("Pozniaky", 50.398, 30.634, "darnytskyi"),
    ("Livoberezhna", 50.452, 30.598, "dniprovskyi"),
    ("Akademmistechko", 50.465, 30.355, "sviatoshynskyi"),
    ("Solomianka", 50.430, 30.470, "solomianskyi"),
])
def test_known_kyiv_places_fall_in_their_district(place, lat, lon, district):
    assert district_at(DISTRICTS, lat, lon).code == district, place


def test_the_ten_districts_are_named_in_both_languages():
    assert len(DISTRICTS) == 10
    assert all(d.name_uk.endswith("район") and d.name_en.endswith("district") for d in DISTRICTS)


def test_points_outside_the_city_have_no_district():
    assert district_at(DISTRICTS, 49.84, 24.03) is None  # Lviv
    assert district_at(DISTRICTS, 50.60, 30.5) is None


@settings(max_examples=300, deadline=None)
@given(lat=st.floats(BBOX[0] + 1e-6, BBOX[2] - 1e-6), lon=st.floats(BBOX[1] + 1e-6, BBOX[3] - 1e-6))
def test_districts_tile_the_city_box_without_overlap(lat, lon):
    containing = [d.code for d in DISTRICTS if d.contains(lat, lon)]
    assert len(containing) <= 1, containing
    # Points exactly on a shared edge may fall either way; anywhere else one district has it.
    assert containing or any(_near_an_edge(d, lat, lon) for d in DISTRICTS)


def _near_an_edge(district, lat, lon, eps=1e-9):
    return any(district.contains(lat + dy, lon + dx)
               for dx in (-eps, 0, eps) for dy in (-eps, 0, eps))


def test_ray_casting_respects_holes():
    square = ((0, 0), (4, 0), (4, 4), (0, 4))
    assert point_in_ring(1, 1, square) and not point_in_ring(5, 1, square)


# --- rules ---------------------------------------------------------------------------------

def body_for(category, district, rules=RULES, taxonomy=SHIPPED):
    return choose_body(rules, category, district,
                       default_body=taxonomy.categories[category].body,
                       known_bodies=taxonomy.bodies, fallback_body="dispatch_1551")


def test_housing_in_a_district_goes_to_that_district_housing_company():
    body, why = body_for("housing.building.roof_leak", "obolonskyi")
    assert body == "housing_obolonskyi" and why.startswith("rule: building maintenance")
    assert body_for("housing.yard.not_cleaned", "darnytskyi")[0] == "housing_darnytskyi"


def test_without_a_district_the_category_default_body_acts():
    assert body_for("housing.building.roof_leak", None) == (
        "district_housing", "category default body")


def test_elevators_keep_their_city_wide_service():
    assert body_for("housing.elevator.out_of_service", "obolonskyi")[0] == \
        SHIPPED.categories["housing.elevator.out_of_service"].body


def test_a_leaf_rule_beats_a_domain_rule_for_the_district():
    # Darnytskyi's parks unit keeps the whole parks domain there, but fallen trees are
    # Kyivzelenbud's everywhere (a city-wide leaf rule is more specific than a domain rule).
    assert body_for("parks.green.grass_not_mowed", "darnytskyi")[0] == "parks_darnytskyi"
    assert body_for("parks.trees.fallen_blocking", "darnytskyi")[0] == "kyivzelenbud"


def test_district_rule_beats_city_rule_at_the_same_depth():
    rules = rules_from_data({"rules": [
        {"name": "city", "category": "roads.surface", "body": "kyivavtodor"},
        {"name": "district", "category": "roads.surface", "district": "pecherskyi",
         "body": "territorial_control"},
    ]})
    assert [r.name for r in rules] == ["district", "city"]
    assert body_for("roads.surface.pothole", "pecherskyi", rules)[0] == "territorial_control"
    assert body_for("roads.surface.pothole", "podilskyi", rules) == ("kyivavtodor", "rule: city")


def test_a_rule_naming_a_missing_body_is_skipped_and_the_fallback_is_never_nowhere():
    rules = (RoutingRule("ghost", "roads", "ministry_of_silly_walks"),)
    assert body_for("roads.surface.pothole", None, rules)[0] == "kyivavtodor"
    assert choose_body(rules, "roads.surface.pothole", None, default_body=None,
                       known_bodies=SHIPPED.bodies, fallback_body="dispatch_1551")[0] == \
        "dispatch_1551"


def test_every_shipped_rule_names_existing_bodies_for_every_district():
    for rule in RULES:
        districts = [d.code for d in DISTRICTS] if rule.district == "*" else [rule.district]
        for district in districts:
            assert rule.body_for(district) in SHIPPED.bodies, (rule.name, district)


def test_assignment_records_the_rule_and_the_district():
    a = assign_appeal(appeal_id="a1", appeal_version=1, category_code="housing.building.icicles",
                      taxonomy=SHIPPED, calendar=Calendars(), now=kyiv(2026, 3, 2, 10),
                      fallback_body="dispatch_1551", district="pecherskyi", rules=RULES)
    assert (a.body, a.district, a.state) == ("housing_pecherskyi", "pecherskyi", "assigned")
    assert a.rule.startswith("rule: ")


# --- calendars and holidays ----------------------------------------------------------------

def test_ukraine_public_holidays_are_days_off_in_peacetime():
    days = public_holidays("UA", [2021])
    assert date(2021, 8, 24) in days          # Independence Day
    assert date(2021, 12, 27) in days         # Christmas (observed on Monday)


def test_under_martial_law_ukraines_holidays_are_working_days():
    # Law 2136-IX: no public days off while martial law lasts; the library follows it.
    assert public_holidays("UA", [2025]) == frozenset()
    suspended = public_holidays("UA", [2025], observe_suspended=True)
    assert date(2025, 12, 25) in suspended and date(2025, 8, 24) in suspended


def test_calendar_can_observe_the_suspended_holidays_or_none_at_all():
    thursday_christmas = kyiv(2025, 12, 24, 17)
    law = calendars_from_data({}, this_year=2025).default
    closed = calendars_from_data({"default": {"observe_suspended_holidays": True}},
                                 this_year=2025).default
    none = calendars_from_data({"default": {"observe_public_holidays": False}},
                               this_year=2021).default
    assert law.add_working_hours(thursday_christmas, 2) == kyiv(2025, 12, 25, 10)
    assert closed.add_working_hours(thursday_christmas, 2) == kyiv(2025, 12, 26, 10)
    assert none.add_working_hours(kyiv(2021, 8, 23, 17), 2) == kyiv(2021, 8, 24, 10)


def test_peacetime_holiday_is_skipped():
    calendar = calendars_from_data({}, this_year=2021).default
    # Monday 23 Aug 2021 was a substituted day off, Tuesday 24th Independence Day.
    assert calendar.add_working_hours(kyiv(2021, 8, 20, 17), 2) == kyiv(2021, 8, 25, 10)


def test_body_calendar_overrides_only_what_it_names():
    calendars = calendars_from_data({
        "default": {"extra_days_off": ["2026-03-09"]},
        "bodies": {"dispatch_1551": {"weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                     "periods": ["08:00-20:00"]},
                   "round_the_clock": {"weekdays": ["mon", "tue", "wed", "thu", "fri", "sat",
                                                    "sun"], "periods": ["00:00-24:00"]}},
    }, this_year=2026)
    friday_evening = kyiv(2026, 3, 6, 17)
    assert calendars.for_body("kyivavtodor").add_working_hours(friday_evening, 2) == \
        kyiv(2026, 3, 10, 10)  # weekend, then the extra day off
    assert calendars.for_body("dispatch_1551").add_working_hours(friday_evening, 4) == \
        kyiv(2026, 3, 7, 9)
    assert calendars.for_body("round_the_clock").add_working_hours(friday_evening, 10) == \
        kyiv(2026, 3, 7, 3)


@pytest.mark.parametrize("data, message", [
    ({"default": {"weekdays": ["someday"]}}, "unknown weekdays"),
    ({"default": {"periods": ["13:00-09:00"]}}, "ends before it begins"),
    ({"default": {"periods": ["09:00-13:00", "12:00-18:00"]}}, "overlap"),
    ({"default": {"periods": ["nine to five"]}}, "HH:MM-HH:MM"),
])
def test_broken_calendar_data_is_rejected(data, message):
    with pytest.raises(CalendarConfigError, match=message):
        calendars_from_data(data, this_year=2026)


def test_shipped_calendars_load():
    calendars = load_calendars(this_year=2026)
    assert calendars.default.periods == ((time(9), time(13)), (time(14), time(18)))
    assert 5 in calendars.for_body("dispatch_1551").working_weekdays


UA_ALL = public_holidays("UA", range(2019, 2031), observe_suspended=True)
HOLIDAY_CALENDAR = WorkingCalendar(holidays=UA_ALL)
starts = st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2029, 12, 31),
                      timezones=st.just(timezone.utc))
quarter_hours = st.integers(min_value=1, max_value=320).map(lambda q: q / 4)


@settings(max_examples=200, deadline=None)
@given(start=starts, hours=quarter_hours)
def test_deadline_never_falls_on_a_holiday_or_weekend_and_is_never_early(start, hours):
    due = HOLIDAY_CALENDAR.add_working_hours(start, hours)
    local = due.astimezone(KYIV)
    day = local.date() if local.time() != time(0) else local.date() - timedelta(days=1)
    assert day not in UA_ALL and day.weekday() < 5
    assert due - start >= timedelta(hours=hours)
    # Holidays only ever push a deadline later.
    assert due >= WorkingCalendar().add_working_hours(start, hours)


@settings(max_examples=150, deadline=None)
@given(start=starts, a=quarter_hours, b=quarter_hours)
def test_working_hours_add_up_across_holidays(start, a, b):
    calendar = HOLIDAY_CALENDAR
    assert calendar.add_working_hours(calendar.add_working_hours(start, a), b) == \
        calendar.add_working_hours(start, a + b)


@settings(max_examples=100, deadline=None)
@given(start=starts, hours=st.integers(1, 72))
def test_emergency_ignores_holidays(start, hours):
    leaf = SHIPPED.categories["housing.elevator.people_trapped"]
    hours_by_class = {"simple": hours, "standard": hours, "complex": hours}
    emergency = type(leaf)(leaf.code, leaf.name_uk, leaf.name_en, "leaf", leaf.parent, leaf.body,
                           deadline_hours=hours_by_class, emergency=True)
    assert deadline_for(emergency, "standard", HOLIDAY_CALENDAR, start) == \
        start + timedelta(hours=hours)


# --- the assignment's workflow -------------------------------------------------------------

NOW = kyiv(2026, 3, 2, 10)


def pothole(**kw):
    return assign_appeal(appeal_id="p1", appeal_version=1, category_code="roads.surface.pothole",
                         taxonomy=SHIPPED, calendar=Calendars(), now=NOW,
                         fallback_body="dispatch_1551", **kw)


def test_executor_takes_then_resolves_and_each_step_is_recorded():
    a = pothole()
    a.take(by="exec-1", at=NOW)
    a.resolve(by="exec-1", at=NOW, comment="patched")
    assert a.state == "resolved" and a.taken_by == "exec-1"
    assert [c.action for c in a.changes] == ["take", "resolve"]
    assert a.changes[0].before["state"] == "assigned" and a.changes[0].after["state"] == "in_progress"


@pytest.mark.parametrize("steps, illegal", [
    ([], "resolve"), (["take"], "take"), (["take", "resolve"], "take"),
    (["take", "resolve"], "resolve"),
])
def test_illegal_workflow_steps_name_the_current_state(steps, illegal):
    a = pothole()
    for step in steps:
        getattr(a, step)(by="e", at=NOW, **({"comment": "x"} if step == "resolve" else {}))
    state = a.state
    with pytest.raises(IllegalTransition) as err:
        getattr(a, illegal)(by="e", at=NOW, **({"comment": "x"} if illegal == "resolve" else {}))
    assert err.value.current.value == state


def test_complexity_recomputes_from_when_the_clock_started():
    a = pothole()
    later = NOW + timedelta(days=1)
    a.set_complexity("complex", taxonomy=SHIPPED, calendars=Calendars(), by="d", at=later)
    leaf = SHIPPED.categories["roads.surface.pothole"]
    assert a.due_at == deadline_for(leaf, "complex", WorkingCalendar(), NOW)


def test_extension_must_be_later_and_reasoned():
    a = pothole()
    with pytest.raises(DeadlineError, match="later"):
        a.extend(a.due_at, reason="more time", by="h", at=NOW)
    with pytest.raises(DeadlineError, match="reason"):
        a.extend(a.due_at + timedelta(days=1), reason="  ", by="h", at=NOW)
    previous = a.due_at
    assert a.extend(previous + timedelta(days=1), reason="asphalt plant closed", by="h",
                    at=NOW) == previous
    assert a.due_at == previous + timedelta(days=1)


@pytest.mark.parametrize("restart", [True, False])
def test_reassignment_restarts_the_clock_only_if_the_rule_says_so(restart):
    a = pothole()
    a.take(by="e", at=NOW)
    previous = a.due_at
    later = NOW + timedelta(days=3)
    a.reassign("territorial_control", reason="works by a contractor", restart_clock=restart,
               taxonomy=SHIPPED, calendars=Calendars(), by="d", at=later)
    assert a.state == "assigned" and a.body == "territorial_control" and a.taken_by is None
    leaf = SHIPPED.categories["roads.surface.pothole"]
    expected = deadline_for(leaf, a.complexity, WorkingCalendar(), later) if restart else previous
    assert a.due_at == expected


def test_finished_assignment_refuses_deadline_changes():
    a = pothole()
    a.finish("rejected", by="m", at=NOW, reason="spam")
    with pytest.raises(IllegalTransition):
        a.extend(a.due_at + timedelta(days=1), reason="why not", by="h", at=NOW)
    with pytest.raises(IllegalTransition):
        a.take(by="e", at=NOW)
