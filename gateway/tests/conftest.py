# nameko's pytest plugin no longer monkey-patches; the gateway runs under eventlet, so do the tests.
import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from unittest.mock import MagicMock  # noqa: E402
from urllib.parse import quote, urlsplit  # noqa: E402

import pytest  # noqa: E402
import requests  # noqa: E402
from nameko.testing.services import replace_dependencies  # noqa: E402
from nameko.testing.utils import find_free_port  # noqa: E402

from gateway.service import GatewayService  # noqa: E402

# The suite runs with --import-mode=importlib, which keeps test folders off sys.path; the
# shared builders (uniquely named, so no other suite's module shadows them) need it.
sys.path.insert(0, os.path.dirname(__file__))

AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")


def _management_api(amqp_uri: str) -> tuple[str, tuple[str, str]]:
    parts = urlsplit(amqp_uri)
    base = os.environ.get("RABBIT_MGMT_URI") or f"http://{parts.hostname or '127.0.0.1'}:15672"
    mgmt = urlsplit(base)
    base = f"{mgmt.scheme}://{mgmt.hostname}:{mgmt.port or 15672}"
    return base, (parts.username or "guest", parts.password or "guest")


@pytest.fixture
def amqp_uri():
    """A throwaway RabbitMQ vhost for one test; its AMQP URI."""
    base, auth = _management_api(AMQP_URI)
    vhost = f"gateway-test-{uuid.uuid4().hex[:12]}"
    path = quote(vhost, safe="")
    requests.put(f"{base}/api/vhosts/{path}", auth=auth, timeout=10).raise_for_status()
    requests.put(
        f"{base}/api/permissions/{path}/{quote(auth[0], safe='')}",
        json={"configure": ".*", "write": ".*", "read": ".*"}, auth=auth, timeout=10,
    ).raise_for_status()
    parts = urlsplit(AMQP_URI)
    yield f"{parts.scheme}://{parts.netloc}/{path}"
    requests.delete(f"{base}/api/vhosts/{path}", auth=auth, timeout=30)


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
        mocks = replace_dependencies(container, "intake_rpc", "routing_rpc", "accounts_rpc",
                                     "feedback_rpc") if mock_rpc else None
        container.start()
        api = Api(f"http://{config['WEB_SERVER_ADDRESS']}")
        sessions.append(api)
        return api, mocks

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


@pytest.fixture
def gateway(start_gateway):
    """The gateway with MagicMocks standing in for intake, routing, accounts and feedback."""
    api, mocks = start_gateway()
    return Gateway(api, *mocks)
