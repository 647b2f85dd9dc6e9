"""Durable SLA timers against real PostgreSQL and RabbitMQ: routing containers fire warning,
breach and escalation events (published straight from the claimed timers, with confirms),
once each, across instances and restarts."""
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from nameko.testing.utils import get_extension
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker

from hromada_common import events as ev
from hromada_common.testing.helpers import publish_events
from routing.adapters.orm import AssignmentRecord, SlaTimerRecord, inbox, outbox
from routing.adapters.timer_runner import SlaTimerRunner
from routing.adapters.uow import RoutingUnitOfWork
from routing.domain.sla import SlaPolicy
from routing.service_layer import sla

from .conftest import submitted_event, wait_until_outbox_empty

SLA_TYPES = {ev.SLA_WARNING: "warning", ev.SLA_BREACHED: "breach",
             ev.APPEAL_ESCALATED: "escalation"}
GRACE = timedelta(seconds=1.2)
POLICY = SlaPolicy(warning_share=0.75, escalation_delay=GRACE)


@pytest.fixture
def sla_config(routing_config):
    return {**routing_config, "SLA_POLL_INTERVAL": 0.2,
            "SLA_ESCALATION_DELAY_MINUTES": GRACE.total_seconds() / 60}


@pytest.fixture
def start_routing(container_factory, sla_config, listener):
    """Start one more routing instance on the test's database and vhost."""
    from routing.service import RoutingService

    def start():
        container = container_factory(RoutingService, sla_config)
        container.start()
        return container

    return start


@pytest.fixture
def uow_factory(routing_engine):
    sessions = sessionmaker(routing_engine, expire_on_commit=False)
    return lambda: RoutingUnitOfWork(sessions, outbox, inbox, "/hromada/routing")


def now() -> datetime:
    return datetime.now(timezone.utc)


def new_assignment(due_in: float, *, allotted: float | None = None, body="kyivavtodor",
                   state=None) -> SimpleNamespace:
    at = now()
    due_at = at + timedelta(seconds=due_in)
    assigned_at = due_at - timedelta(seconds=allotted if allotted is not None else due_in)
    return SimpleNamespace(appeal_id=str(uuid.uuid4()), body=body, assigned_at=assigned_at,
                           due_at=due_at, state=state)


def store(uow_factory, *assignments, policy=POLICY) -> None:
    """Create the assignments and schedule their timers in one transaction, as routing does."""
    with uow_factory() as uow:
        for a in assignments:
            # Only the columns the SLA needs; the workflow's own columns keep their defaults.
            uow.session.execute(text(
                "INSERT INTO assignments (appeal_id, appeal_version, category, body, complexity,"
                " due_at, assigned_at, rule) VALUES (:appeal_id, 1, 'roads.surface.pothole',"
                " :body, 'standard', :due_at, :assigned_at, 'test')"
            ), {"appeal_id": a.appeal_id, "body": a.body, "due_at": a.due_at,
                "assigned_at": a.assigned_at})
            sla.on_assignment_changed(uow, a, policy)
        uow.commit()


def change(uow_factory, assignment, policy=POLICY) -> None:
    with uow_factory() as uow:
        sla.on_assignment_changed(uow, assignment, policy)
        uow.commit()


def timers_of(engine, appeal_id: str) -> list:
    with engine.connect() as connection:
        return connection.execute(
            select(SlaTimerRecord.__table__).where(SlaTimerRecord.appeal_id == appeal_id)
            .order_by(SlaTimerRecord.id)
        ).all()


def sla_events(listener, appeal_ids=None) -> list[dict]:
    listener._drain()
    return [e for e in listener.received if e["type"] in SLA_TYPES
            and (appeal_ids is None or e["subject"] in appeal_ids)]


def received_at(listener, appeal_ids, count, timeout):
    """Wait for ``count`` SLA events of these appeals; return them with their arrival time."""
    arrivals = {}
    deadline = time.monotonic() + timeout
    while len(arrivals) < count:
        for e in sla_events(listener, appeal_ids):
            arrivals.setdefault(e["id"], (e, now()))
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(arrivals)} of {count} SLA events within {timeout}s")
        time.sleep(0.02)
    return list(arrivals.values())


