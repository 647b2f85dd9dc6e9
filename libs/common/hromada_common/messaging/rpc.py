"""nameko RPC that rides out a broker restart: the entrypoint every service declares its RPC
methods with (``from hromada_common.messaging.rpc import rpc``) and the proxy base the
gateway calls them through.

nameko's own ``rpc`` lets a failed reply kill the service: when the broker goes away while a
worker runs, ``Responder.send_response`` raises (``OperationalError: ECONNREFUSED`` once its
publish retries run out), the exception escapes the worker's result handling, and nameko
kills the container, even though its consumer has reconnected by then. Here a reply that
cannot be sent for a lost connection is logged and the request given back to the broker:
it is delivered again (the caller may still be waiting for the reply), and handlers that
change state are idempotent (a submission carries the gateway's per-request idempotency
key). A request the gateway has given up on has expired from the queue by then
(``gateway.rpc``: the request's TTL is the gateway's timeout).

Both sides consume through :class:`~.nameko_ext.HromadaQueueConsumer` (one connection per
service for RPC and events, reconnecting within seconds, never raising when a message cannot
be settled on a dead connection).

A service must declare *every* RPC method with this ``rpc``: nameko's and this one would be
two consumers of the same ``rpc-<service>`` queue, each refusing the other's methods.
"""
from __future__ import annotations

import logging

from nameko.rpc import ReplyListener, Rpc, RpcConsumer, RpcProxy

from .nameko_ext import BROKER_CONNECTION_ERRORS, HromadaQueueConsumer

log = logging.getLogger(__name__)


class HromadaRpcConsumer(RpcConsumer):
    """nameko's RPC consumer, whose reply never kills the container on a lost connection."""

    queue_consumer = HromadaQueueConsumer()

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except BROKER_CONNECTION_ERRORS as exc:
            properties = getattr(message, "properties", None) or {}
            log.warning(
                "could not reply to RPC %s (correlation id %s): the broker connection is gone "
                "(%s: %s); the request goes back to the broker to be delivered again",
                (getattr(message, "delivery_info", None) or {}).get("routing_key") or "?",
                properties.get("correlation_id") or "?", type(exc).__name__, exc,
            )
            # A no-op if the consumer's channel died too: the broker requeues it anyway.
            self.queue_consumer.requeue_message(message)
            return result, exc_info


class HromadaRpc(Rpc):
    """nameko's ``@rpc`` entrypoint, served by :class:`HromadaRpcConsumer`."""

    rpc_consumer = HromadaRpcConsumer()


rpc = HromadaRpc.decorator


class HromadaReplyListener(ReplyListener):
    """nameko's RPC reply listener, on :class:`~.nameko_ext.HromadaQueueConsumer`."""

    queue_consumer = HromadaQueueConsumer()


class HromadaRpcProxy(RpcProxy):
    """nameko's ``RpcProxy`` whose replies arrive through :class:`HromadaReplyListener`."""

    rpc_reply_listener = HromadaReplyListener()
