"""Feedback's tables (SQLAlchemy 2 typed declarative). Migrations in ../migrations match these."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, MetaData, String, Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hromada_common.audit import AuditRecordMixin
from hromada_common.db import NAMING_CONVENTION, define_messaging_tables

BIGINT = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


outbox, inbox = define_messaging_tables(Base.metadata)


class AppealViewRecord(Base):
    """Feedback's projection of each appeal, from ``hromada.appeal.state_changed.v1``."""

    __tablename__ = "appeal_view"
    __table_args__ = (
        # The reminder timer scans resolved appeals by resolution time.
        Index("ix_appeal_view_state_resolved_at", "state", "resolved_at"),
    )

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    author_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    answered_round: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RatingRecord(Base):
    """The author's rating of one resolution round; at most one per round."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("appeal_id", "round", name="uq_ratings_appeal_round"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    appeal_id: Mapped[str] = mapped_column(String(36))
    round: Mapped[int] = mapped_column(Integer)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReworkRequestRecord(Base):
    """A rework request of one round; ``outcome`` is ``rework`` or ``escalated`` (limit)."""

    __tablename__ = "rework_requests"
    __table_args__ = (UniqueConstraint("appeal_id", "round", name="uq_rework_requests_appeal_round"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    appeal_id: Mapped[str] = mapped_column(String(36))
    round: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    photo_ref: Mapped[str | None] = mapped_column(String(500))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReminderSentRecord(Base):
    """One row per reminder published: the primary key makes a second one impossible."""

    __tablename__ = "reminders_sent"

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    reminder_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CommentRecord(Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_appeal_id_at", "appeal_id", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(String(36))
    author_id: Mapped[str] = mapped_column(String(64))
    author_role: Mapped[str] = mapped_column(String(16))
    author_display: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PortalFeedbackRecord(Base):
    __tablename__ = "portal_feedback"
    __table_args__ = (Index("ix_portal_feedback_author_id_created_at", "author_id", "created_at"),
                      Index("ix_portal_feedback_state_created_at", "state", "created_at"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    author_id: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    useful: Mapped[bool] = mapped_column(default=False, server_default="false")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditRecord(AuditRecordMixin, Base):
    """Every state change feedback makes or decides: what, who and when."""

    __tablename__ = "audit_log"
    subject_id_length = 36
