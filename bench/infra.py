"""Throwaway infrastructure for a benchmark run: a RabbitMQ vhost, PostgreSQL databases, and
the whole platform started on them. Everything created here is removed again on exit."""
from __future__ import annotations

import socket
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/pipeline.py` puts only bench/ on the path
    sys.path.insert(0, str(ROOT))

from deploy.launcher import Platform, ensure_databases, migrate  # noqa: E402
from hromada_common.testing.infra import (  # noqa: E402
    RabbitAdmin,
    mgmt_uri_for,
    uri_for_vhost,
)

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def run_label() -> str:
    return uuid.uuid4().hex[:8]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def throwaway_vhost(server_uri: str, label: str, policies: dict[str, dict] | None = None):
    """Yield the AMQP URI of a fresh vhost; delete the vhost afterwards. ``policies``
    (policy name → definition) are applied to every queue of the vhost before anything is
    declared on it."""
    admin = RabbitAdmin(mgmt_uri_for(server_uri))
    name = f"hromada-bench-{label}"
    admin.create_vhost(name)
    try:
        for policy, definition in (policies or {}).items():
            admin.set_policy(name, policy, ".*", definition)
        yield uri_for_vhost(server_uri, name)
    finally:
        admin.delete_vhost(name)


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
