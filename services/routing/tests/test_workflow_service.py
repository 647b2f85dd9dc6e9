"""Interface tests of routing's staff workflow: a real nameko container against real RabbitMQ
and PostgreSQL, called with signed tokens exactly as the gateway calls it."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from hromada_common import events as ev
from hromada_common.auth import Unauthenticated
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound
from hromada_common.testing.helpers import publish_events
from routing.adapters.orm import AssignmentAuditRecord, TaxonomyAuditRecord, inbox

from .conftest import count_rows, submitted_event, wait_until_outbox_empty

MAIDAN = {"lat": 50.4501, "lon": 30.5234, "address": "Maidan Nezalezhnosti"}
OBOLON = {"lat": 50.512, "lon": 30.498, "address": "Obolonskyi Ave, 1"}


def call(container, method, *args, token=None):
    context = {"hromada.auth": token} if token else {}
    with entrypoint_hook(container, method, context_data=context) as hook:
        return hook(*args)


def assigned(listener, amqp_uri, **overrides) -> dict:
    envelope = submitted_event(**overrides)
    publish_events(amqp_uri, [envelope])
    (event,) = listener.wait_for(lambda e: e["type"] == ev.APPEAL_ASSIGNED
                                 and e["subject"] == envelope["subject"], timeout=15)
    return event["data"]


def events_of(listener, appeal_id, event_type, count=1):
    return listener.wait_for(lambda e: e["type"] == event_type and e["subject"] == appeal_id,
                             count=count, timeout=15)


def state_changed(appeal_id, version, state, previous, by="resident-1", reason=None):
    now = datetime.now(timezone.utc)
    return ev.make_event(ev.APPEAL_STATE_CHANGED, {
        "appeal_id": appeal_id, "appeal_version": version, "state": state,
        "previous_state": previous, "category": "roads.surface.pothole", "body": "kyivavtodor",
        "due_at": None, "author_id": "resident-1", "at": now, "by": by, "reason": reason,
        "cause": None,
    }, source="/hromada/intake", subject=appeal_id)


@pytest.fixture
def staff(signing_keys):
    class Staff:
        def executor(self, body="kyivavtodor"):
            return signing_keys.token_for(None, "executor", body=body)

        def head(self, body="kyivavtodor"):
            return signing_keys.token_for(None, "head", body=body)

        def dispatcher(self):
            return signing_keys.token_for(None, "dispatcher")

        def admin(self):
            return signing_keys.token_for(None, "admin")

        def resident(self):
            return signing_keys.token_for(None, "resident")

    return Staff()


# --- rules and districts --------------------------------------------------------------------

def test_housing_appeal_in_obolon_goes_to_the_district_housing_company(
        seeded_routing, listener, amqp_uri, staff):
    data = assigned(listener, amqp_uri, category="housing.building.roof_leak", location=OBOLON)
    assert data["body"] == "housing_obolonskyi" and data["district"] == "obolonskyi"
    assert data["rule"].startswith("rule: building maintenance")
    view = call(seeded_routing, "get_assignment", data["appeal_id"], token=staff.dispatcher())
    assert view["district"] == "obolonskyi" and view["state"] == "assigned"


def test_appeal_outside_every_district_is_assigned_without_a_district(
        seeded_routing, listener, amqp_uri):
    lviv = {"lat": 49.84, "lon": 24.03, "address": "Rynok Sq, 1, Lviv"}
    data = assigned(listener, amqp_uri, category="housing.building.roof_leak", location=lviv)
    assert data["district"] is None
    assert data["body"] == "district_housing"  # the category's default body, no district rule


# --- the executor's workflow ----------------------------------------------------------------

def test_executor_takes_and_resolves_and_each_step_is_published(
        seeded_routing, listener, amqp_uri, routing_engine, staff):
    appeal_id = assigned(listener, amqp_uri, location=MAIDAN)["appeal_id"]
    executor = staff.executor()
    taken = call(seeded_routing, "take_appeal", appeal_id, token=executor)
    assert taken["state"] == "in_progress"
    (event,) = events_of(listener, appeal_id, ev.APPEAL_TAKEN)
    assert event["data"]["body"] == "kyivavtodor"
    resolved = call(seeded_routing, "resolve_appeal", appeal_id,
                    {"comment": "Patched with hot asphalt", "photo_ref": "att-1"}, token=executor)
    assert resolved["state"] == "resolved"
    (event,) = events_of(listener, appeal_id, ev.APPEAL_RESOLVED)
    assert event["data"]["comment"] == "Patched with hot asphalt"
    assert event["data"]["photo_ref"] == "att-1"
    assert count_rows(routing_engine, AssignmentAuditRecord.__table__,
                      AssignmentAuditRecord.appeal_id == appeal_id) == 2


def test_illegal_steps_are_conflicts_naming_the_current_state(
        seeded_routing, listener, amqp_uri, staff):
    appeal_id = assigned(listener, amqp_uri)["appeal_id"]
    executor = staff.executor()
    with pytest.raises(Conflict) as err:
        call(seeded_routing, "resolve_appeal", appeal_id, {"comment": "done"}, token=executor)
    assert err.value.extra == {"state": "assigned"} and "assigned" in err.value.detail
    call(seeded_routing, "take_appeal", appeal_id, token=executor)
    with pytest.raises(Conflict) as err:
        call(seeded_routing, "take_appeal", appeal_id, token=executor)
    assert err.value.extra == {"state": "in_progress"}


def test_only_the_responsible_body_acts_and_unknown_appeals_are_not_found(
        seeded_routing, listener, amqp_uri, staff):
    appeal_id = assigned(listener, amqp_uri)["appeal_id"]
    with pytest.raises(Forbidden):
        call(seeded_routing, "take_appeal", appeal_id, token=staff.executor("kyivmiskvitlo"))
    with pytest.raises(Forbidden):
        call(seeded_routing, "take_appeal", appeal_id, token=staff.resident())
    with pytest.raises(Unauthenticated):
        call(seeded_routing, "take_appeal", appeal_id)
    with pytest.raises(NotFound):
        call(seeded_routing, "take_appeal", str(uuid.uuid4()), token=staff.executor())
    with pytest.raises(InvalidInput) as err:
        call(seeded_routing, "resolve_appeal", appeal_id, {"comment": ""}, token=staff.head())
    assert "comment" in err.value.fields


# --- complexity, extension, reassignment ----------------------------------------------------

def test_dispatcher_sets_complexity_and_the_deadline_is_recomputed(
        seeded_routing, listener, amqp_uri, staff):
    data = assigned(listener, amqp_uri)
    appeal_id = data["appeal_id"]
    with pytest.raises(Forbidden):
        call(seeded_routing, "set_complexity", appeal_id, {"complexity": "complex"},
             token=staff.executor())
    view = call(seeded_routing, "set_complexity", appeal_id, {"complexity": "complex"},
                token=staff.dispatcher())
    assert view["complexity"] == "complex"
    assert datetime.fromisoformat(view["due_at"]) > datetime.fromisoformat(data["due_at"])
    (event,) = events_of(listener, appeal_id, ev.APPEAL_DEADLINE_CHANGED)
    assert event["data"]["kind"] == "complexity"
    assert event["data"]["previous_due_at"] == data["due_at"]


def test_only_the_head_of_the_body_extends_with_a_reason_to_a_later_time(
        seeded_routing, listener, amqp_uri, staff):
    data = assigned(listener, amqp_uri)
    appeal_id, due = data["appeal_id"], datetime.fromisoformat(data["due_at"])
    later = (due + timedelta(days=5)).isoformat()
    for token in (staff.executor(), staff.head("kyivmiskvitlo"), staff.dispatcher()):
        with pytest.raises(Forbidden):
            call(seeded_routing, "extend_deadline", appeal_id,
                 {"until": later, "reason": "asphalt plant closed"}, token=token)
    with pytest.raises(InvalidInput) as err:
        call(seeded_routing, "extend_deadline", appeal_id, {"until": later}, token=staff.head())
    assert "reason" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        call(seeded_routing, "extend_deadline", appeal_id,
             {"until": data["due_at"], "reason": "asphalt plant closed"}, token=staff.head())
    assert "until" in err.value.fields
    view = call(seeded_routing, "extend_deadline", appeal_id,
                {"until": later, "reason": "asphalt plant closed"}, token=staff.head())
    assert datetime.fromisoformat(view["due_at"]) == due + timedelta(days=5)
    (event,) = events_of(listener, appeal_id, ev.APPEAL_DEADLINE_CHANGED)
    assert event["data"]["kind"] == "extension"
    assert event["data"]["reason"] == "asphalt plant closed"
    history = call(seeded_routing, "get_assignment", appeal_id, token=staff.admin())["history"]
    assert history[-1]["action"] == "extension" and history[-1]["reason"]


@pytest.mark.parametrize("restart", [True, False])
def test_reassignment_publishes_a_new_assignment_and_restarts_the_clock_if_configured(
        container_factory, routing_config, listener, amqp_uri, staff, restart):
    from routing.service import RoutingService

    container = container_factory(RoutingService,
                                  dict(routing_config, REASSIGN_RESTARTS_CLOCK=restart))
    container.start()
    listener.wait_for(lambda e: e["type"] == ev.TAXONOMY_PUBLISHED, timeout=15)
    data = assigned(listener, amqp_uri)
    appeal_id = data["appeal_id"]
    # An extension first, so a restarted clock shows whatever the time of day.
    extended = (datetime.fromisoformat(data["due_at"]) + timedelta(days=90)).isoformat()
    call(container, "extend_deadline", appeal_id,
         {"until": extended, "reason": "waiting for the season"}, token=staff.admin())
    events_of(listener, appeal_id, ev.APPEAL_DEADLINE_CHANGED)
    with pytest.raises(InvalidInput) as err:
        call(container, "reassign", appeal_id, {"body": "nobody", "reason": "wrong body"},
             token=staff.dispatcher())
    assert "body" in err.value.fields
    view = call(container, "reassign", appeal_id,
                {"body": "territorial_control", "reason": "damage after utility works"},
                token=staff.dispatcher())
    assert view["body"] == "territorial_control"
    events = events_of(listener, appeal_id, ev.APPEAL_ASSIGNED, count=2)
    assert events[-1]["data"]["body"] == "territorial_control"
    # The reassignment names the appeal's district too, the same as the first assignment.
    assert data["district"] == "shevchenkivskyi"
    assert events[-1]["data"]["district"] == data["district"]
    if restart:
        assert datetime.fromisoformat(view["due_at"]) < datetime.fromisoformat(extended)
    else:
        assert datetime.fromisoformat(view["due_at"]) == datetime.fromisoformat(extended)
    wait_until_outbox_empty_of(container)
    changed = events_of(listener, appeal_id, ev.APPEAL_DEADLINE_CHANGED)
    assert [e["data"]["kind"] for e in changed] == (
        ["extension", "reassignment"] if restart else ["extension"])


def wait_until_outbox_empty_of(container):
    from hromada_common.db import make_engine

    engine = make_engine(container.config["DATABASE_URL"], pool_size=1)
    try:
        wait_until_outbox_empty(engine)
    finally:
        engine.dispose()


# --- intake's state changes -----------------------------------------------------------------

def test_rework_restarts_the_deadline_and_rejection_finishes_once(
        seeded_routing, listener, amqp_uri, routing_engine, staff):
    appeal_id = assigned(listener, amqp_uri)["appeal_id"]
    executor = staff.executor()
    call(seeded_routing, "take_appeal", appeal_id, token=executor)
    call(seeded_routing, "resolve_appeal", appeal_id, {"comment": "done"}, token=executor)
    rework = state_changed(appeal_id, 5, "rework", "resolved", reason="still a hole")
    for _ in range(2):  # redelivered: applied once
        with entrypoint_waiter(seeded_routing, "handle_appeal_state_changed", timeout=10):
            publish_events(amqp_uri, [rework])
    view = call(seeded_routing, "get_assignment", appeal_id, token=staff.dispatcher())
    assert view["state"] == "rework"
    (event,) = events_of(listener, appeal_id, ev.APPEAL_DEADLINE_CHANGED)
    assert event["data"]["kind"] == "rework" and event["data"]["reason"] == "still a hole"
    assert count_rows(routing_engine, inbox, inbox.c.event_id == rework["id"]) == 1
    # The rework goes back to the same executor: take again and resolve.
    call(seeded_routing, "take_appeal", appeal_id, token=executor)
    stale = state_changed(appeal_id, 4, "archived", "resolved", by="staff-1", reason="old")
    closed = state_changed(appeal_id, 8, "closed", "resolved")
    for envelope in (stale, closed):
        with entrypoint_waiter(seeded_routing, "handle_appeal_state_changed", timeout=10):
            publish_events(amqp_uri, [envelope])
    view = call(seeded_routing, "get_assignment", appeal_id, token=staff.dispatcher())
    assert view["state"] == "closed" and view["finished"] is True
    with pytest.raises(Conflict) as err:
        call(seeded_routing, "take_appeal", appeal_id, token=executor)
    assert err.value.extra == {"state": "closed"}


# --- queues ---------------------------------------------------------------------------------

def test_body_queue_lists_open_appeals_overdue_first_then_by_time_left(
        seeded_routing, listener, amqp_uri, staff):
    body = "kyivmiskvitlo"
    ids = [assigned(listener, amqp_uri, category="lighting.street.lamp_out")["appeal_id"]
           for _ in range(3)]
    head = staff.head(body)
    now = datetime.now(timezone.utc)
    # Push the first far out, the second a bit; leave the third as assigned.
    call(seeded_routing, "extend_deadline", ids[0],
         {"until": (now + timedelta(days=60)).isoformat(), "reason": "waiting for parts"},
         token=head)
    call(seeded_routing, "extend_deadline", ids[1],
         {"until": (now + timedelta(days=30)).isoformat(), "reason": "waiting for parts"},
         token=head)
    closed = state_changed(ids[2], 9, "rejected", "assigned", by="moderator", reason="spam")
    fresh = assigned(listener, amqp_uri, category="lighting.street.lamp_out")["appeal_id"]
    with entrypoint_waiter(seeded_routing, "handle_appeal_state_changed", timeout=10):
        publish_events(amqp_uri, [closed])
    first = call(seeded_routing, "body_queue", body, {"limit": 2}, token=staff.executor(body))
    rest = call(seeded_routing, "body_queue", body, {"limit": 2, "cursor": first["next_cursor"]},
                token=staff.executor(body))
    listed = [i["appeal_id"] for i in first["items"] + rest["items"]]
    assert ids[2] not in listed
    assert listed.index(fresh) < listed.index(ids[1]) < listed.index(ids[0])
    dues = [i["due_at"] for i in first["items"] + rest["items"]]
    assert dues == sorted(dues, key=datetime.fromisoformat)
    item = first["items"][0]
    assert set(item) >= {"appeal_id", "category", "body", "district", "complexity", "due_at",
                         "state", "overdue", "escalated"}
    with pytest.raises(Forbidden):
        call(seeded_routing, "body_queue", body, {}, token=staff.executor("kyivavtodor"))
    with pytest.raises(NotFound):
        call(seeded_routing, "body_queue", "nobody", {}, token=staff.dispatcher())


def test_dispatcher_queue_holds_what_no_rule_covered(seeded_routing, listener, amqp_uri, staff):
    appeal_id = assigned(listener, amqp_uri, category="roads.surface.flying_cars")["appeal_id"]
    queue = call(seeded_routing, "dispatcher_queue", {"limit": 200}, token=staff.dispatcher())
    assert appeal_id in [i["appeal_id"] for i in queue["items"]]
    with pytest.raises(Forbidden):
        call(seeded_routing, "dispatcher_queue", {}, token=staff.executor())


# --- taxonomy management --------------------------------------------------------------------

LEAF = {
    "code": "roads.surface.rut", "name": {"uk": "Колія", "en": "Rut"}, "parent": "roads.surface",
    "level": "leaf", "body": "kyivavtodor",
    "deadline_hours": {"simple": 8, "standard": 40, "complex": 120},
    "fields": [{"name": "depth_cm", "type": "number", "required": True,
                "label": {"uk": "Глибина, см", "en": "Depth, cm"}}],
}


def test_administrator_creates_and_changes_categories_and_each_change_is_published(
        seeded_routing, listener, routing_engine, staff):
    with pytest.raises(Forbidden):
        call(seeded_routing, "create_category", LEAF, token=staff.dispatcher())
    created = call(seeded_routing, "create_category", LEAF, token=staff.admin())
    assert created["taxonomy_version"] == 2
    published = listener.wait_for(lambda e: e["type"] == ev.TAXONOMY_PUBLISHED
                                  and e["data"]["taxonomy_version"] == 2, timeout=15)
    assert "roads.surface.rut" in [c["code"] for c in published[0]["data"]["categories"]]
    moved = call(seeded_routing, "update_category", "roads.surface.rut",
                 {"parent": "roads.winter", "name": {"uk": "Колійність", "en": "Rutting"}},
                 token=staff.admin())
    assert moved["parent"] == "roads.winter" and moved["taxonomy_version"] == 3
    retired = call(seeded_routing, "update_category", "roads.surface.rut", {"active": False},
                   token=staff.admin())
    assert retired["active"] is False and retired["taxonomy_version"] == 4
    listener.wait_for(lambda e: e["type"] == ev.TAXONOMY_PUBLISHED
                      and e["data"]["taxonomy_version"] == 4, timeout=15)
    with routing_engine.connect() as connection:
        actions = connection.execute(
            TaxonomyAuditRecord.__table__.select()
            .where(TaxonomyAuditRecord.code == "roads.surface.rut")
            .order_by(TaxonomyAuditRecord.id)).all()
    assert [a.action for a in actions] == ["create", "update", "deactivate"]
    assert actions[1].before["parent"] == "roads.surface"
    assert actions[1].after["parent"] == "roads.winter"
    everything = call(seeded_routing, "list_categories", True)
    assert "roads.surface.rut" in [c["code"] for c in everything]  # deactivated, never deleted


@pytest.mark.parametrize("payload, fields", [
    (dict(LEAF, code="roads.surface.pothole"), {"code"}),
    (dict(LEAF, parent="roads"), {"parent"}),
    (dict(LEAF, body="nobody"), {"body"}),
    (dict(LEAF, deadline_hours={"simple": 40, "standard": 8, "complex": 120}),
     {"deadline_hours.standard"}),
    (dict(LEAF, fields=[{"name": "kind", "type": "choice", "required": True,
                         "label": {"uk": "Вид", "en": "Kind"}}]), {"fields.0.choices"}),
    ({"code": "roads.extra", "name": {"uk": "x", "en": "x"}, "level": "category",
      "parent": "roads", "body": "kyivavtodor"}, {"body"}),
])
def test_invalid_categories_are_refused_field_by_field(seeded_routing, staff, payload, fields):
    with pytest.raises(InvalidInput) as err:
        call(seeded_routing, "create_category", payload, token=staff.admin())
    assert set(err.value.fields) == fields


def test_unknown_category_is_not_found_and_there_is_no_delete(seeded_routing, staff):
    with pytest.raises(NotFound):
        call(seeded_routing, "update_category", "roads.nothing", {"active": False},
             token=staff.admin())
    from routing.service import RoutingService
    assert not hasattr(RoutingService, "delete_category")


def test_list_districts_is_public_with_both_names(seeded_routing):
    districts = call(seeded_routing, "list_districts")
    by_code = {d["code"]: d for d in districts}
    assert {"podilskyi", "obolonskyi", "darnytskyi"} <= set(by_code)
    assert by_code["podilskyi"]["name"] == {"uk": "Подільський район",
                                            "en": "Podilskyi district"}


def test_list_bodies_is_public(seeded_routing):
    bodies = call(seeded_routing, "list_bodies")
    codes = {b["code"] for b in bodies}
    assert {"dispatch_1551", "housing_obolonskyi", "parks_darnytskyi"} <= codes
