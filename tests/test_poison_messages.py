"""Poison messages on a real service's queue: a body that is not JSON, a content type other
than JSON, and an event id the inbox cannot store. Each must land in the subscription's
dead-letter queue at once, with the reason in its headers (never acked and forgotten, never
retried as if the fault were transient), and the service must go on with the next good
message. Real RabbitMQ (a vhost of this test), real PostgreSQL, the routing service in a
nameko container."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from kombu import Connection, Producer

from deploy import ops
from hromada_common import events as ev
from hromada_common.messaging.topology import Subscription, declare_topology, events_exchange
from hromada_common.testing.helpers import (
    EventListener,
    migrated_database,
    publish_events,
    service_config,
    wait_until,
)

ROUTING_DIR = str(Path(__file__).resolve().parent.parent / "services" / "routing")
SUBSCRIPTION = Subscription("routing", ev.APPEAL_SUBMITTED)
QUEUE, DEAD = SUBSCRIPTION.queue_name, SUBSCRIPTION.dead_letter_queue_name


@pytest.fixture
def vhost(make_amqp_uri):
    return make_amqp_uri("poison")


@pytest.fixture
def listener(vhost):
    listener = EventListener(vhost[0], routing_keys=(ev.TAXONOMY_PUBLISHED, ev.APPEAL_ASSIGNED))
    yield listener
    listener.close()


@pytest.fixture
def routing(container_factory, vhost, make_database, signing_keys, listener):
    """The routing service, once it has seeded and published its taxonomy."""
    from routing.service import RoutingService

    config = service_config(vhost[0], migrated_database(make_database, "poison", ROUTING_DIR),
                            FALLBACK_BODY="dispatch_1551", CITY_TIMEZONE="Europe/Kyiv",
                            **signing_keys.config)
    container = container_factory(RoutingService, config)
    container.start()
    listener.wait_for(lambda e: e["type"] == ev.TAXONOMY_PUBLISHED, timeout=15)
    return container


@pytest.fixture
def mgmt_uri(rabbit_admin):
    if not rabbit_admin._has_http:
        pytest.skip("RabbitMQ's management API is not enabled here")
    user, password = rabbit_admin.auth
    scheme, hostport = rabbit_admin.base.split("://", 1)
    return f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{hostport}"


def submitted_event(event_id: str | None = None) -> dict:
    appeal_id = str(uuid.uuid4())
    envelope = ev.make_event(ev.APPEAL_SUBMITTED, {
        "appeal_id": appeal_id, "appeal_version": 1,
        "title": "Deep pothole outside school 12",
        "description": "A pothole about 40 cm across, cars swerve into the oncoming lane.",
        "category": "roads.surface.pothole",
        "location": {"lat": 50.4501, "lon": 30.5234, "address": "Khreshchatyk St, 22"},
        "channel": "web", "author_id": f"resident-{uuid.uuid4().hex[:8]}",
        "submitted_at": datetime.now(timezone.utc),
    }, source="/hromada/intake", subject=appeal_id)
    if event_id is not None:
        envelope["id"] = event_id
    return envelope


def publish_raw(amqp_uri: str, body: bytes, content_type: str, message_id: str) -> None:
    """Publish ``body`` as it is (no serialiser) to the events exchange, as a foreign or
    broken producer would, with publisher confirms."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        declare_topology(channel)
        Producer(channel, exchange=events_exchange).publish(
            body, routing_key=ev.APPEAL_SUBMITTED, content_type=content_type,
            content_encoding="utf-8", message_id=message_id, delivery_mode=2,
            headers={"ce-type": ev.APPEAL_SUBMITTED, "ce-id": message_id})
        channel.close()


