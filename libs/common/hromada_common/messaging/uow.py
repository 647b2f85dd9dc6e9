"""The base unit of work: one database transaction for a state change *and* its events.

Events a handler records are written to the service's outbox table in the same transaction
as the change (never published directly), so a crash can lose neither half alone. Events a
handler consumed are recorded in the inbox table in that transaction too, so a redelivered
event finds itself there and changes nothing.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.schema import Table

from ..events import InvalidEvent, make_event, make_events
from .ledger import AlreadyApplied, is_duplicate_request


class SqlAlchemyUnitOfWork:
    """Subclass per service and open its repositories in :meth:`_open_repositories`."""

    def __init__(
        self,
        session_factory: sessionmaker,
        outbox: Table,
        inbox: Table,
        source: str,
        on_commit: Callable[[], None] | None = None,
        actor: str = "system",
    ):
        self._session_factory = session_factory
        self._outbox = outbox
        self._inbox = inbox
        self.source = source
        self.actor = actor
        self._on_commit = on_commit
        self.session: Session | None = None
        self._pending_events: list[dict] = []
        # The request ledger entry of a state-changing RPC (messaging.commands), if any:
        # recorded in the transaction of the first commit.
        self.request = None

    def __enter__(self):
        self.session = self._session_factory()
        self._pending_events = []
        self._open_repositories(self.session)
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if self.session.in_transaction():
                self.session.rollback()
        finally:
            self.session.close()
            self._pending_events = []

    def _open_repositories(self, session: Session) -> None:  # pragma: no cover - overridden
        pass

    def record_event(self, event_type: str, data: dict, subject: str | None,
                     actor: str | None = None, correlation_id: str | None = None) -> dict:
        """Queue an event to be written to the outbox when this unit of work commits."""
        envelope = make_event(
            event_type, data, source=self.source, subject=subject,
            actor=actor or self.actor, correlation_id=correlation_id,
        )
        self._pending_events.append(envelope)
        return envelope

    def record_events(self, event_type: str, items: list[tuple[dict, str | None]],
                      actor: str | None = None) -> list[dict]:
        """Queue many events of one type at once (see ``events.make_events``)."""
        envelopes = make_events(event_type, items, source=self.source, actor=actor or self.actor)
        self._pending_events.extend(envelopes)
        return envelopes

    def _check_storable(self, event_id) -> None:
        """An id the inbox cannot store breaks the contract: say so at once (the handler
        dead-letters it) rather than fail at the insert, which looks transient and is retried."""
        limit = self._inbox.c.event_id.type.length
        if not isinstance(event_id, str) or not event_id or (limit and len(event_id) > limit):
            shown = event_id[:40] + "…" if isinstance(event_id, str) else repr(event_id)[:40]
            raise InvalidEvent(f"event id {shown!r} cannot be recorded: the inbox stores ids "
                               f"of 1 to {limit} characters")

    def already_processed(self, consumer: str, event_id: str) -> bool:
        self._check_storable(event_id)
        found = self.session.execute(
            select(self._inbox.c.event_id).where(
                self._inbox.c.consumer == consumer, self._inbox.c.event_id == event_id
            )
        ).first()
        return found is not None

    def mark_processed(self, consumer: str, event_id: str) -> None:
        # The primary key makes two racing deliveries of the same event collide at commit:
        # one wins, the other's transaction fails and is retried, then finds it processed.
        self._check_storable(event_id)
        self.session.execute(
            insert(self._inbox).values(
                consumer=consumer, event_id=event_id, processed_at=datetime.now(timezone.utc)
            )
        )

    def commit(self) -> None:
        now = datetime.now(timezone.utc)
        if self.request is not None:
            self.request.record(self.session)
        if self._pending_events:
            self.session.execute(
                insert(self._outbox),
                [
                    {
                        "event_id": envelope["id"],
                        "event_type": envelope["type"],
                        "payload": envelope,
                        "created_at": now,
                    }
                    for envelope in self._pending_events
                ],
            )
        try:
            self.session.commit()
        except IntegrityError as exc:
            if self.request is not None and is_duplicate_request(exc):
                raise AlreadyApplied(
                    "This request was applied by another delivery of it.") from exc
            raise
        if self.request is not None:
            self.request.committed()
        had_events = bool(self._pending_events)
        self._pending_events = []
        if had_events and self._on_commit:
            self._on_commit()

    def rollback(self) -> None:
        self.session.rollback()
        self._pending_events = []
