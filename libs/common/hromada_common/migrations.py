"""Alembic glue shared by the services' ``migrations/env.py``.

The database comes from ``-x url=...``, else ``DATABASE_URL`` in the environment, else the
service's SQLite fallback: the same choice the running service makes.
"""
from __future__ import annotations

import os

from alembic import context
from sqlalchemy import engine_from_config, pool

from .db import database_url, normalise_url


def run_migrations(service_name: str, target_metadata) -> None:
    config = context.config
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "DATABASE_URL"
    ) or database_url(service_name)
    url = normalise_url(url)
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                          render_as_batch=url.startswith("sqlite"))
        with context.begin_transaction():
            context.run_migrations()
        return
    section = config.get_section(config.config_ini_section) or {}
    section["sqlalchemy.url"] = url
    engine = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=url.startswith("sqlite"), compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def upgrade_to_head(service_dir: str, url: str) -> None:
    """Apply a service's migrations programmatically (tests, the platform launcher)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(os.path.join(service_dir, "alembic.ini"))
    cfg.set_main_option("script_location", os.path.join(service_dir, "migrations"))
    cfg.cmd_opts = type("opts", (), {"x": [f"url={url}"]})()
    command.upgrade(cfg, "head")


def create_messaging_tables() -> None:
    """In a service's first migration: the transactional outbox and the processed-events inbox
    every service has (``db.define_messaging_tables`` declares the same two tables)."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index("ix_outbox_unpublished", "outbox", ["id"], unique=False,
                    postgresql_where=sa.text("published_at IS NULL"),
                    sqlite_where=sa.text("published_at IS NULL"))
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=120), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_events")),
    )


def drop_messaging_tables() -> None:
    """The reverse of :func:`create_messaging_tables`."""
    import sqlalchemy as sa
    from alembic import op

    op.drop_table("processed_events")
    op.drop_index("ix_outbox_unpublished", table_name="outbox",
                  postgresql_where=sa.text("published_at IS NULL"),
                  sqlite_where=sa.text("published_at IS NULL"))
    op.drop_table("outbox")


def create_request_ledger() -> None:
    """The processed-requests ledger of state-changing RPCs (``messaging.commands``)."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "processed_requests",
        sa.Column("request_key", sa.String(length=200), nullable=False),
        sa.Column("replied", sa.Boolean(), nullable=False),
        sa.Column("reply", sa.JSON(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_key", name=op.f("pk_processed_requests")),
    )
    op.create_index(op.f("ix_processed_requests_processed_at"), "processed_requests",
                    ["processed_at"], unique=False)


def drop_request_ledger() -> None:
    from alembic import op

    op.drop_index(op.f("ix_processed_requests_processed_at"), table_name="processed_requests")
    op.drop_table("processed_requests")
