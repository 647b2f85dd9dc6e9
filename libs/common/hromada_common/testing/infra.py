"""pytest fixtures for real infrastructure: a throwaway RabbitMQ vhost and throwaway
PostgreSQL databases per test session.

Where the services come from, in order:
1. the environment: ``AMQP_URI`` (and ``RABBIT_MGMT_URI``, default: the same host on port
   15672) and ``TEST_DATABASE_URL`` (a server URL, e.g. postgresql://postgres@127.0.0.1/postgres);
2. containers started with testcontainers, when a Docker engine answers;
3. otherwise the session fails at once with a message saying what to set.

Nothing here mocks the broker or the database.
"""
from __future__ import annotations

import os
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from ..db import normalise_url


class InfrastructureMissing(RuntimeError):
    pass


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means: no engine to use
        return False


def _missing(what: str, variable: str) -> InfrastructureMissing:
    return InfrastructureMissing(
        f"No {what} for the tests: set {variable} (see README, 'Running the tests') or make a "
        f"Docker engine reachable so testcontainers can start one."
    )


def mgmt_uri_for(amqp_uri: str) -> str:
    """The management API's URI on the broker of ``amqp_uri``, with the same credentials."""
    parts = urlsplit(amqp_uri)
    user = parts.username or "guest"
    password = parts.password or "guest"
    return f"http://{quote(user)}:{quote(password)}@{parts.hostname or '127.0.0.1'}:15672"


class RabbitAdmin:
    """Creates and deletes vhosts through the management HTTP API, or through a local
    ``rabbitmqctl`` when the management plugin is not enabled."""

    def __init__(self, mgmt_uri: str):
        import requests

        parts = urlsplit(mgmt_uri)
        self.base = urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port or 15672}", "", "", ""))
        self.auth = (parts.username or "guest", parts.password or "guest")
        self.user = self.auth[0]
        self.http = requests.Session()

    def _ctl(self, *args: str) -> str:
        import subprocess

        return subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True,
                              text=True, timeout=60).stdout

    @property
    def _has_http(self) -> bool:
        if not hasattr(self, "_http_ok"):
            try:
                self.http.get(f"{self.base}/api/overview", auth=self.auth, timeout=3)
                self._http_ok = True
            except Exception:  # noqa: BLE001
                import shutil

                if shutil.which("rabbitmqctl") is None:
                    raise InfrastructureMissing(
                        f"RabbitMQ's management API does not answer at {self.base} and there "
                        "is no local rabbitmqctl: enable the plugin "
                        "(`rabbitmq-plugins enable rabbitmq_management`) or set RABBIT_MGMT_URI"
                    )
                self._http_ok = False
        return self._http_ok

    def create_vhost(self, name: str) -> None:
        if not self._has_http:
            self._ctl("add_vhost", name)
            self._ctl("set_permissions", "-p", name, self.user, ".*", ".*", ".*")
            return
        response = self.http.put(f"{self.base}/api/vhosts/{quote(name, safe='')}", auth=self.auth,
                                 timeout=10)
        response.raise_for_status()
        response = self.http.put(
            f"{self.base}/api/permissions/{quote(name, safe='')}/{quote(self.user, safe='')}",
            json={"configure": ".*", "write": ".*", "read": ".*"}, auth=self.auth, timeout=10,
        )
        response.raise_for_status()

    def delete_vhost(self, name: str) -> None:
        if not self._has_http:
            self._ctl("delete_vhost", name)
            return
        self.http.delete(f"{self.base}/api/vhosts/{quote(name, safe='')}", auth=self.auth,
                         timeout=30)

    def set_policy(self, vhost: str, name: str, pattern: str, definition: dict,
                   apply_to: str = "queues", priority: int = 0) -> None:
        """Set (or replace) a policy on ``vhost``; queues declared afterwards start with it,
        queues already there are converted by the broker."""
        if not self._has_http:
            import json

            self._ctl("set_policy", "-p", vhost, "--apply-to", apply_to,
                      "--priority", str(priority), name, pattern, json.dumps(definition))
            return
        response = self.http.put(
            f"{self.base}/api/policies/{quote(vhost, safe='')}/{quote(name, safe='')}",
            json={"pattern": pattern, "definition": definition, "apply-to": apply_to,
                  "priority": priority},
            auth=self.auth, timeout=10,
        )
        response.raise_for_status()

    def queue_policies(self, vhost: str) -> dict[str, str]:
        """Queue name → the policy in effect on it ("" for none)."""
        if not self._has_http:
            out = self._ctl("list_queues", "-p", vhost, "--no-table-headers", "name", "policy")
            return {line.split("\t")[0]: (line.split("\t") + [""])[1].strip()
                    for line in out.splitlines() if line.strip()}
        response = self.http.get(f"{self.base}/api/queues/{quote(vhost, safe='')}",
                                 auth=self.auth, timeout=10)
        response.raise_for_status()
        return {q["name"]: q.get("policy") or "" for q in response.json()}

    def queue_depth(self, vhost: str, queue: str) -> int:
        if not self._has_http:
            for line in self._ctl("list_queues", "-p", vhost, "name", "messages").splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0] == queue:
                    return int(parts[1])
            raise LookupError(f"no queue {queue} in {vhost}")
        response = self.http.get(
            f"{self.base}/api/queues/{quote(vhost, safe='')}/{quote(queue, safe='')}",
            auth=self.auth, timeout=10,
        )
        response.raise_for_status()
        return int(response.json().get("messages", 0))


