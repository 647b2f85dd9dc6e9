"""State-changing RPCs run once per request, however often the broker delivers them.

nameko acks an RPC request only after the reply is sent, so a worker killed between its
commit and its reply leaves the request to be delivered again, and a naive service applies it
twice (a second comment, a 409 for a transition that in fact succeeded). The gateway gives
every HTTP request a key of its own (``REQUEST_KEY_CONTEXT_KEY`` in the call's context data).
A method declared with :func:`command` instead of ``@rpc``:

* records ``<key>:<method>`` in the service's ``processed_requests`` table in the same
  transaction as its state change (the unit of work does that on its first commit);
* stores its reply there right after the commit, before the reply is sent and the request
  acked;
* on a redelivery, finds the key when it first opens a unit of work and answers the stored
  reply without running again.

The one gap: a worker killed in the millisecond between its commit and storing its reply
leaves a key without a reply; the redelivery then answers :class:`AlreadyApplied` (409)
rather than applying the change again. Rows are purged after ``REQUEST_LEDGER_RETENTION_HOURS``
(default 1, checked hourly; a request message expires with the gateway's RPC timeout, so it is
never redelivered after that). Methods whose reply is a secret (tokens, a new API key) stay
plain ``@rpc``: a secret is never written to the ledger.
"""
from __future__ import annotations

import functools
import inspect
from datetime import datetime, timedelta, timezone

from nameko.exceptions import IncorrectSignature
from nameko.rpc import Rpc
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


class Command(Rpc):
    """``@rpc`` for a state-changing method: marks its workers for the request ledger (see
    :class:`~hromada_common.messaging.nameko_ext.UnitOfWorkProvider`), and checks the caller's
    arguments against the method as written, not the ledger's wrapper around it."""

    def check_signature(self, args, kwargs):
        fn = getattr(self.container.service_cls, self.method_name)
        try:
            inspect.signature(fn).bind(None, *args, **kwargs)
        except TypeError as exc:
            raise IncorrectSignature(str(exc))


def command(fn=None, **kwargs):
    """Declare a state-changing RPC method: ``@command`` instead of ``@rpc``."""
    if fn is None:
        return functools.partial(command, **kwargs)

    @functools.wraps(fn)
    def run_once(self, *args, **call_kwargs):
        ledger = _ledger_of(self)
        try:
            reply = fn(self, *args, **call_kwargs)
        except _Replay as replay:
            return replay.reply
        if ledger is not None:
            ledger.remember(reply)
        return reply

    return Command.decorator(**kwargs)(run_once) if kwargs else Command.decorator(run_once)


def _ledger_of(service) -> RequestLedger | None:
    from .nameko_ext import UnitOfWorkFactory

    for value in vars(service).values():
        if isinstance(value, UnitOfWorkFactory):
            return value.ledger
    return None
