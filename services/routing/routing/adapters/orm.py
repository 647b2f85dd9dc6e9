"""Routing's tables (SQLAlchemy 2 typed declarative). Migrations in ../migrations match these."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hromada_common.db import NAMING_CONVENTION, define_messaging_tables


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class BodyRecord(Base):
    __tablename__ = "bodies"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_uk: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))


class CategoryRecord(Base):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(120), primary_key=True)
    parent: Mapped[str | None] = mapped_column(String(120), index=True)
    level: Mapped[str] = mapped_column(String(16))
    name_uk: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column()
    default_complexity: Mapped[str | None] = mapped_column(String(16))
    deadline_hours: Mapped[dict | None] = mapped_column(JSON)
    emergency: Mapped[bool] = mapped_column(default=False)
    fields: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class TaxonomyMeta(Base):
    __tablename__ = "taxonomy_meta"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    seeded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AssignmentRecord(Base):
    """One row per appeal: the primary key makes a second assignment of it impossible."""

    __tablename__ = "assignments"

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appeal_version: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(120), index=True)
    body: Mapped[str] = mapped_column(String(64), index=True)
    complexity: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rule: Mapped[str] = mapped_column(String(200))


outbox, inbox = define_messaging_tables(Base.metadata)
