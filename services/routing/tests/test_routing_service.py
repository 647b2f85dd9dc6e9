"""Interface tests of the routing service: a real nameko container against real RabbitMQ (a
throwaway vhost) and real PostgreSQL (a throwaway database migrated with Alembic)."""
import json
import time
import uuid
from datetime import datetime, timezone

from kombu import Connection
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from sqlalchemy import select

from hromada_common import events as ev
from hromada_common.testing.helpers import publish_events, wait_until
from routing.adapters.orm import AssignmentRecord, CategoryRecord, TaxonomyMeta, inbox
from routing.adapters.taxonomy_file import load_taxonomy_file
from routing.service_layer.handlers import CONSUMER

from .conftest import count_rows, submitted_event, wait_until_outbox_empty

DEAD_LETTER_QUEUE = f"routing.{ev.APPEAL_SUBMITTED}.dead"
RETIRED_LEAF = "transport.tickets.paper_ticket_machine"


def assigned_events_for(listener, appeal_id: str) -> list[dict]:
    return listener.wait_for(lambda e: e["type"] == ev.APPEAL_ASSIGNED
                             and e["subject"] == appeal_id)


def assigned_once(listener, engine, appeal_id: str) -> dict:
    """The one assignment event of an appeal, after routing has published all it committed."""
    assigned_events_for(listener, appeal_id)
    wait_until_outbox_empty(engine)
    events = assigned_events_for(listener, appeal_id)
    assert len(events) == 1, events
    assert count_rows(engine, AssignmentRecord.__table__,
                      AssignmentRecord.appeal_id == appeal_id) == 1
    return events[0]


def test_routing_seeds_the_default_taxonomy_and_publishes_it_on_start(
        routing_container, listener, routing_engine):
    shipped = load_taxonomy_file()
    (published,) = listener.wait_for(lambda e: e["type"] == ev.TAXONOMY_PUBLISHED, timeout=15)
    assert published["source"] == "/hromada/routing"
    _, data = ev.parse_event(published, ev.TAXONOMY_PUBLISHED)
    assert data["taxonomy_version"] == shipped.version
    assert [c["code"] for c in data["categories"]] == list(shipped.categories)
    pothole = next(c for c in data["categories"] if c["code"] == "roads.surface.pothole")
    assert pothole["body"] == "kyivavtodor" and pothole["level"] == "leaf"
    retired = next(c for c in data["categories"] if c["code"] == RETIRED_LEAF)
    assert retired["active"] is False
    assert count_rows(routing_engine, TaxonomyMeta.__table__) == 1
    assert count_rows(routing_engine, CategoryRecord.__table__) == len(shipped.categories)


def test_list_categories_returns_the_active_taxonomy_in_file_order(seeded_routing):
    shipped = load_taxonomy_file()
    with entrypoint_hook(seeded_routing, "list_categories") as list_categories:
        active = list_categories()
        everything = list_categories(include_inactive=True)
    assert [c["code"] for c in everything] == list(shipped.categories)
    assert [c["code"] for c in active] == [c.code for c in shipped.categories.values()
                                           if c.active]
    assert RETIRED_LEAF not in {c["code"] for c in active}
    assert {c["level"] for c in active} == {"domain", "category", "leaf"}
    lamp = next(c for c in active if c["code"] == "lighting.street.lamp_out")
    assert lamp["body"] == "kyivmiskvitlo" and lamp["parent"] == "lighting.street"
    assert set(lamp["deadline_hours"]) == {"simple", "standard", "complex"}
    assert lamp["name"]["uk"] and lamp["name"]["en"]
    assert any(f["required"] for f in lamp["fields"])
    domain = next(c for c in active if c["level"] == "domain")
    assert domain["parent"] is None and domain["body"] is None


def test_submitted_appeal_is_assigned_to_its_category_body_once(
        seeded_routing, listener, routing_engine, amqp_uri):
    envelope = submitted_event(category="lighting.street.lamp_out", appeal_version=2)
    appeal_id = envelope["subject"]
    publish_events(amqp_uri, [envelope])
    event = assigned_once(listener, routing_engine, appeal_id)
    _, data = ev.parse_event(event, ev.APPEAL_ASSIGNED)
    assert event["source"] == "/hromada/routing" and event["actor"] == "routing"
    assert event["correlationid"] == envelope["correlationid"]
    assert data["appeal_id"] == appeal_id and data["appeal_version"] == 2
    assert data["category"] == "lighting.street.lamp_out"
    assert data["body"] == "kyivmiskvitlo"
    assert data["rule"] == "category default body"
    assert data["district"] == "shevchenkivskyi"  # Khreshchatyk St, 22
    assert data["complexity"] == load_taxonomy_file().categories[
        "lighting.street.lamp_out"].default_complexity
    now = datetime.now(timezone.utc)
    assert data["assigned_at"] <= now < data["due_at"]
    with routing_engine.connect() as connection:
        row = connection.execute(select(AssignmentRecord.__table__).where(
            AssignmentRecord.appeal_id == appeal_id)).one()
    assert row.body == "kyivmiskvitlo" and row.due_at == data["due_at"]
    assert count_rows(routing_engine, inbox, inbox.c.event_id == envelope["id"],
                      inbox.c.consumer == CONSUMER) == 1


