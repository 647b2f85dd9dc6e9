"""Gamification's tables (SQLAlchemy 2 typed declarative). Migrations in ../migrations match
these.

The tables of each part live in their own module — ``residents_orm`` (points ledger, badges,
resident leaderboards), ``ratings_orm`` (executor ratings) and ``rewards_orm`` (nominations,
rewards, gift catalogue) — all on this one ``Base``; they are imported at the bottom so that
importing this module always yields the complete metadata.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hromada_common.db import NAMING_CONVENTION, define_messaging_tables

BIGINT = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


outbox, inbox = define_messaging_tables(Base.metadata)


class AuditRecord(Base):
    """Every state change a person caused (nominations decided, gifts stocked, profiles set)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    details: Mapped[dict | None] = mapped_column(JSON)


from . import ratings_orm, residents_orm, rewards_orm  # noqa: E402,F401  (complete metadata)
