"""Each service's Alembic migrations build exactly the schema its SQLAlchemy models describe."""
import importlib
import os

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, String, Table, inspect

from hromada_common.db import make_engine
from hromada_common.migrations import upgrade_to_head

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

SERVICES = {
    "accounts": "accounts.adapters.orm",
    "intake": "intake.adapters.orm",
    "routing": "routing.adapters.orm",
    "feedback": "feedback.adapters.orm",
    "gamification": "gamification.adapters.orm",
}


def service_dir(name: str) -> str:
    return os.path.join(REPO, "services", name)


def alembic_config(name: str, url: str) -> Config:
    # The same configuration upgrade_to_head builds, for the commands it does not wrap.
    cfg = Config(os.path.join(service_dir(name), "alembic.ini"))
    cfg.set_main_option("script_location", os.path.join(service_dir(name), "migrations"))
    cfg.cmd_opts = type("opts", (), {"x": [f"url={url}"]})()
    return cfg


def differences(url: str, metadata: MetaData) -> list:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url, pool_size=1)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture(params=sorted(SERVICES))
def service(request):
    name = request.param
    return name, importlib.import_module(SERVICES[name]).Base.metadata


def test_migrations_at_head_match_the_models(service, make_database):
    name, metadata = service
    url = make_database(f"mig_{name}")
    upgrade_to_head(service_dir(name), url)
    head = ScriptDirectory.from_config(alembic_config(name, url)).get_current_head()
    assert current_revision(url) == head
    assert tables(url) == set(metadata.tables) | {"alembic_version"}
    assert differences(url, metadata) == []


def test_migrations_downgrade_to_base_and_upgrade_again(service, make_database):
    name, metadata = service
    url = make_database(f"mig_{name}")
    upgrade_to_head(service_dir(name), url)
    command.downgrade(alembic_config(name, url), "base")
    assert current_revision(url) is None
    assert tables(url) <= {"alembic_version"}
    upgrade_to_head(service_dir(name), url)
    assert differences(url, metadata) == []


def test_the_comparison_notices_a_model_the_migrations_lack(make_database):
    # Guards the two tests above against comparing nothing with nothing.
    from routing.adapters.orm import Base

    url = make_database("mig_drift")
    upgrade_to_head(service_dir("routing"), url)
    drifted = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    Table("escalations", drifted, Column("id", Integer, primary_key=True))
    drifted.tables["assignments"].append_column(Column("note", String(50)))
    found = {(d[0], getattr(d[-1], "name", None)) for d in differences(url, drifted)
             if isinstance(d, tuple)}
    assert ("add_table", "escalations") in found
    assert ("add_column", "note") in found
