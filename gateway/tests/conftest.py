# The root conftest monkey-patches eventlet and loads the shared infrastructure fixtures.
import os
import sys
import uuid
from dataclasses import dataclass
from unittest.mock import MagicMock

import pytest
import requests
from nameko.testing.services import replace_dependencies
from nameko.testing.utils import find_free_port

from gateway.service import GatewayService
from hromada_common.testing.infra import uri_for_vhost

# The suite runs with --import-mode=importlib, which keeps test folders off sys.path; the
# shared builders (uniquely named, so no other suite's module shadows them) need it.
sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture
def amqp_uri(rabbit_server):
    """A throwaway RabbitMQ vhost for one test, on the broker the shared fixtures found."""
    base_uri, admin = rabbit_server
    vhost = f"gateway-test-{uuid.uuid4().hex[:12]}"
    admin.create_vhost(vhost)
    yield uri_for_vhost(base_uri, vhost)
    admin.delete_vhost(vhost)


@pytest.fixture
def config(amqp_uri, signing_keys):
    return {
        **signing_keys.config,
        "RATE_LIMITS_ENABLED": False,
        "AMQP_URI": amqp_uri,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}",
        "max_workers": 10,
        "rpc_timeout": 1,
        "ready_timeout": 0.5,
        # Tests change the stand-ins' answers between requests; test_web_page_cache.py turns
        # the page cache on where it is the subject.
        "WEB_PAGE_CACHE_SECONDS": 0,
    }


class Api(requests.Session):
    """A requests session whose URLs are paths on the running gateway."""

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.base_url + url, *args, **kwargs)


@pytest.fixture
def start_gateway(config, container_factory):
    """Start the gateway (optionally with its RPC proxies mocked); return a session on it."""
    sessions = []

    def start(mock_rpc: bool = True):
        container = container_factory(GatewayService, config)
        start.containers.append(container)
        mocks = replace_dependencies(container, "intake_rpc", "routing_rpc", "accounts_rpc",
                                     "feedback_rpc", "gamification_rpc") if mock_rpc else None
        container.start()
        api = Api(f"http://{config['WEB_SERVER_ADDRESS']}")
        sessions.append(api)
        return api, mocks

    start.containers = []
    yield start
    for api in sessions:
        api.close()


@dataclass
class Gateway:
    api: Api
    intake: MagicMock
    routing: MagicMock
    accounts: MagicMock
    feedback: MagicMock
    gamification: MagicMock


ALL_ROLES = ("resident", "executor", "dispatcher", "head", "admin")


@pytest.fixture
def gateway(start_gateway, signing_keys):
    """The gateway with MagicMocks standing in for the services behind it. Its session signs
    in with every role, so the edge's access check lets each call through to the mocks (the
    services decide the finer rules); pass ``headers={"Authorization": None}`` to call
    anonymously."""
    api, mocks = start_gateway()
    api.headers["Authorization"] = f"Bearer {signing_keys.token_for(None, *ALL_ROLES, body='kyivavtodor')}"
    return Gateway(api, *mocks)
