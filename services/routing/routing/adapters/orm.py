"""Routing's tables (SQLAlchemy 2 typed declarative). Migrations in ../migrations match these."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, MetaData, String
from sqlalchemy import BigInteger, CheckConstraint, Index, false, text
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
    # Set when the deadline was broken and the head of the body was made answerable.
    escalated: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The executor's workflow, kept by routing (see domain/assignment.py).
    district: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="assigned",
                                       server_default="assigned")
    clock_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    taken_by: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (
        # The staff queues: a body's open appeals in due order.
        Index("ix_assignments_open_body_due_at", "body", "due_at",
              postgresql_where=text("finished_at IS NULL"),
              sqlite_where=text("finished_at IS NULL")),
    )


class AssignmentAuditRecord(Base):
    """Every change of an assignment (take, resolve, complexity, extension, reassignment,
    rework, finish): who, when, why, and the assignment before and after."""

    __tablename__ = "assignment_audit"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    appeal_id: Mapped[str] = mapped_column(String(36), index=True)
    action: Mapped[str] = mapped_column(String(32))
    by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(4000))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class TaxonomyAuditRecord(Base):
    """Every change administrators make to the taxonomy, with the category before and after."""

    __tablename__ = "taxonomy_audit"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(120), index=True)
    action: Mapped[str] = mapped_column(String(32))
    by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    taxonomy_version: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class SlaTimerRecord(Base):
    """A durable SLA timer: a deadline fact (warning, breach, escalation) due at ``fire_at``.

    Pending rows are claimed by the timer runner with ``FOR UPDATE SKIP LOCKED``; fired and
    cancelled rows stay as the appeal's SLA history. ``generation`` counts reschedules.
    """

    __tablename__ = "sla_timers"
    __table_args__ = (
        CheckConstraint("kind IN ('warning', 'breach', 'escalation')", name="kind"),
        CheckConstraint("state IN ('pending', 'fired', 'cancelled')", name="state"),
        Index("ix_sla_timers_appeal_id", "appeal_id"),
        Index("ix_sla_timers_pending_fire_at", "fire_at",
              postgresql_where=text("state = 'pending'"), sqlite_where=text("state = 'pending'")),
        Index("uq_sla_timers_pending_kind", "appeal_id", "kind", unique=True,
              postgresql_where=text("state = 'pending'"), sqlite_where=text("state = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    appeal_id: Mapped[str] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    fire_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    generation: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


outbox, inbox = define_messaging_tables(Base.metadata)
