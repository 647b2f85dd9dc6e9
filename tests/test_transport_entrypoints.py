"""Every service consumes through hromada_common's transport, never nameko's bare one.

nameko's ``rpc`` and event consumers kill the whole service when a reply, ack or requeue
fails on a connection the broker has just closed (issue 10, item 1), and its decode-error
path acks poison silently. The shared entrypoints (``hromada_common.messaging.rpc.rpc``,
``hromada_common.messaging.nameko_ext.event_handler``) do neither; one method declared with
nameko's own ``rpc`` would also split the service's ``rpc-<name>`` queue between two
consumers that refuse each other's methods. This test keeps it that way.
"""
from __future__ import annotations

import importlib
import inspect

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.messaging import Consumer
from nameko.rpc import Rpc, RpcProxy

from hromada_common.messaging.nameko_ext import DomainEventHandler
from hromada_common.messaging.rpc import HromadaRpc, HromadaRpcProxy

SERVICES = {
    "accounts": "accounts.service:AccountsService",
    "intake": "intake.service:IntakeService",
    "routing": "routing.service:RoutingService",
    "feedback": "feedback.service:FeedbackService",
    "gamification": "gamification.service:GamificationService",
    "gateway": "gateway.service:GatewayService",
}


def service_class(spec: str):
    module, name = spec.split(":")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_amqp_entrypoint_and_proxy_is_the_shared_one(service):
    cls = service_class(SERVICES[service])
    wrong, shared = [], 0
    for name, method in inspect.getmembers(cls, inspect.isfunction):
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            shared += isinstance(entrypoint, (HromadaRpc, DomainEventHandler))
            if isinstance(entrypoint, Rpc) and not isinstance(entrypoint, HromadaRpc):
                wrong.append(f"{name}: {type(entrypoint).__module__}.rpc")
            if isinstance(entrypoint, Consumer) and not isinstance(entrypoint,
                                                                   DomainEventHandler):
                wrong.append(f"{name}: {type(entrypoint).__name__}")
    for name, dependency in vars(cls).items():
        shared += isinstance(dependency, HromadaRpcProxy)
        if isinstance(dependency, RpcProxy) and not isinstance(dependency, HromadaRpcProxy):
            wrong.append(f"{name}: {type(dependency).__name__}")
    assert shared, f"{service}: no AMQP entrypoint or proxy found (is the check still right?)"
    assert not wrong, (f"{service} uses nameko's bare transport; use "
                       f"hromada_common.messaging.rpc / nameko_ext instead: {wrong}")
