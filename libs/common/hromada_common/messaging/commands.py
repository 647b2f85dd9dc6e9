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

from nameko.exceptions import IncorrectSignature

from .ledger import REQUEST_KEY_CONTEXT_KEY, AlreadyApplied, RequestLedger, _Replay  # noqa: F401
from .rpc import HromadaRpc


class Command(HromadaRpc):
    """``@rpc`` (hromada_common's, which rides out a broker restart) for a state-changing
    method: marks its workers for the request ledger (see
    :class:`~hromada_common.messaging.nameko_ext.UnitOfWorkProvider`), and checks the caller's
    arguments against the method as written, not the ledger's wrapper around it."""

    records_requests = True

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
