"""Firing a batch of SLA timers straight from the claimed rows, against real PostgreSQL and
RabbitMQ: the claim commits only after the broker confirmed the events, and a batch published
again after a failure carries the same event ids (consumers' inboxes drop the copies)."""
import json
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from hromada_common import events as ev
from hromada_common.messaging.relay import ConfirmingPublisher
from routing.adapters.orm import AssignmentRecord, SlaTimerRecord, inbox, outbox
from routing.adapters.uow import RoutingUnitOfWork
from routing.domain.sla import timer_event_id
from routing.service_layer import sla

from .conftest import count_rows
from .test_sla_timers import POLICY, SLA_TYPES, new_assignment, sla_events, store, timers_of


class BrokerGoneAfterConfirms(Exception):
    """Stands for a crash between the broker's confirms and the claim's commit."""


@pytest.fixture
def uow_factory(routing_engine):
    sessions = sessionmaker(routing_engine, expire_on_commit=False)
    return lambda: RoutingUnitOfWork(sessions, outbox, inbox, "/hromada/routing")


@pytest.fixture
def publisher(amqp_uri):
    publisher = ConfirmingPublisher(amqp_uri)
    yield publisher
    publisher.close()


def overdue(count: int) -> list:
    """Assignments whose warning, breach and escalation are all due already."""
    return [new_assignment(due_in=-5.0, allotted=60.0) for _ in range(count)]


def states(engine, appeals) -> Counter:
    return Counter(t.state for a in appeals for t in timers_of(engine, a.appeal_id))


def test_a_batch_is_published_with_the_timers_own_event_ids_then_committed(
        routing_engine, uow_factory):
    appeals = overdue(4)
    store(uow_factory, *appeals, policy=POLICY)
    published = []
    fired = sla.fire_due_timers(uow_factory(), published.extend, batch_size=100,
                                now=datetime.now(timezone.utc) + timedelta(seconds=2))
    ids = {a.appeal_id for a in appeals}
    ours = [m for m in published if json.loads(m[2])["subject"] in ids]
    # The breach is overdue, so no warning is scheduled: breach and escalation per appeal.
    assert len(ours) == 8 and fired == 8
    timers = {(t.appeal_id, t.kind): t for a in appeals for t in timers_of(routing_engine,
                                                                           a.appeal_id)}
    for event_id, event_type, body in ours:
        envelope, data = ev.parse_event(json.loads(body), event_type)  # the full contract
        kind = SLA_TYPES[event_type]
        timer = timers[(envelope["subject"], kind)]
        assert event_id == envelope["id"] == timer_event_id(timer.appeal_id, kind, timer.id)
        assert timer.state == "fired" and data["due_at"] == timer.due_at
        assert envelope["source"] == "/hromada/routing" and envelope["actor"] == "routing"
        if kind == "escalation":
            assert data["reason"] == sla.ESCALATION_REASON
    for appeal in appeals:  # the escalation leaves after the breach it follows
        kinds = [SLA_TYPES[t] for _, t, b in ours if json.loads(b)["subject"] == appeal.appeal_id]
        assert kinds == ["breach", "escalation"]
    with routing_engine.connect() as connection:
        assert set(connection.execute(select(AssignmentRecord.escalated).where(
            AssignmentRecord.appeal_id.in_(ids))).scalars()) == {True}
    assert count_rows(routing_engine, outbox) == 0  # SLA facts skip the outbox


def test_a_failure_before_the_commit_leaves_the_timers_pending_and_the_retry_repeats_the_ids(
        routing_engine, uow_factory, publisher, listener):
    appeals = overdue(30)
    store(uow_factory, *appeals, policy=POLICY)
    later = datetime.now(timezone.utc) + timedelta(seconds=2)

    def publish_then_crash(messages):
        publisher.publish_serialised_batch(messages)  # confirmed by the broker…
        raise BrokerGoneAfterConfirms()  # …but the claim never commits

    with pytest.raises(BrokerGoneAfterConfirms):
        sla.fire_due_timers(uow_factory(), publish_then_crash, batch_size=1000, now=later)
    assert states(routing_engine, appeals) == {"pending": 60}
    with routing_engine.connect() as connection:
        assert not any(connection.execute(select(AssignmentRecord.escalated).where(
            AssignmentRecord.appeal_id.in_([a.appeal_id for a in appeals]))).scalars())

    sla.fire_due_timers(uow_factory(), publisher.publish_serialised_batch, batch_size=1000,
                        now=later)
    assert states(routing_engine, appeals) == {"fired": 60}
    assert sla.fire_due_timers(uow_factory(), publisher.publish_serialised_batch,
                               batch_size=1000, now=later) == 0

    ids = {a.appeal_id for a in appeals}
    received = []
    deadline = time.monotonic() + 15
    while len(received) < 120 and time.monotonic() < deadline:
        received = sla_events(listener, ids)
        time.sleep(0.05)
    # Every event arrived twice, with the same id: at-least-once delivery, and an inbox
    # keyed by event id turns it into exactly one effect. Never two ids for one timer.
    assert Counter(Counter(e["id"] for e in received).values()) == {2: 60}
    per_timer = Counter((e["subject"], SLA_TYPES[e["type"]]) for e in
                        {e["id"]: e for e in received}.values())
    assert len(per_timer) == 60 and set(per_timer.values()) == {1}


def test_a_publish_the_broker_refuses_fires_nothing(routing_engine, uow_factory):
    appeals = overdue(3)
    store(uow_factory, *appeals, policy=POLICY)

    def refused(messages):
        raise ConnectionError("broker unreachable")

    with pytest.raises(ConnectionError):
        sla.fire_due_timers(uow_factory(), refused, batch_size=1000,
                            now=datetime.now(timezone.utc) + timedelta(seconds=2))
    assert states(routing_engine, appeals) == {"pending": 6}
    assert count_rows(routing_engine, SlaTimerRecord.__table__,
                      SlaTimerRecord.appeal_id.in_([a.appeal_id for a in appeals])
                      & (SlaTimerRecord.state == "fired")) == 0


def test_timer_event_ids_are_stable_and_distinct():
    appeal = str(uuid.uuid4())
    assert timer_event_id(appeal, "breach", 7) == timer_event_id(appeal, "breach", 7)
    ids = {timer_event_id(appeal, kind, n) for kind in ("warning", "breach", "escalation")
           for n in (7, 8)} | {timer_event_id(str(uuid.uuid4()), "breach", 7)}
    assert len(ids) == 7
    assert all(uuid.UUID(i).version == 5 for i in ids)
