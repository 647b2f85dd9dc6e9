"""Tables of the rewards part of gamification (on the shared ``Base``): nomination runs,
nominations, rewards and the gift catalogue."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .orm import Base


class NominationRun(Base):
    """One row per period whose nominations were made. Its primary key is what makes a period
    nominated exactly once: two instances closing the same period both insert this row in the
    transaction that creates the nominations, and the second waits for the first, then fails
    and changes nothing."""

    __tablename__ = "nomination_runs"

    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    ran_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(64))
    nominations: Mapped[int] = mapped_column(Integer)


class Nomination(Base):
    """A resident nominated for a reward by their place on a board when a period ended."""

    __tablename__ = "nominations"
    __table_args__ = (
        # A resident is nominated at most once per period.
        UniqueConstraint("period", "resident_id", name="uq_nominations_period_resident"),
        Index("ix_nominations_status_period", "status", "period"),
        Index("ix_nominations_resident_id", "resident_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8))
    district: Mapped[str | None] = mapped_column(String(64), doc="None: city-wide board")
    resident_id: Mapped[str] = mapped_column(String(36))
    rank: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)


class Gift(Base):
    """A gift in the catalogue; ``stock`` is what is left to grant."""

    __tablename__ = "gifts"
    __table_args__ = (CheckConstraint("stock >= 0", name="stock_not_negative"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name_uk: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    stock: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Reward(Base):
    """What an approved nomination yielded. A certificate keeps the words printed on it
    (``certificate``: name, achievement, authority, signatory, date), fixed when granted, so
    the PDF is rendered the same every time; a gift is handed over and marked delivered."""

    __tablename__ = "rewards"
    __table_args__ = (Index("ix_rewards_resident_id", "resident_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    nomination_id: Mapped[str] = mapped_column(ForeignKey("nominations.id"), unique=True)
    resident_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(12))
    period: Mapped[str] = mapped_column(String(8))
    gift_id: Mapped[str | None] = mapped_column(ForeignKey("gifts.id"))
    certificate: Mapped[dict | None] = mapped_column(JSON)
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_by: Mapped[str | None] = mapped_column(String(64))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
