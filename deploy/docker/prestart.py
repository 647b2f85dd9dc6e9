"""What a container does before its service starts (called by deploy/docker/entrypoint.sh).

    python deploy/docker/prestart.py wait SERVICE        # wait for RabbitMQ (and the database)
    python deploy/docker/prestart.py migrate SERVICE     # wait, then apply the migrations
    python deploy/docker/prestart.py demo-seed [URL]     # wait for the gateway's /ready, seed

Waiting matters even behind compose's ``depends_on: condition: service_healthy``: on
Kubernetes, after a broker restart, or when the database is created late, a service that
started too early would crash-loop instead of starting cleanly.

Migrations run under a PostgreSQL advisory lock, so several instances of one service started
together (``docker compose up --scale routing=2``) apply them once, one after the other,
instead of racing to create the same tables.
"""
from __future__ import annotations

import logging
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

APP_DIR = Path(__file__).resolve().parents[2]
# Every services/<name>/ with migrations: accounts, intake, routing, feedback, gamification, ...
SERVICES = tuple(sorted(p.parent.name for p in (APP_DIR / "services").glob("*/alembic.ini")))
DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"

log = logging.getLogger("hromada.prestart")


def _timeout() -> float:
    return float(os.environ.get("HROMADA_WAIT_TIMEOUT", "120"))


def _redact(url: str) -> str:
    parts = urlsplit(url)
    return url.replace(f":{parts.password}@", ":***@") if parts.password else url


def _wait(what: str, attempt, timeout: float) -> None:
    """Call ``attempt()`` until it returns without raising, or exit after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay, last_report, tries = 0.5, 0.0, 0
    while True:
        tries += 1
        try:
            attempt()
        except Exception as exc:  # noqa: BLE001 - anything means "not yet"
            now = time.monotonic()
            if now >= deadline:
                log.error("gave up waiting for %s after %.0fs: %s", what, timeout, exc)
                sys.exit(69)  # EX_UNAVAILABLE
            if now - last_report >= 10 or tries == 1:
                log.info("waiting for %s: %s", what, exc)
                last_report = now
            time.sleep(min(delay, max(0.1, deadline - now)))
            delay = min(delay * 2, 5.0)
        else:
            log.info("%s is up", what)
            return


def wait_for_rabbitmq(amqp_uri: str, timeout: float) -> None:
    from kombu import Connection

    def attempt():
        with Connection(amqp_uri, connect_timeout=5) as connection:
            connection.connect()  # a full AMQP handshake: also checks credentials and vhost

    _wait(f"RabbitMQ at {_redact(amqp_uri)}", attempt, timeout)


def database_url_for(service: str) -> str:
    return os.environ.get(f"{service.upper()}_DATABASE_URL", "").strip()


def wait_for_database(url: str, timeout: float) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from hromada_common.db import normalise_url

    engine = create_engine(normalise_url(url), poolclass=NullPool,
                           connect_args={"connect_timeout": 5} if url.startswith("postgres") else {})

    def attempt():
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    try:
        _wait(f"database {_redact(url)}", attempt, timeout)
    finally:
        engine.dispose()


def _check_service(service: str) -> None:
    if service not in SERVICES and service != "gateway":
        sys.exit(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}, gateway")


def wait(service: str) -> str | None:
    """Wait for what ``service`` needs; return its database URL (None: SQLite fallback)."""
    _check_service(service)
    timeout = _timeout()
    wait_for_rabbitmq(os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI, timeout)
    if service == "gateway":
        return None
    url = database_url_for(service)
    if not url:
        log.warning("%s_DATABASE_URL is not set: %s will use a SQLite file under %s, which "
                    "is lost with the container unless that directory is a volume",
                    service.upper(), service, os.environ.get("HROMADA_VAR_DIR", "./var"))
        return None
    wait_for_database(url, timeout)
    return url


def migrate(service: str) -> None:
    if service == "gateway":
        sys.exit("the gateway has no database and no migrations")
    url = wait(service)
    if url is None:
        from hromada_common.db import database_url

        url = database_url(service)
    from hromada_common.db import normalise_url
    from hromada_common.migrations import upgrade_to_head

    service_dir = str(APP_DIR / "services" / service)
    url = normalise_url(url)
    if not url.startswith("postgresql"):
        upgrade_to_head(service_dir, url)
        log.info("migrations of %s applied", service)
        return

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    lock_name = f"hromada.migrations.{service}"
    try:
        with engine.connect() as lock_connection:
            # A session-level advisory lock, held on its own connection while Alembic works on
            # another: concurrent starters queue here and then find the schema at head.
            log.info("taking the migration lock of %s", service)
            lock_connection.execute(text("SELECT pg_advisory_lock(hashtext(:name))"),
                                    {"name": lock_name})
            try:
                upgrade_to_head(service_dir, url)
            finally:
                lock_connection.execute(text("SELECT pg_advisory_unlock(hashtext(:name))"),
                                        {"name": lock_name})
                lock_connection.commit()
    finally:
        engine.dispose()
    log.info("migrations of %s applied", service)


def demo_seed(base_url: str | None = None) -> None:
    base_url = (base_url or os.environ.get("HROMADA_BASE_URL") or "http://gateway:8000").rstrip("/")
    timeout = float(os.environ.get("HROMADA_WAIT_TIMEOUT", "180"))

    def ready():
        with urllib.request.urlopen(f"{base_url}/ready", timeout=10) as response:
            if response.status != 200:
                raise RuntimeError(f"/ready answered {response.status}")

    _wait(f"the platform at {base_url} (/ready)", ready, timeout)
    sys.path.insert(0, str(APP_DIR))
    from deploy.demo import seed_demo_city

    print(seed_demo_city(base_url), flush=True)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s prestart %(name)s: %(message)s")
    # Alembic's progress lines ("Running upgrade  -> 0001") are worth seeing in the logs.
    logging.getLogger("alembic").setLevel(logging.INFO)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if len(argv) >= 2 and argv[0] == "wait":
        wait(argv[1])
    elif len(argv) == 2 and argv[0] == "migrate":
        _check_service(argv[1])
        migrate(argv[1])
    elif argv and argv[0] == "demo-seed" and len(argv) <= 2:
        demo_seed(argv[1] if len(argv) == 2 else None)
    else:
        print(__doc__, file=sys.stderr)
        return 64
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