def test_appeal_in_a_category_routing_does_not_know_goes_to_the_dispatch_centre(
        seeded_routing, listener, routing_engine, amqp_uri):
    envelope = submitted_event(category="roads.surface.flying_cars")
    publish_events(amqp_uri, [envelope])
    data = assigned_once(listener, routing_engine, envelope["subject"])["data"]
    assert data["body"] == "dispatch_1551"
    assert "fallback" in data["rule"]
    assert datetime.fromisoformat(data["due_at"]) > datetime.now(timezone.utc)


def test_redelivered_submission_is_assigned_only_once(
        seeded_routing, listener, routing_engine, amqp_uri):
    envelope = submitted_event()
    with entrypoint_waiter(seeded_routing, "handle_appeal_submitted", timeout=10):
        publish_events(amqp_uri, [envelope])
    with entrypoint_waiter(seeded_routing, "handle_appeal_submitted", timeout=10):
        publish_events(amqp_uri, [envelope])  # the broker redelivers: same event id
    event = assigned_once(listener, routing_engine, envelope["subject"])
    assert event["data"]["body"] == "kyivavtodor"
    assert count_rows(routing_engine, inbox, inbox.c.event_id == envelope["id"]) == 1


def test_two_submitted_events_of_one_appeal_racing_give_one_assignment(
        seeded_routing, listener, routing_engine, amqp_uri):
    first = submitted_event()
    # The same appeal announced again under a new event id (e.g. intake re-sent it).
    again = ev.make_event(ev.APPEAL_SUBMITTED, dict(ev.parse_event(first)[1], appeal_version=2),
                          source="/hromada/intake", subject=first["subject"])
    assert again["id"] != first["id"]
    publish_events(amqp_uri, [first, again])  # one batch: handled concurrently
    wait_until(lambda: count_rows(routing_engine, inbox,
                                  inbox.c.event_id.in_([first["id"], again["id"]])) == 2,
               timeout=15, message="both events processed")
    event = assigned_once(listener, routing_engine, first["subject"])
    assert event["data"]["appeal_version"] in (1, 2)


def dead_lettered(amqp_uri: str, event_id: str):
    """Take the dead-lettered copy of an event off the routing DLQ, if it is there."""
    found = None
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        while (message := channel.basic_get(DEAD_LETTER_QUEUE, no_ack=True)) is not None:
            if json.loads(message.body)["id"] == event_id:
                found = message
    return found


def test_submitted_event_breaking_its_contract_is_dead_lettered_at_once(
        seeded_routing, listener, routing_engine, amqp_uri):
    valid = submitted_event()
    data = dict(valid["data"])
    del data["category"]
    poison = dict(valid, id=str(uuid.uuid4()), data=data)
    started = time.monotonic()
    publish_events(amqp_uri, [poison])
    dead = wait_until(lambda: dead_lettered(amqp_uri, poison["id"]), timeout=10,
                      message="the poison event in the dead-letter queue")
    # Retries wait 1 s each in tests: a contract violation skips all of them.
    assert time.monotonic() - started < 1
    headers = dead.headers
    assert headers["x-hromada-attempt"] == 1
    assert "InvalidEvent" in headers["x-hromada-error"] and "category" in headers["x-hromada-error"]
    assert "Traceback" in headers["x-hromada-traceback"]
    assert count_rows(routing_engine, AssignmentRecord.__table__,
                      AssignmentRecord.appeal_id == poison["subject"]) == 0
    assert count_rows(routing_engine, inbox, inbox.c.event_id == poison["id"]) == 0
    # the service goes on: the next, valid submission is assigned
    publish_events(amqp_uri, [valid])
    assigned_once(listener, routing_engine, valid["subject"])


def test_health_reports_the_database(seeded_routing):
    with entrypoint_hook(seeded_routing, "health") as health:
        result = health()
    assert result["database"] == "ok" and result["broker"] == "ok"


def test_two_instances_on_one_database_seed_the_taxonomy_once(
        container_factory, routing_config, routing_engine, listener, monkeypatch):
    from routing.service import RoutingService
    from routing.service_layer import handlers

    seeded = []
    real_seed = handlers.seed_taxonomy

    def recording_seed(uow, taxonomy):
        result = real_seed(uow, taxonomy)
        seeded.append(result)
        return result

    monkeypatch.setattr(handlers, "seed_taxonomy", recording_seed)
    first = container_factory(RoutingService, routing_config)
    second = container_factory(RoutingService, dict(routing_config))
    first.start()
    second.start()
    wait_until(lambda: len(seeded) == 2, timeout=15, message="both instances to try seeding")
    assert sorted(seeded) == [False, True]  # exactly one instance seeded
    # The other one published the taxonomy it found instead: two announcements, one version.
    published = listener.wait_for(lambda e: e["type"] == ev.TAXONOMY_PUBLISHED, count=2,
                                  timeout=15)
    wait_until_outbox_empty(routing_engine)
    published = listener.wait_for(lambda e: e["type"] == ev.TAXONOMY_PUBLISHED)
    assert len(published) == 2
    assert {e["data"]["taxonomy_version"] for e in published} == {1}
    with routing_engine.connect() as connection:
        assert connection.execute(select(TaxonomyMeta.version)).scalars().all() == [1]
    assert count_rows(routing_engine, CategoryRecord.__table__) == len(
        load_taxonomy_file().categories)
    for container in (first, second):
        with entrypoint_hook(container, "health") as health:
            assert health()["database"] == "ok"
