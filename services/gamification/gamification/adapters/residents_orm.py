"""Tables of the residents part of gamification (on the shared ``Base``)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .orm import BIGINT, Base  # noqa: F401

CITY_WIDE = "*"
"""The ``district`` of a city-wide total."""


class ResidentTotal(Base):
    """A resident's points in one period (``2026-11``, ``2026-Q4``, ``2026``, ``all``), city-wide
    (``district = '*'``) and per district of the appeals that earned them. Kept in the same
    transaction as the ledger entries, so a leaderboard is one index range scan."""

    __tablename__ = "resident_totals"
    __table_args__ = (
        # Top N of a board: walk this index backwards from the highest points.
        Index("ix_resident_totals_board", "period", "district", "points", "reached_at"),
    )

    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    district: Mapped[str] = mapped_column(String(64), primary_key=True)
    resident_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    points: Mapped[int] = mapped_column(Integer)
    reached_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), doc="when the total last changed: ties go to who got there first")
