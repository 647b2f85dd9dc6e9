"""Gamification's tables (SQLAlchemy 2 typed declarative). Migrations in ../migrations match
these.

The tables of each part live in their own module — ``residents_orm`` (points ledger, badges,
resident leaderboards), ``ratings_orm`` (executor ratings) and ``rewards_orm`` (nominations,
rewards, gift catalogue) — all on this one ``Base``; they are imported at the bottom so that
importing this module always yields the complete metadata.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase

from hromada_common.audit import AuditRecordMixin
from hromada_common.db import NAMING_CONVENTION, define_messaging_tables

BIGINT = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


outbox, inbox = define_messaging_tables(Base.metadata)


class AuditRecord(AuditRecordMixin, Base):
    """Every state change a person caused (nominations decided, gifts stocked, profiles set)."""

    __tablename__ = "audit_log"


from . import ratings_orm, residents_orm, rewards_orm  # noqa: E402,F401  (complete metadata)
