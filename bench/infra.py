"""Throwaway infrastructure for a benchmark run: a RabbitMQ vhost, PostgreSQL databases, and
the whole platform started on them. Everything created here is removed again on exit."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/pipeline.py` puts only bench/ on the path
    sys.path.insert(0, str(ROOT))

from deploy.launcher import Platform, ensure_databases, migrate  # noqa: E402

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def run_label() -> str:
    return uuid.uuid4().hex[:8]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def amqp_uri_for_vhost(server_uri: str, vhost: str) -> str:
    parts = urlsplit(server_uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", ""))


class RabbitVhosts:
    """Creates and deletes vhosts through RabbitMQ's management HTTP API, or through a local
    ``rabbitmqctl`` when the management plugin is not enabled."""

    def __init__(self, amqp_uri: str, mgmt_port: int = 15672):
        parts = urlsplit(amqp_uri)
        self.base = f"http://{parts.hostname or '127.0.0.1'}:{mgmt_port}/api"
        self.user = parts.username or "guest"
        self.auth = (self.user, parts.password or "guest")
        self._http_ok: bool | None = None

    def _has_http(self) -> bool:
        if self._http_ok is None:
            try:
                requests.get(f"{self.base}/overview", auth=self.auth, timeout=3)
                self._http_ok = True
            except requests.ConnectionError:
                if shutil.which("rabbitmqctl") is None:
                    raise
                self._http_ok = False
        return self._http_ok

    @staticmethod
    def _ctl(*args: str) -> None:
        subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True,
                       text=True, timeout=60)

    def create(self, name: str) -> None:
        if not self._has_http():
            self._ctl("add_vhost", name)
            self._ctl("set_permissions", "-p", name, self.user, ".*", ".*", ".*")
            return
        vhost = quote(name, safe="")
        requests.put(f"{self.base}/vhosts/{vhost}", auth=self.auth, timeout=10).raise_for_status()
        requests.put(
            f"{self.base}/permissions/{vhost}/{quote(self.user, safe='')}",
            json={"configure": ".*", "write": ".*", "read": ".*"}, auth=self.auth, timeout=10,
        ).raise_for_status()

    def delete(self, name: str) -> None:
        if not self._has_http():
            self._ctl("delete_vhost", name)
            return
        requests.delete(f"{self.base}/vhosts/{quote(name, safe='')}", auth=self.auth, timeout=30)

    def set_policy(self, vhost: str, name: str, pattern: str, definition: dict,
                   apply_to: str = "queues", priority: int = 0) -> None:
        """Set (or replace) a policy on ``vhost``; queues declared afterwards start with it,
        queues already there are converted by the broker."""
        if not self._has_http():
            self._ctl("set_policy", "-p", vhost, "--apply-to", apply_to,
                      "--priority", str(priority), name, pattern, json.dumps(definition))
            return
        requests.put(
            f"{self.base}/policies/{quote(vhost, safe='')}/{quote(name, safe='')}",
            json={"pattern": pattern, "definition": definition, "apply-to": apply_to,
                  "priority": priority},
            auth=self.auth, timeout=10,
        ).raise_for_status()

    def queue_policies(self, vhost: str) -> dict[str, str]:
        """Queue name → the policy in effect on it ("" for none)."""
        if not self._has_http():
            out = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost,
                                  "--no-table-headers", "name", "policy"], check=True,
                                 capture_output=True, text=True, timeout=60).stdout
            return {line.split("\t")[0]: (line.split("\t") + [""])[1].strip()
                    for line in out.splitlines() if line.strip()}
        response = requests.get(f"{self.base}/queues/{quote(vhost, safe='')}",
                                auth=self.auth, timeout=10)
        response.raise_for_status()
        return {q["name"]: q.get("policy") or "" for q in response.json()}


@contextmanager
def throwaway_vhost(server_uri: str, label: str, policies: dict[str, dict] | None = None):
    """Yield the AMQP URI of a fresh vhost; delete the vhost afterwards. ``policies``
    (policy name → definition) are applied to every queue of the vhost before anything is
    declared on it."""
    admin = RabbitVhosts(server_uri)
    name = f"hromada-bench-{label}"
    admin.create(name)
    try:
        for policy, definition in (policies or {}).items():
            admin.set_policy(name, policy, ".*", definition)
        yield amqp_uri_for_vhost(server_uri, name)
    finally:
        admin.delete(name)


def drop_databases(server_url: str, names) -> None:
    connection = psycopg2.connect(server_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()


def create_databases(server_url: str, names) -> dict[str, str]:
    """Create each database (which must not exist); return name → URL."""
    connection = psycopg2.connect(server_url)
    connection.autocommit = True
    parts = urlsplit(server_url)
    try:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return {name: urlunsplit((parts.scheme, parts.netloc, "/" + name, "", "")) for name in names}


@contextmanager
def bench_platform(amqp_server_uri: str, postgres_url: str, label: str,
                   env: dict[str, str] | None = None):
    """Start the whole platform on a fresh vhost and fresh databases; yield it, then stop it
    and remove the vhost and databases. Service logs go to ``platform.bench_log_dir`` (a
    temporary directory the caller removes, or keeps to look at)."""
    prefix = f"hromada_bench_{label}"
    log_dir = Path(tempfile.mkdtemp(prefix=f"hromada-bench-{label}-"))
    with throwaway_vhost(amqp_server_uri, label) as amqp_uri:
        database_urls = {}
        try:
            database_urls = ensure_databases(postgres_url, prefix=prefix)
            migrate(database_urls)
            # Demo mode for the demo resident the load is filed as; rate limits off, since
            # one resident filing thousands of appeals an hour is exactly what they stop.
            platform = Platform(amqp_uri, database_urls, port=free_port(), log_dir=log_dir,
                                var_dir=log_dir, demo=True,
                                extra_env={"GATEWAY_RATE_LIMITS": "false", **(env or {})})
            platform.bench_amqp_uri = amqp_uri
            platform.bench_log_dir = log_dir
            try:
                try:
                    platform.start(wait=90)
                except Exception as exc:
                    raise RuntimeError(f"{exc} (service logs in {log_dir})") from exc
                yield platform
            finally:
                platform.stop()
        finally:
            if database_urls:
                drop_databases(postgres_url, [f"{prefix}_{service}" for service in database_urls])
