"""Tables of the ratings part of gamification (on the shared ``Base``).

``rating_appeals`` is this part's projection of each appeal (who is responsible, by when, which
resolution round); ``rating_counters`` holds what happened, per subject, period and category
domain — the leaderboards are computed from it on each call.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .orm import Base


class RatedAppealRecord(Base):
    """An appeal as ratings needs it, kept current by the routing and feedback events."""

    __tablename__ = "rating_appeals"

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    body: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(128))
    executor: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    round: Mapped[int] = mapped_column(Integer, default=1)
    # who reported the current round resolved: its confirmation, rework, archiving and
    # rating are theirs, even if the appeal moved on since
    resolved_body: Mapped[str | None] = mapped_column(String(64))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_round: Mapped[int] = mapped_column(Integer, default=0)
    breached_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rated_round: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(16))  # confirmed | archived
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RatingCountersRecord(Base):
    """Counters of one subject in one period and category domain.

    ``executor`` is ``""`` for the body as a whole, else the executor's account id;
    ``domain`` is ``"*"`` for every domain together.
    """

    __tablename__ = "rating_counters"

    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    domain: Mapped[str] = mapped_column(String(64), primary_key=True)
    executor: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(String(64), primary_key=True)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    resolved_on_time: Mapped[int] = mapped_column(Integer, default=0)
    confirmed: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[int] = mapped_column(Integer, default=0)
    reworks: Mapped[int] = mapped_column(Integer, default=0)
    breaches: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
