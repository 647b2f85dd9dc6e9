"""Unit tests of the appeal aggregate: plain Python, no broker, no database."""
from datetime import datetime, timedelta, timezone

import pytest

from hromada_common.lifecycle import AppealState, IllegalTransition
from intake.domain.model import (
    Appeal,
    AppealStateChanged,
    AppealSubmitted,
    CityBounds,
    Location,
    extra_field_errors,
    unknown_category_reason,
)

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)


def new_appeal():
    return Appeal.submit(id="a-1", title="t", description="d", category="roads.surface.pothole",
                         location=Location(50.45, 30.52, "addr"), author_id="r-1",
                         channel="web", extra_fields={}, now=NOW)


def test_submitted_appeal_starts_at_version_one_with_history_and_event():
    appeal = new_appeal()
    assert appeal.state is AppealState.SUBMITTED
    assert appeal.version == 1
    assert [(h.state, h.by) for h in appeal.history] == [(AppealState.SUBMITTED, "r-1")]
    assert [type(e) for e in appeal.events] == [AppealSubmitted]


def test_assignment_moves_to_assigned_and_grows_version_and_history():
    appeal = new_appeal()
    appeal.events.clear()
    due = NOW + timedelta(days=2)
    appeal.assign(body="kyivavtodor", due_at=due, complexity="standard", at=NOW, by="routing",
                  cause="evt-1")
    assert (appeal.state, appeal.version, appeal.body, appeal.due_at) == (
        AppealState.ASSIGNED, 2, "kyivavtodor", due)
    assert appeal.history[-1].cause == "evt-1"
    (change,) = appeal.events
    assert isinstance(change, AppealStateChanged)
    assert change.previous_state is AppealState.SUBMITTED


def test_closed_appeal_cannot_be_assigned_again():
    appeal = new_appeal()
    appeal.state = AppealState.CLOSED
    with pytest.raises(IllegalTransition) as err:
        appeal.assign(body="b", due_at=NOW, complexity="standard", at=NOW, by="routing", cause="e")
    assert "closed" in str(err.value)
    assert appeal.version == 1


def test_rejection_keeps_its_reason_and_code_in_the_history():
    appeal = new_appeal()
    appeal.events.clear()
    appeal.reject(reason="  buy cheap watches  ", reason_code="spam", at=NOW, by="mod-1")
    entry = appeal.history[-1]
    assert (entry.state, entry.note, entry.reason_code, entry.by) == (
        AppealState.REJECTED, "buy cheap watches", "spam", "mod-1")
    (change,) = appeal.events
    assert change.entry is entry and change.previous_state is AppealState.SUBMITTED
    assert appeal.history[0].reason_code is None


def test_city_bounds():
    bounds = CityBounds(50.2, 30.2, 50.6, 30.8)
    assert bounds.contains(50.45, 30.52)
    assert not bounds.contains(49.8, 24.0)  # Lviv


@pytest.mark.parametrize("code, expected", [
    ("nope", "unknown category"),
    ("roads", "choose one of its subcategories"),
    ("old", "no longer takes appeals"),
])
def test_category_must_be_an_active_leaf(code, expected):
    categories = {"roads": {"level": "domain", "active": True},
                  "old": {"level": "leaf", "active": False},
                  "ok": {"level": "leaf", "active": True}}
    assert expected in unknown_category_reason(code, categories)
    assert unknown_category_reason("ok", categories) is None


def test_extra_fields_are_checked_by_type_and_requirement():
    definitions = [
        {"name": "lamp_post_number", "type": "text", "required": True},
        {"name": "flats", "type": "number", "required": False},
        {"name": "container", "type": "choice", "required": False, "choices": ["euro", "bunker"]},
    ]
    assert extra_field_errors(definitions, {"lamp_post_number": "A-17"}) == {}
    errors = extra_field_errors(definitions, {"flats": "many", "container": "box", "colour": "red"})
    assert set(errors) == {"fields.lamp_post_number", "fields.flats", "fields.container",
                           "fields.colour"}
