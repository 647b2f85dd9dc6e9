"""Database plumbing shared by the services: engines, the outbox and inbox tables.

Each service has its own database (never shared, never read by another service). Without
``DATABASE_URL`` a service falls back to a SQLite file under ``./var/`` so a trial needs
nothing but RabbitMQ; PostgreSQL is what a city runs.
"""
from __future__ import annotations

from datetime import datetime, timezone
import os
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Engine

from .events import EVENT_ID_MAX_LENGTH

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def database_url(service_name: str, config: dict | None = None) -> str:
    """The service's database: ``DATABASE_URL`` from its config, else a SQLite file."""
    url = (config or {}).get("DATABASE_URL")
    if url:
        return url
    var = Path(os.environ.get("HROMADA_VAR_DIR", "var")).resolve()
    var.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{var / (service_name + '.db')}"


def normalise_url(url: str) -> str:
    """Pin plain ``postgresql://`` URLs to psycopg2, which cooperates with eventlet (psycogreen).

    SQLAlchemy 2.1 maps the bare scheme to psycopg 3, whose waits would block the whole
    process under eventlet.
    """
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg2://" + url[len(bare):]
    return url


def _eventlet_is_active() -> bool:
    try:
        from eventlet import patcher
    except ImportError:  # pragma: no cover
        return False
    return patcher.is_monkey_patched("socket")


def make_engine(url: str, pool_size: int = 10, max_overflow: int | None = None) -> Engine:
    """An engine that cooperates with eventlet (psycopg2 waits yield to other greenthreads)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if _eventlet_is_active():
        from psycogreen.eventlet import patch_psycopg

        patch_psycopg()
    # No pool_pre_ping: it costs a round trip on every checkout (measured: a noticeable share
    # of intake's statements). A connection the server dropped fails its next statement once,
    # SQLAlchemy then discards the whole pool, and the caller's retry (RPC client, event
    # redelivery) succeeds on a fresh connection.
    return create_engine(url, pool_size=pool_size,
                         max_overflow=pool_size if max_overflow is None else max_overflow,
                         pool_recycle=1800)


def define_messaging_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Add the transactional outbox, the processed-events inbox and the processed-requests
    ledger (``metadata.tables["processed_requests"]``) to a service's metadata."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
               autoincrement=True),
        Column("event_id", String(EVENT_ID_MAX_LENGTH), nullable=False, unique=True),
        Column("event_type", String(120), nullable=False),
        Column("payload", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Index(
            "ix_outbox_unpublished",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )
    inbox = Table(
        "processed_events",
        metadata,
        Column("consumer", String(120), primary_key=True),
        Column("event_id", String(EVENT_ID_MAX_LENGTH), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    # Requests a state-changing RPC applied, with their replies (messaging.commands).
    Table(
        "processed_requests",
        metadata,
        Column("request_key", String(200), primary_key=True),
        Column("replied", Boolean, nullable=False),
        Column("reply", JSON, nullable=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, index=True),
    )
    return outbox, inbox


def aware(value: datetime | None) -> datetime | None:
    """A stored timestamp as an aware UTC datetime (SQLite returns naive ones; everything is
    stored in UTC)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def iso(value: datetime | None) -> str | None:
    """A stored timestamp as ISO 8601 in UTC (see :func:`aware`), or None."""
    return aware(value).isoformat() if value is not None else None
