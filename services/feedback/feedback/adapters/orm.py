"""Feedback's tables. So far only the messaging plumbing every service has."""
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from hromada_common.db import NAMING_CONVENTION, define_messaging_tables


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


outbox, inbox = define_messaging_tables(Base.metadata)
