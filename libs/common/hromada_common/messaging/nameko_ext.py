"""nameko extensions: a unit-of-work provider that runs the outbox relay, and a domain event
handler that never acks a failed message silently.

nameko's own ``event_handler`` acks a message even when the handler raises (or, with
``requeue_on_error``, requeues it at once, forever). :class:`DomainEventHandler` instead
re-publishes a failed message to a delay queue (with publisher confirms) and acks the
original only after that; after the last delay it goes to the subscription's dead-letter
queue with the error attached, and the failure is logged and counted.

A message kombu cannot decode (a body that is not JSON, a content type other than JSON) never
reaches a handler: kombu's default would log it and ack it, losing it without a trace.
:class:`HromadaQueueConsumer` hands it to the entrypoint that consumes its queue instead, and
:class:`DomainEventHandler` parks it, byte for byte, in the subscription's dead-letter queue
with the reason in ``x-hromada-error``.

A broker restart takes nothing down. nameko kills the whole container when anything escapes
a worker's result handling, and acking, requeueing or replying on a connection the broker
just closed raises. :class:`HromadaQueueConsumer` treats a lost connection while settling a
message as what it is, a message the broker will deliver again once the consumer has
reconnected (consumers deduplicate by event id; RPC submissions by idempotency key), and
reconnects within seconds (``RECONNECT_INTERVAL_MAX``), not kombu's default of up to 30 s.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError

from nameko.amqp.publish import Publisher as AmqpPublisher
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.messaging import Consumer, QueueConsumer
from sqlalchemy.orm import sessionmaker

from ..db import database_url, make_engine
from ..events import InvalidEvent
from .ledger import LEDGER_TABLE, REQUEST_KEY_CONTEXT_KEY, RequestLedger, purge_requests
from .relay import ConfirmingPublisher, OutboxRelay, retry_delay
from .topology import SUBSCRIPTIONS, Subscription, retry_delays_from_config

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-hromada-attempt"
ERROR_HEADER = "x-hromada-error"
TRACEBACK_HEADER = "x-hromada-traceback"
ACTOR_CONTEXT_KEY = "hromada.actor"

BROKER_CONNECTION_ERRORS = (OSError, AmqpConnectionError, OperationalError)
"""What a call on a connection the broker has closed (or cannot be reached on) raises: socket
errors (reset, broken pipe, refused), py-amqp's connection errors (e.g. the broker's
``CONNECTION_FORCED`` on shutdown, "connection already closed") and kombu's
``OperationalError`` (a publish whose retries ran out)."""

RECONNECT_INTERVAL_START = 1.0
RECONNECT_INTERVAL_STEP = 1.0
RECONNECT_INTERVAL_MAX = 5.0
"""Seconds between the consumer's reconnection attempts: 1, 2, 3, 4, 5, 5, … (kombu's
defaults grow to 30 s, which could keep a service deaf long after the broker is back)."""

CARRIED_PROPERTIES = ("message_id", "type", "correlation_id", "timestamp")
"""Message properties a parked or retried message keeps, so operators see its event id and
type (``deploy.ops dead-letters show``) even when its body cannot be read."""

dead_lettered = Counter()
"""Dead-lettered messages per queue in this process (also logged, and visible in the DLQs)."""


class UnitOfWorkProvider(DependencyProvider):
    """Gives each worker a factory of the service's unit of work, and runs the outbox relay.

    The relay publishes as soon as a unit of work commits events (it is woken up), and also
    polls, so rows committed by a process that died are published by whichever instance of
    the service is alive.
    """

    def __init__(self, uow_class, outbox, inbox, metadata=None, **kwargs):
        self.uow_class = uow_class
        self.outbox = outbox
        self.inbox = inbox
        self.metadata = metadata
        super().__init__(**kwargs)

    def setup(self):
        config = self.container.config
        self.service_name = self.container.service_name
        self.source = f"/hromada/{self.service_name}"
        # Connections kept open while idle (DB_POOL_SIZE), and how many more a busy moment may
        # open (DB_MAX_OVERFLOW; default: one per worker plus the background loops). PostgreSQL
        # allows 100 connections by default: size these to the instances you run.
        max_workers = int(config.get("max_workers", 10))
        pool_size = int(config.get("DB_POOL_SIZE") or 5)
        overflow = config.get("DB_MAX_OVERFLOW")
        max_overflow = int(overflow) if overflow not in (None, "") else max_workers + 4 - pool_size
        self.engine = make_engine(database_url(self.service_name, config), pool_size=pool_size,
                                  max_overflow=max(0, max_overflow))
        if config.get("CREATE_TABLES") and self.metadata is not None:
            # Only for throwaway databases in tests; deployments run Alembic migrations.
            self.metadata.create_all(self.engine)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.relay_enabled = bool(config.get("OUTBOX_RELAY", True))
        self.poll_interval = float(config.get("OUTBOX_POLL_INTERVAL", 0.5))
        self.publisher = ConfirmingPublisher(
            config[AMQP_URI_CONFIG_KEY], retry_delays_from_config(config)
        )
        self.relay = OutboxRelay(
            self.engine, self.outbox, self.publisher,
            batch_size=int(config.get("OUTBOX_BATCH_SIZE", 500)),
            retention=timedelta(hours=float(config.get("OUTBOX_RETENTION_HOURS", 24))),
        )
        self.ledger = self.metadata.tables.get(LEDGER_TABLE) if self.metadata is not None else None
        self.ledger_retention = timedelta(
            hours=float(config.get("REQUEST_LEDGER_RETENTION_HOURS", 1)))
        self._wakeup = threading.Event()
        self._running = False

    def start(self):
        if not self.relay_enabled:
            return
        self._running = True
        self._relay_thread = self.container.spawn_managed_thread(
            self._relay_forever, identifier=f"{self.service_name}.outbox_relay"
        )

    def stop(self):
        self._running = False
        self._wakeup.set()
        thread = getattr(self, "_relay_thread", None)
        if thread is not None:
            thread.wait()
        self.publisher.close()
        self.engine.dispose()

    def kill(self):
        self._running = False
        self._wakeup.set()
        self.publisher.close()

    def wake_relay(self) -> None:
        self._wakeup.set()

    def _relay_forever(self):
        failures = 0
        purge_every = 3600.0
        last_purge = time.monotonic()
        while self._running:
            # Clear before reading: a commit after this point sets the flag again, so the
            # wait below returns at once and nothing committed is left waiting for a poll.
            self._wakeup.clear()
            try:
                published = self.relay.publish_pending()
                failures = 0
            except Exception:  # noqa: BLE001 - the relay must outlive broker or DB outages
                failures += 1
                log.exception("outbox relay of %s failed (attempt %d)", self.service_name, failures)
                self._wakeup.wait(retry_delay(failures))
                continue
            if published >= self.relay.batch_size:
                continue  # a full batch: more are waiting
            self._wakeup.wait(self.poll_interval)
            if time.monotonic() - last_purge >= purge_every:
                last_purge = time.monotonic()
                try:
                    self.relay.purge_published()
                    if self.ledger is not None:
                        purge_requests(self.engine, self.ledger, self.ledger_retention)
                except Exception:  # noqa: BLE001
                    log.exception("purging published outbox rows or old requests failed")

    def get_dependency(self, worker_ctx):
        actor = worker_ctx.context_data.get(ACTOR_CONTEXT_KEY) or "system"
        ledger = None
        request_key = worker_ctx.context_data.get(REQUEST_KEY_CONTEXT_KEY)
        if (request_key and self.ledger is not None
                and getattr(worker_ctx.entrypoint, "records_requests", False)):
            ledger = RequestLedger(self.engine, self.ledger,
                                   f"{request_key}:{worker_ctx.entrypoint.method_name}")
        return UnitOfWorkFactory(self, actor, ledger)


class UnitOfWorkFactory:
    """What a worker's ``self.uow`` is: call it for a new unit of work. In a
    :func:`~hromada_common.messaging.commands.command` worker it carries the request's ledger
    entry: the first call answers a redelivered request from the ledger, and the first commit
    records the request with the change."""

    def __init__(self, provider: UnitOfWorkProvider, actor: str, ledger: RequestLedger | None):
        self.provider = provider
        self.actor = actor
        self.ledger = ledger

    def __call__(self):
        if self.ledger is not None:
            self.ledger.check()
        provider = self.provider
        unit_of_work = provider.uow_class(
            provider.session_factory, provider.outbox, provider.inbox, provider.source,
            on_commit=provider.wake_relay, actor=self.actor,
        )
        unit_of_work.request = self.ledger
        return unit_of_work


class HromadaQueueConsumer(QueueConsumer):
    """nameko's queue consumer (one AMQP connection per container, shared by its consuming
    entrypoints: event handlers, RPC methods, the RPC reply listener), with three changes:

    * a message kombu cannot decode goes to the entrypoint that consumes its queue, if that
      entrypoint has a ``handle_undecodable(message, exc)`` method, instead of kombu's default
      (log it and ack it: the message is gone);
    * an ack or requeue that fails because the connection is gone is logged, not raised (the
      broker redelivers the message after the reconnection; raising would kill the container);
    * it reconnects every 1 to ``RECONNECT_INTERVAL_MAX`` seconds, not up to kombu's 30.

    ``handle_undecodable`` runs on the consumer's own thread and must not raise: an exception
    there would end the consumer, and nameko would stop the service.
    """

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            handler = getattr(provider, "handle_undecodable", None)
            if handler is not None:
                # kombu reads the attribute on every message: set it per queue.
                consumer.on_decode_error = handler
        return consumers

    def ack_message(self, message):
        self._settle(super().ack_message, "ack", message)

    def requeue_message(self, message):
        self._settle(super().requeue_message, "requeue", message)

    @staticmethod
    def _settle(action, verb: str, message) -> None:
        try:
            action(message)
        except BROKER_CONNECTION_ERRORS as exc:
            # The broker has taken the message back with the connection: it delivers it
            # again once we have reconnected. Raising here would kill the container.
            log.warning(
                "could not %s message %s from %s: the broker connection is gone (%s: %s); "
                "the broker redelivers it after the reconnection",
                verb, (getattr(message, "properties", None) or {}).get("message_id") or "?",
                (getattr(message, "delivery_info", None) or {}).get("routing_key") or "?",
                type(exc).__name__, exc,
            )

    @contextmanager
    def establish_connection(self):
        with self.create_connection() as conn:
            conn.ensure_connection(
                self.on_connection_error, self.connect_max_retries,
                interval_start=RECONNECT_INTERVAL_START, interval_step=RECONNECT_INTERVAL_STEP,
                interval_max=RECONNECT_INTERVAL_MAX,
            )
            yield conn


class DomainEventHandler(Consumer):
    """Consume one event type from the service's durable subscription queue.

    The decorated method receives the CloudEvents envelope (a dict). Raise to have the event
    retried after each of ``EVENT_RETRY_DELAYS`` seconds, then dead-lettered; raise
    :class:`~hromada_common.events.InvalidEvent` to dead-letter it at once (retrying a
    message that breaks its contract cannot help). A message that cannot even be decoded is
    dead-lettered at once too, before any worker sees it (:meth:`handle_undecodable`).
    """

    queue_consumer = HromadaQueueConsumer()

    def __init__(self, event_type: str, **kwargs):
        self.event_type = event_type
        super().__init__(queue=None, requeue_on_error=False, **kwargs)

    def setup(self):
        service_name = self.container.service_name
        if service_name not in SUBSCRIPTIONS.get(self.event_type, ()):
            raise RuntimeError(
                f"{service_name} handles {self.event_type} but topology.SUBSCRIPTIONS does not "
                "list it; add it there so its queue is declared before events are published"
            )
        config = self.container.config
        self.subscription = Subscription(
            service_name, self.event_type, retry_delays_from_config(config)
        )
        self.queue = self.subscription.queue()
        self.republisher = AmqpPublisher(
            config[AMQP_URI_CONFIG_KEY], use_confirms=True, mandatory=True
        )
        super().setup()

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        """Ack a handled event; park a failed one (retry queue or dead letters), then ack it.

        Never raises: an exception here would make nameko kill the container. On a
        connection the broker has closed, ack and requeue cannot be sent; the broker then
        delivers the message again after the reconnection, and the inbox drops the
        duplicate."""
        try:
            if exc_info is None:
                self.queue_consumer.ack_message(message)
                return result, exc_info
            try:
                self._retry_or_dead_letter(message, exc_info)
            except Exception:  # noqa: BLE001
                # Could not park the message safely: give it back to the broker, never lose it.
                log.exception("could not re-publish failed %s; requeueing it", self.event_type)
                self.queue_consumer.requeue_message(message)
            else:
                self.queue_consumer.ack_message(message)
        except Exception:  # noqa: BLE001 - see the docstring; the broker keeps the message
            log.exception("could not settle a %s message; the broker will redeliver it",
                          self.event_type)
        return result, exc_info

    def handle_undecodable(self, message, exc):
        """Park a message kombu could not decode in the dead-letter queue as it arrived (body,
        content type and encoding unchanged), with the reason, then ack it. If it cannot be
        parked, give it back to the broker: it is never dropped. Never raises (this runs on
        the queue consumer's thread)."""
        try:
            headers = dict(message.headers or {})
            try:
                attempt = int(headers.get(ATTEMPT_HEADER, 0))
            except (TypeError, ValueError):
                attempt = 0
            content_type = message.content_type or ""
            content_encoding = message.content_encoding or ""
            reason = (f"UndecodableMessage: content type {content_type or 'none'!r}, "
                      f"encoding {content_encoding or 'none'!r}: {type(exc).__name__}: {exc}")
            headers[ATTEMPT_HEADER] = attempt + 1
            headers[ERROR_HEADER] = reason[:1000]
            target = self.subscription.dead_letter_queue()
            dead_lettered[self.subscription.queue_name] += 1
            log.error(
                "dead-lettered an undecodable message from %s to %s (message id %s): %s "
                "(dead-lettered in this process: %d)",
                self.subscription.queue_name, target.name,
                getattr(message, "properties", {}).get("message_id"), reason,
                dead_lettered[self.subscription.queue_name],
            )
            body = message.body
            self.republisher.publish(
                body if isinstance(body, (bytes, str)) else bytes(body),
                exchange="",
                routing_key=target.name,
                headers=headers,
                declare=[target],
                # A content type given: kombu publishes the body as it is, not serialised.
                content_type=content_type or "application/octet-stream",
                content_encoding=content_encoding or "binary",
                **carried_properties(message),
            )
        except Exception:  # noqa: BLE001
            log.exception("could not dead-letter an undecodable message from %s; requeueing it",
                          self.subscription.queue_name)
            self._settle(self.queue_consumer.requeue_message, message)
        else:
            self._settle(self.queue_consumer.ack_message, message)

    @staticmethod
    def _settle(action, message):
        try:
            action(message)
        except Exception:  # noqa: BLE001 - see handle_undecodable
            log.exception("could not settle an undecodable message")

    def _retry_or_dead_letter(self, message, exc_info):
        exc_type, exc, tb = exc_info
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0))
        delays = self.subscription.retry_delays
        headers = {k: v for k, v in (message.headers or {}).items()}
        headers[ATTEMPT_HEADER] = attempt + 1
        headers[ERROR_HEADER] = f"{exc_type.__name__}: {exc}"[:1000]
        body = message.payload
        if attempt < len(delays) and not isinstance(exc, InvalidEvent):
            delay = delays[attempt]
            target = self.subscription.retry_queues()[attempt]
            log.warning(
                "%s failed on %s (attempt %d), retrying in %ss: %s",
                self.method_name, self.event_type, attempt + 1, delay, exc,
            )
        else:
            target = self.subscription.dead_letter_queue()
            headers[TRACEBACK_HEADER] = "".join(
                traceback.format_exception(exc_type, exc, tb)
            )[-4000:]
            dead_lettered[self.subscription.queue_name] += 1
            log.error(
                "dead-lettered %s event %s to %s after %d attempt(s): %s: %s "
                "(dead-lettered in this process: %d)",
                self.event_type, (body or {}).get("id") if isinstance(body, dict) else "?",
                target.name, attempt + 1, exc_type.__name__, exc,
                dead_lettered[self.subscription.queue_name],
            )
        self.republisher.publish(
            body,
            exchange="",
            routing_key=target.name,
            headers=headers,
            declare=[target],
            **carried_properties(message),
        )


def carried_properties(message) -> dict:
    properties = getattr(message, "properties", None) or {}
    return {name: properties[name] for name in CARRIED_PROPERTIES
            if properties.get(name) is not None}


event_handler = DomainEventHandler.decorator