def take_dead_letters(amqp_uri: str, wanted: int) -> dict[str, object]:
    """Wait until ``wanted`` messages are in routing's dead-letter queue; take them all off,
    keyed by message id."""
    def count():
        with Connection(amqp_uri) as connection:
            channel = connection.channel()
            _, depth, _ = channel.queue_declare(DEAD, passive=True)
            channel.close()
        return depth >= wanted

    wait_until(count, timeout=20, interval=0.1, message=f"{wanted} message(s) in {DEAD}")
    taken = {}
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        while (message := channel.basic_get(DEAD, no_ack=True)) is not None:
            taken[message.properties.get("message_id")] = message
        channel.close()
    return taken


def raw(message) -> bytes:
    """A message's body as it travelled (py-amqp decodes a utf-8 one to text)."""
    body = message.body
    return body.encode(message.properties.get("content_encoding") or "utf-8") \
        if isinstance(body, str) else bytes(body)


def assigned(listener, appeal_id: str) -> dict:
    return listener.wait_for(lambda e: e["type"] == ev.APPEAL_ASSIGNED
                             and e["subject"] == appeal_id, timeout=20)[0]


def test_poison_lands_in_the_dead_letter_queue_with_its_reason_and_good_messages_go_on(
        routing, vhost, listener, mgmt_uri, capsys):
    amqp_uri, vhost_name = vhost
    not_json = b'{"specversion": "1.0", "id": "truncated'
    wrong_type = json.dumps(submitted_event()).encode()
    too_long_id = "x" * (ev.EVENT_ID_MAX_LENGTH + 1)

    publish_raw(amqp_uri, not_json, "application/json", "poison-not-json")
    publish_raw(amqp_uri, wrong_type, "text/plain", "poison-wrong-type")
    publish_events(amqp_uri, [submitted_event(event_id=too_long_id)])
    good = submitted_event()
    publish_events(amqp_uri, [good])

    # the service goes on: the good submission behind the poison is assigned
    assert assigned(listener, good["subject"])["data"]["appeal_id"] == good["subject"]

    # `deploy.ops dead-letters` lists the three (its statistics lag a few seconds)
    args = ["--mgmt-uri", mgmt_uri, "--vhost", vhost_name, "dead-letters", "--fail-if-any"]
    deadline = time.monotonic() + 30
    while True:
        code = ops.main(args)
        out = capsys.readouterr().out
        lines = {line.split()[0]: line.split()[1] for line in out.splitlines()
                 if line.startswith("routing.")}
        if lines.get(DEAD) == "3" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert code == 2 and lines[DEAD] == "3", out
    assert ops.main(["--mgmt-uri", mgmt_uri, "--vhost", vhost_name, "dead-letters", "show",
                     DEAD, "--limit", "3"]) == 0
    shown = capsys.readouterr().out
    assert shown.count("UndecodableMessage") == 2 and "InvalidEvent" in shown, shown

    dead = take_dead_letters(amqp_uri, 3)
    assert set(dead) == {"poison-not-json", "poison-wrong-type", too_long_id}

    # parked at once (attempt 1, no retry queue visited), byte for byte, with the reason
    message = dead["poison-not-json"]
    assert raw(message) == not_json
    assert message.properties["content_type"] == "application/json"
    headers = message.headers
    assert headers["x-hromada-attempt"] == 1
    assert headers["x-hromada-error"].startswith("UndecodableMessage: content type "
                                                 "'application/json'")
    assert "ce-type" in headers  # what it arrived with is kept

    message = dead["poison-wrong-type"]
    assert raw(message) == wrong_type
    assert message.properties["content_type"] == "text/plain"
    assert message.headers["x-hromada-attempt"] == 1
    assert "'text/plain'" in message.headers["x-hromada-error"]
    assert "ContentDisallowed" in message.headers["x-hromada-error"]

    message = dead[too_long_id]
    headers = message.headers
    assert headers["x-hromada-attempt"] == 1, headers  # invalid at once, not retried
    assert headers["x-hromada-error"].startswith("InvalidEvent"), headers
    assert "id" in headers["x-hromada-error"]
    assert "x-death" not in headers  # never went through a retry queue

    # nothing is left behind or in flight on the main queue
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        _, depth, _ = channel.queue_declare(QUEUE, passive=True)
        channel.close()
    assert depth == 0
