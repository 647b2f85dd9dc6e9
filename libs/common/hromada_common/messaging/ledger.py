"""The processed-requests ledger behind :mod:`.commands`: one row per state-changing request
a service applied, written in the same transaction as the change, with its reply."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Table

from ..errors import Conflict

REQUEST_KEY_CONTEXT_KEY = "hromada.request_key"
LEDGER_TABLE = "processed_requests"
KEY_LENGTH = 200


class AlreadyApplied(Conflict):
    """This request was applied before, and its reply was lost with the worker that made it."""


class _Replay(Exception):
    """Raised inside a command's worker when its request was already applied: carries the
    stored reply to :func:`command`'s wrapper (never leaves the worker)."""

    def __init__(self, reply):
        super().__init__("replay")
        self.reply = reply


class RequestLedger:
    """One command worker's entry in the service's ``processed_requests`` table."""

    def __init__(self, engine: Engine, table: Table, key: str):
        self.engine = engine
        self.table = table
        self.key = key[:KEY_LENGTH]
        self.checked = False
        self.recorded = False

    def check(self) -> None:
        """Raise :class:`_Replay` (or :class:`AlreadyApplied`) if this request was applied."""
        if self.checked:
            return
        self.checked = True
        with self.engine.connect() as connection:
            row = connection.execute(
                select(self.table.c.reply, self.table.c.replied).where(
                    self.table.c.request_key == self.key)
            ).first()
        if row is None:
            return
        if not row.replied:
            raise AlreadyApplied(
                "This request was already applied; read the resource to see its state.")
        raise _Replay(row.reply)

    def record(self, session: Session) -> None:
        """In the unit of work's transaction: this request's change is being committed."""
        if self.recorded:
            return
        session.execute(insert(self.table).values(
            request_key=self.key, replied=False, processed_at=datetime.now(timezone.utc)))

    def committed(self) -> None:
        self.recorded = True

    def remember(self, reply) -> None:
        """Store the reply of a committed request (no-op if the request committed nothing)."""
        if not self.recorded:
            return
        with self.engine.begin() as connection:
            connection.execute(update(self.table).where(self.table.c.request_key == self.key)
                               .values(reply=reply, replied=True))


def purge_requests(engine: Engine, table: Table, retention: timedelta) -> int:
    cutoff = datetime.now(timezone.utc) - retention
    with engine.begin() as connection:
        return connection.execute(delete(table).where(table.c.processed_at < cutoff)).rowcount


def is_duplicate_request(exc: BaseException) -> bool:
    """A commit that collided with the same request committed by another delivery."""
    return isinstance(exc, IntegrityError) and LEDGER_TABLE in str(exc)
