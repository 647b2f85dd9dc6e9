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
