"""Tables of the residents part of gamification (on the shared ``Base``)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String, UniqueConstraint, func
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


class PointsEntry(Base):
    """The append-only points ledger: one row per thing a resident earned (or lost) points
    for, tied to the event that earned it. Never updated; a correction is a new entry."""

    __tablename__ = "points_ledger"
    __table_args__ = (
        # A redelivered or replayed event earns nothing twice, even past the inbox.
        UniqueConstraint("cause", "resident_id", "rule", name="uq_points_ledger_cause_rule"),
        Index("ix_points_ledger_resident", "resident_id", "id"),
        Index("ix_points_ledger_appeal", "appeal_id", "resident_id"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(String(36))
    rule: Mapped[str] = mapped_column(String(40))
    points: Mapped[int] = mapped_column(Integer)
    capped: Mapped[bool] = mapped_column(Boolean, default=False,
                                         doc="over the rule's daily cap: recorded with 0 points")
    appeal_id: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    cause: Mapped[str] = mapped_column(String(36), doc="id of the event that earned it")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DailyRuleCount(Base):
    """How many entries of a rule a resident got on one city day (daily caps count by it)."""

    __tablename__ = "points_daily_counts"

    resident_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rule: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class ResidentCounter(Base):
    """Counts of a resident's useful actions that badges look at (``accepted_appeals`` …),
    city-wide (``district = '*'``) and per district."""

    __tablename__ = "resident_counters"

    resident_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    counter: Mapped[str] = mapped_column(String(40), primary_key=True)
    district: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class ResidentBadge(Base):
    """A badge a resident earned: at most once each (the primary key)."""

    __tablename__ = "resident_badges"

    resident_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    badge: Mapped[str] = mapped_column(String(40), primary_key=True)
    awarded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cause: Mapped[str] = mapped_column(String(36))


class ResidentProfile(Base):
    """How a resident appears in public: by a pseudonym (generated at first sight, or their
    own) or by their name. ``level`` is the highest level announced, so a resident who drops
    below a threshold and climbs back is not congratulated twice."""

    __tablename__ = "resident_profiles"
    __table_args__ = (
        # "Kvitka" and "kvitka" are one pseudonym: two residents claiming them at once cannot
        # both win (the use case turns the loser's violation into a Conflict).
        Index("uq_resident_profiles_pseudonym_lower", func.lower("pseudonym"), unique=True),
    )

    resident_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    shown_as: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str | None] = mapped_column(String(120))
    pseudonym: Mapped[str] = mapped_column(String(40), unique=True)
    level: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResidentAppeal(Base):
    """Gamification's projection of an appeal: author, district, acceptance and what has been
    awarded for it (see ``domain.points.AppealProgress``)."""

    __tablename__ = "resident_appeals"
    __table_args__ = (Index("ix_resident_appeals_author", "author_id"),)

    appeal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    author_id: Mapped[str | None] = mapped_column(String(36))
    district: Mapped[str | None] = mapped_column(String(64))
    assignment_version: Mapped[int | None] = mapped_column(Integer)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_cause: Mapped[str | None] = mapped_column(String(36))
    accepted_awarded: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_awarded: Mapped[bool] = mapped_column(Boolean, default=False)
    rated_awarded: Mapped[bool] = mapped_column(Boolean, default=False)
    own: Mapped[bool] = mapped_column(Boolean, default=False)


class AppealStaffSeen(Base):
    """Staff who acted on an appeal before its author was known (events arrive in any order);
    dropped as soon as the author is known."""

    __tablename__ = "resident_appeal_staff"
    __table_args__ = (Index("ix_resident_appeal_staff_actor", "actor_id"),)

    appeal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    actor_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class ResidentTombstone(Base):
    """A resident whose account was deleted (``hromada.account.deleted.v1``): only the opaque
    account id, nothing personal. An event already in flight for them (points, badges, a
    first sight that would make a profile) finds it and changes nothing."""

    __tablename__ = "resident_tombstones"

    resident_id: Mapped[str] = mapped_column(String(36), primary_key=True)
