"""The base unit of work's inbox checks (SQLite: no broker needed)."""
import pytest
from sqlalchemy import MetaData, create_engine
from sqlalchemy.orm import sessionmaker

from hromada_common.db import define_messaging_tables
from hromada_common.events import EVENT_ID_MAX_LENGTH, InvalidEvent
from hromada_common.messaging.uow import SqlAlchemyUnitOfWork


@pytest.fixture
def uow():
    metadata = MetaData()
    outbox, inbox = define_messaging_tables(metadata)
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    yield SqlAlchemyUnitOfWork(sessionmaker(engine), outbox, inbox, "/hromada/test")
    engine.dispose()


def test_an_event_id_the_inbox_cannot_store_is_an_invalid_event_not_a_database_error(uow):
    too_long = "x" * (EVENT_ID_MAX_LENGTH + 1)
    with uow:
        with pytest.raises(InvalidEvent, match="cannot be recorded"):
            uow.already_processed("routing", too_long)
        with pytest.raises(InvalidEvent, match="cannot be recorded"):
            uow.mark_processed("routing", too_long)
        with pytest.raises(InvalidEvent):
            uow.already_processed("routing", "")


def test_an_event_id_of_the_column_length_is_recorded(uow):
    longest = "y" * EVENT_ID_MAX_LENGTH
    with uow:
        assert not uow.already_processed("routing", longest)
        uow.mark_processed("routing", longest)
        uow.commit()
    with uow:
        assert uow.already_processed("routing", longest)
