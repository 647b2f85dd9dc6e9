"""Helpers for interface and end-to-end tests: service configs, migrated databases, and a
real AMQP listener that records the events a test expects to see."""
from __future__ import annotations

import json
import time
import uuid

from kombu import Connection, Queue

from ..messaging.relay import ConfirmingPublisher
from ..messaging.topology import events_exchange
from ..migrations import upgrade_to_head

TEST_RETRY_DELAYS = [1, 1, 1]


def service_config(amqp_uri: str, database_url: str | None = None, **extra) -> dict:
    config = {
        "AMQP_URI": amqp_uri,
        "EVENT_RETRY_DELAYS": TEST_RETRY_DELAYS,
        "OUTBOX_POLL_INTERVAL": 0.1,
        "max_workers": 10,
        # No accounts service runs beside most tests: judge tokens by the revocation events
        # heard since start, without the start-up snapshot (tests of revocation set it).
        "TOKEN_REVOCATION_SNAPSHOT": "",
    }
    if database_url:
        config["DATABASE_URL"] = database_url
    config.update(extra)
    return config


def migrated_database(make_database, label: str, service_dir: str) -> str:
    url = make_database(label)
    upgrade_to_head(service_dir, url)
    return url


def publish_events(amqp_uri: str, envelopes: list[dict]) -> None:
    publisher = ConfirmingPublisher(amqp_uri, tuple(TEST_RETRY_DELAYS))
    try:
        publisher.publish_batch(envelopes)
    finally:
        publisher.close()


class EventListener:
    """Binds a private queue to ``hromada.events`` and collects envelopes as they arrive."""

    def __init__(self, amqp_uri: str, routing_keys=("#",)):
        self.connection = Connection(amqp_uri)
        self.queue_name = f"test-listener-{uuid.uuid4().hex[:8]}"
        self.channel = self.connection.channel()
        events_exchange(self.channel).declare()
        self.queue = Queue(self.queue_name, exclusive=True, auto_delete=True)(self.channel)
        self.queue.declare()
        for key in routing_keys:
            self.queue.bind_to(events_exchange.name, routing_key=key)
        self.received: list[dict] = []

    def _drain(self) -> None:
        while True:
            message = self.queue.get(no_ack=True, accept=["json"])
            if message is None:
                return
            body = message.body
            self.received.append(json.loads(body) if isinstance(body, (bytes, str)) else body)

    def wait_for(self, predicate, timeout: float = 10.0, count: int = 1) -> list[dict]:
        """Wait until ``count`` received envelopes match ``predicate``; return them."""
        deadline = time.monotonic() + timeout
        while True:
            self._drain()
            matching = [e for e in self.received if predicate(e)]
            if len(matching) >= count:
                return matching
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} matching events within {timeout}s, got {len(matching)}; "
                    f"all received types: {[e.get('type') for e in self.received]}"
                )
            time.sleep(0.05)

    def close(self) -> None:
        try:
            self.connection.release()
        except Exception:  # noqa: BLE001
            pass


def wait_until(check, timeout: float = 10.0, interval: float = 0.05, message: str = "condition"):
    """Poll ``check`` until it returns a truthy value; return it, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except AssertionError as exc:
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}" + (f": {last_error}" if last_error else ""))


def queue_depth(amqp_uri: str, queue: str) -> int:
    """Messages ready in ``queue`` right now (a passive declare: exact, unlike the
    management API's statistics, which lag by seconds)."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        try:
            _, message_count, _ = channel.queue_declare(queue, passive=True)
        finally:
            channel.close()
    return message_count


def call_as(container, method: str, *args, token: str | None = None, **kwargs):
    """Call an RPC entrypoint of a running test container as the holder of ``token`` (the
    gateway forwards it in the ``hromada.auth`` context; no token: an anonymous call)."""
    from nameko.testing.services import entrypoint_hook

    context = {"hromada.auth": token} if token else {}
    with entrypoint_hook(container, method, context_data=context) as hook:
        return hook(*args, **kwargs)


class ContainerDriver:
    """Drives a running test container as the other services and the gateway would: events in
    through RabbitMQ (each applied before the next is sent), RPC calls as a token's holder."""

    def __init__(self, container, amqp_uri: str, keys=None):
        self.container = container
        self.amqp_uri = amqp_uri
        self.keys = keys

    def handler_of(self, event_type: str) -> str:
        """The name of the container's entrypoint that consumes ``event_type``."""
        for entrypoint in self.container.entrypoints:
            if getattr(entrypoint, "event_type", None) == event_type:
                return entrypoint.method_name
        raise LookupError(f"{self.container.service_name} does not consume {event_type}")

    def deliver(self, *envelopes, timeout: float = 10):
        """Publish each envelope and wait until the container's handler has run on it."""
        from nameko.testing.services import entrypoint_waiter

        for envelope in envelopes:
            with entrypoint_waiter(self.container, self.handler_of(envelope["type"]),
                                   timeout=timeout):
                publish_events(self.amqp_uri, [envelope])

    def call(self, method: str, *args, token: str | None = None, **kwargs):
        return call_as(self.container, method, *args, token=token, **kwargs)
