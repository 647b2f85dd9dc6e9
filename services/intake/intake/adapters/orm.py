"""Intake's tables (SQLAlchemy 2 typed declarative). Migrations in ../migrations match these."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from hromada_common.audit import AuditRecordMixin
from hromada_common.db import NAMING_CONVENTION, define_messaging_tables
from hromada_common.lifecycle import OPEN_STATES

OPEN_STATE_PREDICATE = "state IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(OPEN_STATES)))
"""The partial index's predicate; the nearby query repeats it word for word (the planner uses
a partial index only when the query's condition implies it)."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AppealRecord(Base):
    __tablename__ = "appeals"
    __table_args__ = (
        UniqueConstraint("author_id", "idempotency_key", name="uq_appeals_author_idempotency_key"),
        Index("ix_appeals_created_at_id", "created_at", "id"),
        Index("ix_appeals_lat_lon", "lat", "lon"),
        # Nearby open appeals of one category: equality on category, a range on lat, lon
        # checked in the index; only open appeals are in it (closed ones are most of them).
        Index("ix_appeals_open_nearby", "category", "lat", "lon",
              postgresql_where=text(OPEN_STATE_PREDICATE), sqlite_where=text(OPEN_STATE_PREDICATE)),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(120), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(500))
    author_id: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    extra_fields: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(String(64), index=True)
    district: Mapped[str | None] = mapped_column(String(64), index=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    complexity: Mapped[str | None] = mapped_column(String(16))
    escalated: Mapped[bool] = mapped_column(default=False, server_default="false")
    rework_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating: Mapped[int | None] = mapped_column(Integer)
    supporters_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    history: Mapped[list["AppealHistoryRecord"]] = relationship(
        order_by="AppealHistoryRecord.version", cascade="all, delete-orphan", lazy="selectin"
    )


class AppealHistoryRecord(Base):
    """The audit trail: one row per state change, naming who made it and what caused it."""

    __tablename__ = "appeal_history"
    __table_args__ = (UniqueConstraint("appeal_id", "version", name="uq_appeal_history_version"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    appeal_id: Mapped[str] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[str | None] = mapped_column(String(36))
    reason_code: Mapped[str | None] = mapped_column(String(32))


class AppealSupportRecord(Base):
    """A resident supports an open appeal instead of filing the same problem again; the count
    is kept on the appeal (``supporters_count``) in the same transaction."""

    __tablename__ = "appeal_supporters"

    appeal_id: Mapped[str] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"),
                                           primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    supported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditRecord(AuditRecordMixin, Base):
    """Changes intake makes that are not lifecycle states (those are in appeal_history):
    support given and withdrawn, photos attached; by whom and when."""

    __tablename__ = "audit_log"
    subject_id_length = 36


class CategoryCopy(Base):
    """Intake's local copy of routing's taxonomy, replaced whole by ``taxonomy.published``."""

    __tablename__ = "category_copy"

    code: Mapped[str] = mapped_column(String(120), primary_key=True)
    parent: Mapped[str | None] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(16))
    name_uk: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column()
    fields: Mapped[list] = mapped_column(JSON, default=list)


class TaxonomyCopyVersion(Base):
    __tablename__ = "taxonomy_copy_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccountStanding(Base):
    """What intake knows of accounts from their events: only whether they may act."""

    __tablename__ = "account_standing"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AttachmentRecord(Base):
    """A photo attached to an appeal: where the gateway stored it and what it is. Intake
    never holds the bytes (docs/media.md). Rows are only ever added."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_appeal_id_created_at", "appeal_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    """Its place in the upload it came with: photos keep the order they were sent in."""
    key: Mapped[str] = mapped_column(String(200), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    thumbnail_key: Mapped[str] = mapped_column(String(200), unique=True)
    thumbnail_content_type: Mapped[str] = mapped_column(String(32))
    thumbnail_size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


outbox, inbox = define_messaging_tables(Base.metadata)