@pytest.fixture(scope="session")
def rabbit_server():
    """``(amqp_uri_of_default_vhost, RabbitAdmin)`` for a reachable RabbitMQ."""
    uri = os.environ.get("AMQP_URI")
    if uri:
        yield uri, RabbitAdmin(os.environ.get("RABBIT_MGMT_URI") or mgmt_uri_for(uri))
        return
    if _docker_available():
        from testcontainers.rabbitmq import RabbitMqContainer

        container = RabbitMqContainer("rabbitmq:3.13-management").with_exposed_ports(5672, 15672)
        with container:
            host = container.get_container_host_ip()
            amqp_port = container.get_exposed_port(5672)
            mgmt_port = container.get_exposed_port(15672)
            yield (f"amqp://guest:guest@{host}:{amqp_port}/",
                   RabbitAdmin(f"http://guest:guest@{host}:{mgmt_port}"))
        return
    raise _missing("RabbitMQ", "AMQP_URI")


@pytest.fixture(scope="session")
def hromada_vhost(rabbit_server):
    """A throwaway vhost for this test session, deleted at the end."""
    base_uri, admin = rabbit_server
    name = f"hromada-test-{uuid.uuid4().hex[:10]}"
    admin.create_vhost(name)
    yield name
    admin.delete_vhost(name)


def uri_for_vhost(base_uri: str, vhost: str) -> str:
    parts = urlsplit(base_uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", ""))


@pytest.fixture(scope="session")
def hromada_amqp_uri(rabbit_server, hromada_vhost):
    return uri_for_vhost(rabbit_server[0], hromada_vhost)


@pytest.fixture(scope="session")
def make_amqp_uri(rabbit_server):
    """Factory: a URI of another fresh vhost (for a whole platform of its own); deleted at the end."""
    base_uri, admin = rabbit_server
    created: list[str] = []

    def create(label: str = "extra") -> tuple[str, str]:
        name = f"hromada-test-{label}-{uuid.uuid4().hex[:8]}"
        admin.create_vhost(name)
        created.append(name)
        return uri_for_vhost(base_uri, name), name

    yield create
    for name in created:
        admin.delete_vhost(name)


@pytest.fixture(scope="session")
def rabbit_admin(rabbit_server):
    return rabbit_server[1]


@pytest.fixture(scope="session")
def postgres_server_url():
    """A URL of a PostgreSQL server's maintenance database, for creating throwaway ones."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield normalise_url(url)
        return
    if _docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver="psycopg2") as container:
            yield normalise_url(container.get_connection_url())
        return
    raise _missing("PostgreSQL", "TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def make_database(postgres_server_url):
    """Factory: ``make_database("intake")`` → URL of a new, empty database; all dropped at the end."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def create(label: str) -> str:
        name = f"hromada_t_{label}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)

    yield create
    with admin.connect() as connection:
        for name in created:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class SigningKeys:
    """A throwaway RSA key pair on disk plus a token factory, standing in for the accounts
    service's keys in tests (the services verify these tokens exactly as in production)."""

    def __init__(self, directory):
        from ..auth import TokenIssuer, TokenVerifier, ensure_key_files

        self.private_path, self.public_path = ensure_key_files(directory)
        self.issuer = TokenIssuer(self.private_path.read_text())
        self.verifier = TokenVerifier(self.public_path.read_text())

    def token_for(self, account_id: str | None = None, *roles: str, body: str | None = None,
                  verified: bool = True, status: str = "active", trust: int = 1,
                  scopes=(), now: float | None = None) -> str:
        from ..auth import Identity

        identity = Identity(account_id or f"acc-{uuid.uuid4().hex[:12]}",
                            frozenset(roles or ("resident",)), body, status, verified, trust,
                            frozenset(scopes))
        return self.issuer.issue(identity, now=now)[0]

    @property
    def config(self) -> dict:
        # TOKEN_REVOCATION_SNAPSHOT: see service_config (no accounts service to ask).
        return {"JWT_PUBLIC_KEY_FILE": str(self.public_path), "TOKEN_REVOCATION_SNAPSHOT": ""}


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory):
    return SigningKeys(tmp_path_factory.mktemp("jwt-keys"))


@pytest.fixture
def listener(hromada_amqp_uri):
    """Every event published on the session's vhost from now on (bound before the test's
    containers start, so it sees their first events)."""
    from .helpers import EventListener

    listener = EventListener(hromada_amqp_uri)
    yield listener
    listener.close()
