"""The outbox relay: moves committed events from a service's outbox table to RabbitMQ.

Publisher confirms are handled a batch at a time: the relay publishes every row of a batch,
then waits once until the broker has confirmed them all (nameko's ``EventDispatcher`` waits
for each confirm in turn, which caps a publisher at one broker round trip per event). Only
confirmed rows are marked published, in the same transaction that locked them, so:

* a crash before the mark republishes the batch (consumers are idempotent by event id);
* several relays (several instances of a service) never publish the same row concurrently:
  rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED``.

Ordering: within one relay, events leave in outbox order. With several relays two events of
the same appeal may overtake each other; consumers use the appeal version to detect that.
"""
from __future__ import annotations

import json
import logging
import socket
import time
from datetime import datetime, timedelta, timezone

from kombu import Connection
from sqlalchemy import Text, cast, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql.schema import Table

from .topology import EVENTS_EXCHANGE_NAME, declare_topology
from .wire import EventFrameEncoder

log = logging.getLogger(__name__)

# Bytes of encoded frames written to the socket at once.
WRITE_CHUNK = 128 * 1024

RETRY_DELAY_MAX = 5.0
"""The longest wait between a relay's attempts while the broker (or the database) is away:
rows committed meanwhile wake the relay at once anyway, and after an outage the backlog
starts moving within this many seconds of the broker's return."""


def retry_delay(failures: int) -> float:
    """Seconds to wait after ``failures`` failed attempts in a row: 0.5, 1, 2, 4, 5, 5, …"""
    return min(RETRY_DELAY_MAX, 0.25 * 2 ** min(max(failures, 1), 8))


class PublishNotConfirmed(Exception):
    """The broker nacked a message of the batch, or did not confirm it in time."""


