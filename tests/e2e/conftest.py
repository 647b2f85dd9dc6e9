"""End-to-end fixtures: the whole platform as separate processes (exactly as `make up` runs
it) on a throwaway vhost and throwaway PostgreSQL databases."""
import socket

import pytest
import requests

from deploy.launcher import SERVICES, Platform, migrate


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_platform(make_amqp_uri, make_database, tmp_path_factory, label):
    amqp_uri, vhost = make_amqp_uri(label)
    database_urls = {name: make_database(f"{label}_{name}") for name in SERVICES}
    migrate(database_urls)
    platform = Platform(amqp_uri, database_urls, port=free_port(),
                        log_dir=tmp_path_factory.mktemp(f"{label}-logs"),
                        extra_env={"OUTBOX_POLL_INTERVAL": "0.2"})
    platform.vhost = vhost
    platform.start(wait=90)
    return platform


@pytest.fixture(scope="session")
def platform(make_amqp_uri, make_database, tmp_path_factory):
    platform = start_platform(make_amqp_uri, make_database, tmp_path_factory, "e2e")
    yield platform
    platform.stop()


@pytest.fixture(scope="session")
def api(platform):
    session = requests.Session()
    session.base = platform.url + "/api/v1"
    return session