def assert_each_timer_fired_once(listener, engine, appeal_ids, kinds_per_appeal=3):
    wait_until_outbox_empty(engine, timeout=30)
    time.sleep(0.5)  # anything fired twice would have been published by now
    received = sla_events(listener, set(appeal_ids))
    # Delivery is at least once: a runner killed between the broker's confirms and its commit
    # leaves those timers pending, the next round publishes them again with the same event
    # ids (routing.domain.sla.timer_event_id), and consumers drop the copies. What must never
    # happen is a timer firing twice, i.e. two *different* events for one timer.
    events = list({e["id"]: e for e in received}.values())
    per_timer = Counter((e["subject"], SLA_TYPES[e["type"]]) for e in events)
    assert set(per_timer.values()) == {1}, [k for k, n in per_timer.items() if n > 1]
    assert len(per_timer) == len(appeal_ids) * kinds_per_appeal
    return events


def test_every_new_assignment_gets_its_three_timers(
        start_routing, listener, routing_engine, amqp_uri):
    start_routing()
    listener.wait_for(lambda e: e["type"] == ev.TAXONOMY_PUBLISHED, timeout=15)
    envelope = submitted_event(category="lighting.street.lamp_out")
    publish_events(amqp_uri, [envelope])
    (assigned,) = listener.wait_for(lambda e: e["type"] == ev.APPEAL_ASSIGNED
                                    and e["subject"] == envelope["subject"], timeout=15)
    _, data = ev.parse_event(assigned, ev.APPEAL_ASSIGNED)
    timers = {t.kind: t for t in timers_of(routing_engine, envelope["subject"])}
    assert set(timers) == {"warning", "breach", "escalation"}
    assert {t.state for t in timers.values()} == {"pending"}
    allotted = data["due_at"] - data["assigned_at"]
    assert timers["warning"].fire_at == data["assigned_at"] + allotted * 0.75
    assert timers["breach"].fire_at == data["due_at"]
    assert timers["escalation"].fire_at == data["due_at"] + GRACE
    assert {t.body for t in timers.values()} == {"kyivmiskvitlo"}


def test_warning_at_three_quarters_then_breach_then_escalation_each_once(
        start_routing, listener, routing_engine, uow_factory):
    start_routing()
    a = new_assignment(due_in=4.0)
    store(uow_factory, a)
    arrivals = received_at(listener, {a.appeal_id}, 3, timeout=20)
    by_kind = {SLA_TYPES[e["type"]]: (e, at) for e, at in arrivals}
    warning_at = a.assigned_at + (a.due_at - a.assigned_at) * 0.75
    expected = {"warning": warning_at, "breach": a.due_at, "escalation": a.due_at + GRACE}
    for kind, fire_at in expected.items():
        event, at = by_kind[kind]
        assert fire_at <= at < fire_at + timedelta(seconds=2), (kind, at - fire_at)
        assert event["source"] == "/hromada/routing" and event["subject"] == a.appeal_id
        _, data = ev.parse_event(event)
        assert data["body"] == "kyivavtodor" and data["due_at"] == a.due_at
    assert [SLA_TYPES[e["type"]] for e, _ in sorted(arrivals, key=lambda x: x[1])] == [
        "warning", "breach", "escalation"]
    assert_each_timer_fired_once(listener, routing_engine, [a.appeal_id])
    assert {t.state for t in timers_of(routing_engine, a.appeal_id)} == {"fired"}
    with routing_engine.connect() as connection:
        assert connection.execute(select(AssignmentRecord.escalated).where(
            AssignmentRecord.appeal_id == a.appeal_id)).scalar() is True


def test_resolving_or_waiting_for_the_resident_cancels_pending_timers(
        start_routing, listener, routing_engine, uow_factory):
    start_routing()
    resolved, paused = new_assignment(due_in=2.0), new_assignment(due_in=2.0)
    store(uow_factory, resolved, paused)
    change(uow_factory, SimpleNamespace(**{**vars(resolved), "state": "resolved"}))
    change(uow_factory, SimpleNamespace(**{**vars(paused), "state": "awaiting_resident"}))
    time.sleep(4.0)
    wait_until_outbox_empty(routing_engine)
    assert sla_events(listener, {resolved.appeal_id, paused.appeal_id}) == []
    for a in (resolved, paused):
        assert {t.state for t in timers_of(routing_engine, a.appeal_id)} == {"cancelled"}


