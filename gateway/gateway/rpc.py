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

from hromada_common.messaging.rpc import HromadaRpcProxy

RPC_TIMEOUT_CONFIG_KEY = "rpc_timeout"


class TimeoutRpcProxy(HromadaRpcProxy):
    """``RpcProxy`` whose calls raise ``RpcTimeout`` after the configured ``rpc_timeout``
    (seconds; 0 or absent waits forever, as nameko does). Its replies arrive through
    hromada_common's reply listener, which rides out a broker restart."""

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
