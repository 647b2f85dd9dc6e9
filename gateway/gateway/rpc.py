"""An RPC proxy that gives up after ``rpc_timeout`` seconds.

nameko 2.x's :class:`~nameko.rpc.RpcProxy` waits for a reply forever; an HTTP edge must not
hold a request (and a worker) that long, so this proxy raises nameko's own
:class:`~nameko.exceptions.RpcTimeout`, which the gateway maps to 503.

A request the gateway has given up on must not run later either (the client was told 503 and
may well try again): each request message carries an AMQP per-message TTL equal to the
timeout, so the broker drops it if no instance of the service has taken it by then, for
instance while the service is down or stuck behind a backlog.
"""
from __future__ import annotations

import eventlet
from nameko.exceptions import RpcTimeout
from nameko.rpc import MethodProxy, ServiceProxy

from hromada_common.messaging.rpc import HromadaReplyListener, HromadaRpcProxy

RPC_TIMEOUT_CONFIG_KEY = "rpc_timeout"
REPLY_QUEUE_EXPIRES_MS = 60_000


class ExpiringReplyListener(HromadaReplyListener):
    """The shared reply listener (rides out a broker restart), whose queue forgets what nobody
    waits for.

    nameko's reply queue outlives a killed gateway by 5 minutes, holding the replies sent to it.
    Here a reply expires after ``rpc_timeout`` (nobody waits longer for it), and the queue of
    a gateway that is gone is deleted a minute after its consumer left (a gateway that only
    lost its connection declares it again when it reconnects).
    """

    def setup(self):
        super().setup()
        arguments = dict(self.queue.queue_arguments or {}, **{"x-expires": REPLY_QUEUE_EXPIRES_MS})
        timeout = float(self.container.config.get(RPC_TIMEOUT_CONFIG_KEY) or 0)
        if timeout:
            arguments["x-message-ttl"] = int(timeout * 1000)
        self.queue.queue_arguments = arguments


class TimeoutRpcProxy(HromadaRpcProxy):
    """``RpcProxy`` whose calls raise ``RpcTimeout`` after the configured ``rpc_timeout``
    (seconds; 0 or absent waits forever, as nameko does). Its replies arrive through
    hromada_common's reply listener, which rides out a broker restart."""

    rpc_reply_listener = ExpiringReplyListener()

    def get_dependency(self, worker_ctx):
        timeout = float(self.container.config.get(RPC_TIMEOUT_CONFIG_KEY) or 0) or None
        options = dict(self.options)
        if timeout:
            # kombu's ``expiration`` (seconds) becomes the message's AMQP ``expiration``.
            options.setdefault("expiration", timeout)
        return TimeoutServiceProxy(
            worker_ctx, self.target_service, self.rpc_reply_listener, timeout, **options
        )


class TimeoutServiceProxy(ServiceProxy):
    def __init__(self, worker_ctx, service_name, reply_listener, timeout, **options):
        super().__init__(worker_ctx, service_name, reply_listener, **options)
        self.timeout = timeout

    def __getattr__(self, name):
        return TimeoutMethodProxy(
            self.worker_ctx, self.service_name, name, self.reply_listener, self.timeout,
            **self.options,
        )


class TimeoutMethodProxy(MethodProxy):
    def __init__(self, worker_ctx, service_name, method_name, reply_listener, timeout, **options):
        super().__init__(worker_ctx, service_name, method_name, reply_listener, **options)
        self.timeout = timeout

    def __call__(self, *args, **kwargs):
        """Call the remote method and wait at most ``timeout`` seconds for its reply."""
        reply = self._call(*args, **kwargs)
        with eventlet.Timeout(self.timeout, RpcTimeout(f"{self} gave no reply in {self.timeout}s")):
            return reply.result()
