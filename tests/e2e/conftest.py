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


def start_platform(make_amqp_uri, make_database, tmp_path_factory, label, **env):
    """The platform in demo mode (so the demo accounts exist), with its own vhost, databases,
    signing keys, mail sink and rate-limit counters."""
    amqp_uri, vhost = make_amqp_uri(label)
    database_urls = {name: make_database(f"{label}_{name}") for name in SERVICES}
    migrate(database_urls)
    var_dir = tmp_path_factory.mktemp(f"{label}-var")
    platform = Platform(amqp_uri, database_urls, port=free_port(), log_dir=var_dir / "log",
                        var_dir=var_dir, demo=True,
                        extra_env={"OUTBOX_POLL_INTERVAL": "0.2", "GATEWAY_RATE_LIMITS": "false",
                                   "GATEWAY_RATE_LIMITS_PREFIX": f"hromada:e2e:{vhost}:",
                                   # two platforms may run at once against one PostgreSQL
                                   # (100 connections by default): fewer workers, small pools
                                   **{f"{name.upper()}_MAX_WORKERS": "10" for name in SERVICES},
                                   "DB_POOL_SIZE": "2",
                                   # feedback's limits, small enough to reach in a test
                                   "FEEDBACK_REWORK_LIMIT": "2", "FEEDBACK_ARCHIVE_AFTER_DAYS": "0",
                                   **env})
    platform.vhost = vhost
    platform.start(wait=90)
    return platform


@pytest.fixture(scope="session")
def platform(make_amqp_uri, make_database, tmp_path_factory):
    platform = start_platform(make_amqp_uri, make_database, tmp_path_factory, "e2e")
    yield platform
    platform.stop()


@pytest.fixture(scope="session")
def api(platform, tokens):
    session = requests.Session()
    session.base = platform.url + "/api/v1"
    session.resident_token = tokens["resident"]
    return session


@pytest.fixture(scope="session")
def tokens(platform):
    """An access token for each demo account, by role name."""
    from deploy.demo import DEMO_ACCOUNTS, sign_in

    return {email.split("@")[0]: sign_in(platform.url, email) for email in DEMO_ACCOUNTS}
