import pytest
from sqlalchemy import MetaData, text

from hromada_common.db import define_messaging_tables, make_engine


@pytest.fixture
def own_vhost(make_amqp_uri):
    """``(vhost, amqp_uri)`` of a vhost of this test alone, so queue contents are exact."""
    amqp_uri, vhost = make_amqp_uri("relay")
    return vhost, amqp_uri


@pytest.fixture(scope="module")
def _outbox_database(make_database):
    metadata = MetaData()
    outbox, _inbox = define_messaging_tables(metadata)
    engine = make_engine(make_database("relay"), pool_size=4)
    metadata.create_all(engine)
    yield engine, outbox
    engine.dispose()


@pytest.fixture
def outbox_db(_outbox_database):
    """``(engine, outbox)``: an empty outbox table in a throwaway PostgreSQL database."""
    engine, outbox = _outbox_database
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {outbox.name} RESTART IDENTITY"))
    return engine, outbox