def test_resident_answer_rearms_the_timers_that_had_not_fired(
        start_routing, listener, routing_engine, uow_factory):
    start_routing()
    a = new_assignment(due_in=3.0)
    store(uow_factory, a)
    change(uow_factory, SimpleNamespace(**{**vars(a), "state": "awaiting_resident"}))
    change(uow_factory, SimpleNamespace(**{**vars(a), "state": "in_progress"}))
    change(uow_factory, SimpleNamespace(**{**vars(a), "state": "in_progress"}))  # idempotent
    received_at(listener, {a.appeal_id}, 3, timeout=20)
    assert_each_timer_fired_once(listener, routing_engine, [a.appeal_id])
    generations = Counter(t.generation for t in timers_of(routing_engine, a.appeal_id)
                          if t.state == "fired")
    assert generations == {2: 3}


def test_a_new_deadline_reschedules_the_timers(
        start_routing, listener, routing_engine, uow_factory):
    start_routing()
    a = new_assignment(due_in=600.0)
    store(uow_factory, a)
    # More complex than thought: the deadline moves (here nearer, so the test is quick).
    moved = SimpleNamespace(**{**vars(a), "due_at": now() + timedelta(seconds=2.5),
                               "body": "kyivvodokanal"})
    change(uow_factory, moved)
    arrivals = received_at(listener, {a.appeal_id}, 3, timeout=20)
    for event, _ in arrivals:
        _, data = ev.parse_event(event)
        assert data["due_at"] == moved.due_at and data["body"] == "kyivvodokanal"
    assert_each_timer_fired_once(listener, routing_engine, [a.appeal_id])
    timers = timers_of(routing_engine, a.appeal_id)
    assert Counter((t.generation, t.state) for t in timers) == {(1, "cancelled"): 3,
                                                                (2, "fired"): 3}


def test_an_extension_after_the_warning_rearms_the_warning_for_the_new_deadline(
        start_routing, listener, routing_engine, uow_factory):
    start_routing()
    a = new_assignment(due_in=1.0, allotted=4.0)  # the warning is already due
    store(uow_factory, a)
    listener.wait_for(lambda e: e["type"] == ev.SLA_WARNING and e["subject"] == a.appeal_id,
                      timeout=10)
    extended = SimpleNamespace(**{**vars(a), "due_at": a.due_at + timedelta(seconds=2)})
    change(uow_factory, extended)
    received_at(listener, {a.appeal_id}, 4, timeout=20)
    wait_until_outbox_empty(routing_engine, timeout=30)
    time.sleep(0.5)
    kinds = Counter((SLA_TYPES[e["type"]], ev.parse_event(e)[1]["due_at"])
                    for e in sla_events(listener, {a.appeal_id}))
    assert kinds == {("warning", a.due_at): 1, ("warning", extended.due_at): 1,
                     ("breach", extended.due_at): 1, ("escalation", extended.due_at): 1}


def test_two_routing_instances_fire_each_timer_exactly_once(
        start_routing, listener, routing_engine, uow_factory):
    first, second = start_routing(), start_routing()
    appeals = [new_assignment(due_in=6.0 + i * 0.002) for i in range(300)]
    store(uow_factory, *appeals)
    received_at(listener, {a.appeal_id for a in appeals}, 900, timeout=60)
    assert_each_timer_fired_once(listener, routing_engine, [a.appeal_id for a in appeals])
    fired = [get_extension(c, SlaTimerRunner).fired_total for c in (first, second)]
    assert sum(fired) == 900, fired


def test_a_restart_in_between_misses_no_timer(
        start_routing, listener, routing_engine, uow_factory):
    crashed = start_routing()
    appeals = [new_assignment(due_in=0.5 + i * 0.05) for i in range(80)]  # due over 4.5 s
    store(uow_factory, *appeals)
    time.sleep(1.5)
    crashed.kill()  # as a crash: no graceful stop
    assert sla_events(listener, {a.appeal_id for a in appeals})  # some fired before
    time.sleep(2.0)  # timers fall due while no instance runs
    start_routing()
    received_at(listener, {a.appeal_id for a in appeals}, 240, timeout=60)
    assert_each_timer_fired_once(listener, routing_engine, [a.appeal_id for a in appeals])
