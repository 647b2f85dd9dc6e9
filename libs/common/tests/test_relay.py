"""The outbox relay against real PostgreSQL and RabbitMQ: every committed event is published
once, whichever relay gets to it, and nothing is lost when the broker is unreachable."""
import json
import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from kombu import Connection
from sqlalchemy import func, insert, select, update

from hromada_common import events as ev
from hromada_common.messaging.relay import ConfirmingPublisher, OutboxRelay
from hromada_common.messaging.topology import UNROUTED_QUEUE_NAME, Subscription
from hromada_common.testing.helpers import EventListener, wait_until

N = 1200

UNSUBSCRIBED_TYPE = "hromada.relay_test.happened.v1"
"""No service subscribes to this type, so without a listener nothing but hromada.unrouted
takes it. The relay publishes payloads as they are: it never looks at schemas."""


def envelope(event_type: str = UNSUBSCRIBED_TYPE, subject: str | None = None) -> dict:
    subject = subject or f"appeal-{uuid.uuid4()}"
    return {
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": "/hromada/relay-test",
        "type": event_type, "time": datetime.now(timezone.utc).isoformat(),
        "subject": subject, "datacontenttype": "application/json",
        "data": {"appeal_id": subject, "note": "Київ"}, "actor": "system", "correlationid": None,
    }


def fill_outbox(engine, outbox, envelopes: list[dict]) -> list[str]:
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        connection.execute(insert(outbox), [
            {"event_id": e["id"], "event_type": e["type"], "payload": e, "created_at": now}
            for e in envelopes
        ])
    return [e["id"] for e in envelopes]


def many_events(n: int = N) -> list[dict]:
    return [envelope() for _ in range(n)]


def unpublished(engine, outbox) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(outbox).where(
            outbox.c.published_at.is_(None))).scalar()


def received_ids(listener, expected: int) -> list[str]:
    listener.wait_for(lambda e: True, count=expected, timeout=30)
    return [e["id"] for e in listener.received]


def take_all(amqp_uri: str, queue: str) -> list[dict]:
    bodies = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
    return bodies


@pytest.fixture
def listener(own_vhost):
    listener = EventListener(own_vhost[1])
    yield listener
    listener.close()


def test_relay_publishes_every_pending_event_once_in_outbox_order(outbox_db, own_vhost, listener):
    engine, outbox = outbox_db
    ids = fill_outbox(engine, outbox, many_events())
    publisher = ConfirmingPublisher(own_vhost[1])
    relay = OutboxRelay(engine, outbox, publisher, batch_size=500)
    try:
        assert relay.backlog() == N
        batches = []
        while published := relay.publish_pending():
            batches.append(published)
    finally:
        publisher.close()
    assert batches == [500, 500, 200]
    assert relay.published_total == N
    assert unpublished(engine, outbox) == 0 and relay.backlog() == 0
    assert relay.publish_pending() == 0  # nothing is published twice
    received = received_ids(listener, N)
    assert received == ids  # each exactly once, in outbox order
    first = listener.received[0]
    assert first["type"] == UNSUBSCRIBED_TYPE
    assert first["data"]["note"] == "Київ"  # the payload arrives as it was committed


def test_two_relays_over_one_outbox_publish_each_event_exactly_once(
        outbox_db, own_vhost, listener):
    engine, outbox = outbox_db
    ids = fill_outbox(engine, outbox, many_events())
    published: dict[str, int] = Counter()
    errors: list[BaseException] = []

    def run(name: str) -> None:
        publisher = ConfirmingPublisher(own_vhost[1])
        relay = OutboxRelay(engine, outbox, publisher, batch_size=100)
        try:
            while count := relay.publish_pending():
                published[name] += count
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            publisher.close()

    # Threads are green under eventlet: psycopg2 and socket waits switch between them.
    relays = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in relays:
        thread.start()
    for thread in relays:
        thread.join(timeout=60)
    assert errors == []
    assert sum(published.values()) == N
    assert published["a"] > 0 and published["b"] > 0, published  # they really shared the work
    assert unpublished(engine, outbox) == 0
    received = received_ids(listener, N)
    assert len(received) == N
    assert Counter(received) == Counter(ids)