class ConfirmingPublisher:
    """Publishes batches of events on one channel in confirm mode, waiting once per batch."""

    def __init__(self, amqp_uri: str, retry_delays: tuple[int, ...] | None = None,
                 confirm_timeout: float = 10.0):
        self.amqp_uri = amqp_uri
        self.retry_delays = retry_delays
        self.confirm_timeout = confirm_timeout
        self._connection: Connection | None = None
        self._channel = None
        self._next_tag = 1
        self._unconfirmed: set[int] = set()
        self._nacked: set[int] = set()

    def _open(self) -> None:
        if self._channel is not None:
            return
        connection = Connection(self.amqp_uri, heartbeat=0)
        # Fail fast: the caller's loop retries with its own backoff (``retry_delay``), and a
        # commit wakes it, which a wait inside kombu's retries would not notice.
        connection.ensure_connection(max_retries=1, interval_start=0.5, interval_step=0.5,
                                     interval_max=1)
        channel = connection.channel()
        if self.retry_delays is not None:
            declare_topology(channel, self.retry_delays)
        else:
            declare_topology(channel)
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        self._connection, self._channel = connection, channel
        self._next_tag = 1
        self._floor = 1
        self._unconfirmed.clear()
        self._nacked.clear()

    def _settle(self, delivery_tag: int, multiple: bool) -> set[int]:
        if multiple:
            # Tags are consecutive and "multiple" acks only move forward: walk from the lowest
            # tag not yet settled that way, so a batch costs O(n), not O(n²).
            settled = set(range(self._floor, delivery_tag + 1)) & self._unconfirmed
            self._floor = max(self._floor, delivery_tag + 1)
        else:
            settled = {delivery_tag} & self._unconfirmed
        self._unconfirmed -= settled
        return settled

    def _on_ack(self, delivery_tag, multiple):
        self._settle(delivery_tag, multiple)

    def _on_nack(self, delivery_tag, multiple):
        self._nacked |= self._settle(delivery_tag, multiple)

    def publish_batch(self, envelopes: list[dict]) -> None:
        """Publish every envelope, then block until all are confirmed; raise if any is not."""
        self.publish_serialised_batch([
            (envelope["id"], envelope["type"], json.dumps(envelope, ensure_ascii=False))
            for envelope in envelopes
        ])

    def publish_serialised_batch(self, events: list[tuple[str, str, str]]) -> None:
        """Like :meth:`publish_batch`, for events already serialised as
        ``(event id, event type, JSON text)``: the relay reads them from the outbox as text, so
        a burst is never decoded and encoded again on its way out.

        The frames are encoded directly (:mod:`.wire`, the bytes py-amqp would send) and
        written ``WRITE_CHUNK`` bytes at a time; after each chunk the confirms that have
        arrived are read without waiting, so the broker's acks never pile up unread."""
        try:
            self._open()
            self._nacked.clear()
            amqp_connection = self._connection.connection  # py-amqp's, under kombu's
            encode = EventFrameEncoder(self._channel.channel_id, EVENTS_EXCHANGE_NAME,
                                       amqp_connection.frame_max).encode
            write = amqp_connection.transport.write
            pending = bytearray()
            for event_id, event_type, body in events:
                pending += encode(event_id, event_type, body.encode("utf-8"))
                self._unconfirmed.add(self._next_tag)
                self._next_tag += 1
                if len(pending) >= WRITE_CHUNK:
                    write(bytes(pending))
                    pending.clear()
                    self._read_arrived_confirms()
            if pending:
                write(bytes(pending))
            deadline = time.monotonic() + self.confirm_timeout
            while self._unconfirmed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PublishNotConfirmed(
                        f"{len(self._unconfirmed)} of {len(events)} events not confirmed "
                        f"within {self.confirm_timeout}s"
                    )
                connection = self._connection
                if connection is None:  # closed under us: the container is being killed
                    raise PublishNotConfirmed("the publisher was closed while awaiting confirms")
                connection.drain_events(timeout=remaining)
            if self._nacked:
                raise PublishNotConfirmed(f"broker nacked {len(self._nacked)} events")
        except Exception:
            self.close()
            raise

    def _read_arrived_confirms(self) -> None:
        """Handle the frames already waiting on the socket (confirms, a ``connection.blocked``
        notice, a channel error), without blocking."""
        connection = self._connection
        if connection is None:
            raise PublishNotConfirmed("the publisher was closed while publishing")
        while True:
            try:
                connection.drain_events(timeout=0)
            except socket.timeout:
                return

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close
                log.debug("error closing relay connection", exc_info=True)


class OutboxRelay:
    """Publishes a service's pending outbox rows; call :meth:`publish_pending` in a loop."""

    def __init__(self, engine: Engine, outbox: Table, publisher: ConfirmingPublisher,
                 batch_size: int = 500, retention: timedelta = timedelta(hours=24)):
        self.engine = engine
        self.outbox = outbox
        self.publisher = publisher
        self.batch_size = batch_size
        self.retention = retention
        self.published_total = 0

    def publish_pending(self) -> int:
        """Publish one batch of unpublished events; return how many were published."""
        outbox = self.outbox
        with self.engine.begin() as connection:
            rows = connection.execute(
                select(outbox.c.id, outbox.c.event_id, outbox.c.event_type,
                       cast(outbox.c.payload, Text).label("body"))
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            self.publisher.publish_serialised_batch(
                [(row.event_id, row.event_type, row.body) for row in rows])
            connection.execute(
                update(outbox)
                .where(outbox.c.id.in_([row.id for row in rows]))
                .values(published_at=datetime.now(timezone.utc))
            )
        self.published_total += len(rows)
        return len(rows)

    def purge_published(self) -> int:
        """Delete published rows older than the retention period (kept for inspection)."""
        cutoff = datetime.now(timezone.utc) - self.retention
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(self.outbox).where(
                    self.outbox.c.published_at.is_not(None), self.outbox.c.published_at < cutoff
                )
            )
        return result.rowcount or 0

    def backlog(self) -> int:
        with self.engine.connect() as connection:
            return len(connection.execute(
                select(self.outbox.c.id).where(self.outbox.c.published_at.is_(None)).limit(10_000)
            ).all())