def test_relay_that_cannot_reach_the_broker_leaves_events_for_a_later_relay(
        outbox_db, own_vhost, listener):
    engine, outbox = outbox_db
    ids = fill_outbox(engine, outbox, many_events(10))
    parts = own_vhost[1].rsplit("/", 1)
    broken = ConfirmingPublisher(f"{parts[0]}/hromada-no-such-vhost-{uuid.uuid4().hex[:6]}")
    with pytest.raises(Exception) as err:
        OutboxRelay(engine, outbox, broken).publish_pending()
    assert "not found" in str(err.value) or "NOT_ALLOWED" in str(err.value)
    assert unpublished(engine, outbox) == 10  # the claim was rolled back, nothing marked

    good = ConfirmingPublisher(own_vhost[1])
    try:
        assert OutboxRelay(engine, outbox, good).publish_pending() == 10
    finally:
        good.close()
    assert unpublished(engine, outbox) == 0
    assert received_ids(listener, 10) == ids


def test_relay_recovers_when_its_broker_connection_drops_between_batches(
        outbox_db, own_vhost, listener):
    engine, outbox = outbox_db
    first = fill_outbox(engine, outbox, many_events(3))
    publisher = ConfirmingPublisher(own_vhost[1])
    relay = OutboxRelay(engine, outbox, publisher)
    try:
        assert relay.publish_pending() == 3
        publisher._connection.collect()  # the socket is gone, as after a broker restart
        second = fill_outbox(engine, outbox, many_events(4))
        with pytest.raises(Exception):
            relay.publish_pending()
        assert unpublished(engine, outbox) == 4
        assert relay.publish_pending() == 4  # reconnects on the next call
    finally:
        publisher.close()
    assert received_ids(listener, 7) == first + second


def test_events_no_queue_is_bound_to_land_in_the_unrouted_queue(
        outbox_db, own_vhost, rabbit_admin):
    engine, outbox = outbox_db
    vhost, amqp_uri = own_vhost
    orphans = many_events(3)  # nobody subscribes to their type, and no listener is bound
    submitted = envelope(ev.APPEAL_SUBMITTED)  # routing subscribes to this one
    fill_outbox(engine, outbox, orphans + [submitted])
    publisher = ConfirmingPublisher(amqp_uri)
    try:
        assert OutboxRelay(engine, outbox, publisher).publish_pending() == 4
    finally:
        publisher.close()
    # Operators see them in the management API (its counts lag a few seconds behind).
    wait_until(lambda: rabbit_admin.queue_depth(vhost, UNROUTED_QUEUE_NAME) == 3, timeout=15,
               message="three events in hromada.unrouted")
    # The subscribed event went to routing's queue, the others to hromada.unrouted.
    assert [e["id"] for e in take_all(amqp_uri, UNROUTED_QUEUE_NAME)] == [e["id"] for e in orphans]
    routing_queue = Subscription("routing", ev.APPEAL_SUBMITTED).queue_name
    assert [e["id"] for e in take_all(amqp_uri, routing_queue)] == [submitted["id"]]


def test_purge_deletes_only_published_rows_past_retention(outbox_db, own_vhost):
    engine, outbox = outbox_db
    old, recent, pending = (fill_outbox(engine, outbox, many_events(2)) for _ in range(3))
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        connection.execute(update(outbox).where(outbox.c.event_id.in_(old))
                           .values(published_at=now - timedelta(hours=30)))
        connection.execute(update(outbox).where(outbox.c.event_id.in_(recent))
                           .values(published_at=now - timedelta(hours=1)))
    relay = OutboxRelay(engine, outbox, ConfirmingPublisher(own_vhost[1]),
                        retention=timedelta(hours=24))
    assert relay.purge_published() == 2
    with engine.connect() as connection:
        left = set(connection.execute(select(outbox.c.event_id)).scalars())
    assert left == set(recent) | set(pending)


def test_relay_retries_back_off_to_at_most_a_few_seconds():
    from hromada_common.messaging.relay import RETRY_DELAY_MAX, retry_delay

    delays = [retry_delay(failures) for failures in range(1, 40)]
    assert delays[:4] == [0.5, 1, 2, 4]
    assert delays == sorted(delays) and max(delays) == RETRY_DELAY_MAX <= 5
