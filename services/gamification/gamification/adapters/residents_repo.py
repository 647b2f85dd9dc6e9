"""Repository of the residents part of gamification.

Counters, totals and daily counts are changed with single ``INSERT … ON CONFLICT DO UPDATE …
RETURNING`` statements: two events about the same resident applied at the same moment add up
instead of overwriting each other, and each learns the value its own change produced.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import Integer, and_, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from ..domain.points import AppealProgress
from ..domain.profiles import PseudonymTaken, generated_pseudonym
from .orm import AuditRecord
from .residents_orm import (
    CITY_WIDE,
    AppealStaffSeen,
    DailyRuleCount,
    PointsEntry,
    ResidentAppeal,
    ResidentBadge,
    ResidentCounter,
    ResidentProfile,
    ResidentTombstone,
    ResidentTotal,
)

ALL_TIME = "all"
PROFILE_SUBJECT = "resident_profile"
"""``audit_log.subject_type`` of public-profile changes."""


class ResidentsRepository:
    def __init__(self, session: Session):
        self.session = session

    def _insert(self, model):
        """The dialect's ``insert`` (PostgreSQL, or SQLite for a trial), which has
        ``on_conflict_do_*``."""
        if self.session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(model)

    # --- leaderboards (``top`` and ``districts`` also serve reward nominations) ----------------

    def top(self, period: str, district: str | None = None, limit: int = 100,
            offset: int = 0) -> list[dict]:
        """``[{rank, resident_id, points}]`` best first for a period, city-wide (``district``
        None) or in one district; ties go to whoever reached the total first."""
        t = ResidentTotal
        rows = self.session.execute(
            select(t.resident_id, t.points)
            .where(t.period == period, t.district == (district or CITY_WIDE))
            .order_by(t.points.desc(), t.reached_at.asc(), t.resident_id.asc())
            .limit(limit).offset(offset)
        ).all()
        return [{"rank": offset + n + 1, "resident_id": r.resident_id, "points": r.points}
                for n, r in enumerate(rows)]

    def districts(self, period: str) -> list[str]:
        """The districts in which someone earned points in ``period``."""
        t = ResidentTotal
        return list(self.session.execute(
            select(t.district).where(t.period == period, t.district != CITY_WIDE)
            .distinct().order_by(t.district)).scalars())

    def board(self, period: str, district: str | None, limit: int, offset: int) -> list[dict]:
        """The public board: ``[{rank, points, all_time_points, shown_as, display_name,
        pseudonym}]`` of residents with points above zero, best first.

        One statement, built once per process with bound parameters: the top rows come off
        ``ix_resident_totals_board`` in a subquery (the LIMIT applies before any join), then
        each is joined to its profile and its all-time total by primary key — no per-row
        round trips, no count over the board."""
        rows = self.session.connection().execute(_board_statement(), {
            "period": period, "district": district or CITY_WIDE, "limit": limit,
            "offset": offset}).all()
        return [{"rank": offset + n + 1, "points": r.points,
                 "all_time_points": r.all_time_points or 0, "shown_as": r.shown_as,
                 "display_name": r.display_name, "pseudonym": r.pseudonym}
                for n, r in enumerate(rows)]

    # --- the appeal projection ----------------------------------------------------------------

    def lock_appeal(self, appeal_id: str) -> AppealProgress:
        """The appeal's progress, its row locked for this transaction (created if new)."""
        self.session.execute(self._insert(ResidentAppeal).values(
            appeal_id=appeal_id, accepted_awarded=False, confirmed_awarded=False,
            rated_awarded=False, own=False).on_conflict_do_nothing())
        row = self.session.execute(select(ResidentAppeal).where(
            ResidentAppeal.appeal_id == appeal_id).with_for_update()).scalar_one()
        staff = set(self.session.execute(select(AppealStaffSeen.actor_id).where(
            AppealStaffSeen.appeal_id == appeal_id)).scalars())
        return AppealProgress(
            appeal_id=row.appeal_id, author_id=row.author_id, district=row.district,
            assignment_version=row.assignment_version, accepted_at=row.accepted_at,
            accepted_cause=row.accepted_cause, accepted_awarded=row.accepted_awarded,
            confirmed_awarded=row.confirmed_awarded, rated_awarded=row.rated_awarded,
            own=row.own, staff_seen=staff)

    def save_appeal(self, progress: AppealProgress) -> None:
        a = ResidentAppeal
        self.session.execute(update(a).where(a.appeal_id == progress.appeal_id).values(
            author_id=progress.author_id, district=progress.district,
            assignment_version=progress.assignment_version, accepted_at=progress.accepted_at,
            accepted_cause=progress.accepted_cause, accepted_awarded=progress.accepted_awarded,
            confirmed_awarded=progress.confirmed_awarded, rated_awarded=progress.rated_awarded,
            own=progress.own))
        if progress.author_id is not None:
            self.session.execute(delete(AppealStaffSeen).where(
                AppealStaffSeen.appeal_id == progress.appeal_id))
        elif progress.staff_seen:
            self.session.execute(self._insert(AppealStaffSeen).values([
                {"appeal_id": progress.appeal_id, "actor_id": actor}
                for actor in sorted(progress.staff_seen)]).on_conflict_do_nothing())

    # --- the ledger ---------------------------------------------------------------------------

    def has_entry(self, cause: str, resident_id: str, rule: str) -> bool:
        e = PointsEntry
        return self.session.execute(select(e.id).where(
            e.cause == cause, e.resident_id == resident_id, e.rule == rule)).first() is not None

    def add_entry(self, *, resident_id: str, rule: str, points: int, capped: bool,
                  appeal_id: str | None, district: str | None, cause: str,
                  at: datetime) -> int:
        entry = PointsEntry(resident_id=resident_id, rule=rule, points=points, capped=capped,
                            appeal_id=appeal_id, district=district, cause=cause, at=at)
        self.session.add(entry)
        self.session.flush()
        return entry.id

    def appeal_entries(self, appeal_id: str, resident_id: str) -> list[dict]:
        e = PointsEntry
        rows = self.session.execute(select(e.rule, e.points, e.district).where(
            e.appeal_id == appeal_id, e.resident_id == resident_id).order_by(e.id)).all()
        return [{"rule": r.rule, "points": r.points, "district": r.district} for r in rows]

    def ledger(self, resident_id: str, limit: int, offset: int) -> list[dict]:
        e = PointsEntry
        rows = self.session.execute(
            select(e).where(e.resident_id == resident_id).order_by(e.id.desc())
            .limit(limit).offset(offset)).scalars()
        return [{"id": str(r.id), "rule": r.rule, "points": r.points, "capped": r.capped,
                 "appeal_id": r.appeal_id, "district": r.district, "at": r.at} for r in rows]

    def bump_daily_count(self, resident_id: str, rule: str, day: date) -> int:
        """Count one more entry of ``rule`` on ``day``; the count including it."""
        c = DailyRuleCount
        stmt = self._insert(c).values(resident_id=resident_id, rule=rule, day=day, count=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[c.resident_id, c.rule, c.day], set_={"count": c.count + 1}
        ).returning(c.count)
        return self.session.execute(stmt).scalar_one()

    def add_to_totals(self, resident_id: str, periods, district: str | None, points: int,
                      at: datetime) -> dict[tuple[str, str], int]:
        """Add ``points`` to the resident's totals for each period, city-wide and in
        ``district``; returns ``{(period, district): new total}``."""
        t = ResidentTotal
        scopes = [CITY_WIDE] + ([district] if district else [])
        rows = [{"period": period, "district": scope, "resident_id": resident_id,
                 "points": points, "reached_at": at} for period in periods for scope in scopes]
        stmt = self._insert(t).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.period, t.district, t.resident_id],
            set_={"points": t.points + stmt.excluded.points,
                  "reached_at": stmt.excluded.reached_at},
        ).returning(t.period, t.district, t.points)
        return {(r.period, r.district): r.points for r in self.session.execute(stmt)}

    def totals_of(self, resident_id: str, periods) -> dict[str, int]:
        """City-wide totals of one resident for the given period keys (absent: 0)."""
        t = ResidentTotal
        rows = self.session.execute(select(t.period, t.points).where(
            t.resident_id == resident_id, t.district == CITY_WIDE,
            t.period.in_(list(periods)))).all()
        found = {r.period: r.points for r in rows}
        return {period: found.get(period, 0) for period in periods}

    # --- counters and badges ------------------------------------------------------------------

    def bump_counter(self, resident_id: str, counter: str, district: str | None,
                     delta: int = 1) -> int:
        c = ResidentCounter
        stmt = self._insert(c).values(resident_id=resident_id, counter=counter,
                                      district=district or CITY_WIDE, value=delta)
        stmt = stmt.on_conflict_do_update(
            index_elements=[c.resident_id, c.counter, c.district], set_={"value": c.value + delta}
        ).returning(c.value)
        return self.session.execute(stmt).scalar_one()

    def add_badge(self, resident_id: str, badge: str, at: datetime, cause: str) -> bool:
        """Award a badge unless the resident has it; True if awarded now."""
        stmt = self._insert(ResidentBadge).values(
            resident_id=resident_id, badge=badge, awarded_at=at, cause=cause
        ).on_conflict_do_nothing().returning(ResidentBadge.badge)
        return self.session.execute(stmt).first() is not None

    def badges_of(self, resident_id: str) -> list[dict]:
        b = ResidentBadge
        rows = self.session.execute(select(b.badge, b.awarded_at).where(
            b.resident_id == resident_id).order_by(b.awarded_at, b.badge)).all()
        return [{"code": r.badge, "awarded_at": r.awarded_at} for r in rows]

    # --- public profiles ----------------------------------------------------------------------

    def profile(self, resident_id: str) -> ResidentProfile | None:
        return self.session.get(ResidentProfile, resident_id)

    def ensure_profile(self, resident_id: str, now: datetime) -> None:
        """Give a resident seen for the first time a unique generated pseudonym."""
        p = ResidentProfile
        if self.session.execute(select(p.resident_id).where(
                p.resident_id == resident_id)).first():
            return
        for _ in range(20):
            # DO NOTHING on either key: a concurrent first sight of the same resident, or a
            # pseudonym someone already has (then try another).
            self.session.execute(self._insert(p).values(
                resident_id=resident_id, shown_as="pseudonym", display_name=None,
                pseudonym=generated_pseudonym(), level=1, created_at=now, updated_at=now,
            ).on_conflict_do_nothing())
            if self.session.execute(select(p.resident_id).where(
                    p.resident_id == resident_id)).first():
                return
        raise RuntimeError("could not generate a unique pseudonym")

    def pseudonym_taken(self, pseudonym: str, by_other_than: str) -> bool:
        p = ResidentProfile
        return self.session.execute(select(p.resident_id).where(
            func.lower(p.pseudonym) == pseudonym.lower(),
            p.resident_id != by_other_than)).first() is not None

    def set_profile(self, resident_id: str, shown_as: str, display_name: str | None,
                    pseudonym: str | None, now: datetime) -> None:
        """Raises PseudonymTaken if another resident holds ``pseudonym`` (in any case) — also
        when they claimed it a moment ago in a transaction this one had to wait for (the
        unique indexes decide; the caller's earlier check only gives the common case a clean
        answer). The transaction cannot go on after it."""
        values = {"shown_as": shown_as, "display_name": display_name, "updated_at": now}
        if pseudonym is not None:
            values["pseudonym"] = pseudonym
        try:
            self.session.execute(update(ResidentProfile).where(
                ResidentProfile.resident_id == resident_id).values(**values))
        except IntegrityError as exc:
            if pseudonym is not None and "pseudonym" in str(exc.orig):
                raise PseudonymTaken(pseudonym) from exc
            raise

    def raise_level(self, resident_id: str, level: int) -> bool:
        """Record ``level`` as the highest announced if it is higher; True if it was."""
        p = ResidentProfile
        result = self.session.execute(update(p).where(
            p.resident_id == resident_id, p.level < level).values(level=level))
        return result.rowcount == 1

    # --- forgetting a person --------------------------------------------------------------------

    def _lock_person(self, resident_id: str) -> None:
        """Serialise, per person, forgetting them with anything that would write about them
        (a transaction-scoped advisory lock; SQLite serialises writers anyway)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(select(func.pg_advisory_xact_lock(
                func.hashtextextended(f"gamification.resident:{resident_id}", 0))))

    def is_forgotten(self, resident_id: str | None) -> bool:
        """True if the person's account was deleted (a tombstone exists). Takes the person's
        lock first, so a deletion committing meanwhile is either seen here or, if it comes
        after this transaction, removes what this transaction writes."""
        if resident_id is None:
            return False
        self._lock_person(resident_id)
        return self.session.get(ResidentTombstone, resident_id) is not None

    def forget(self, resident_id: str) -> None:
        """Drop every row that links to the person: ledger, totals, counts, counters, badges,
        profile (and its audit trail), the appeals they filed and any staff trace; leave a
        tombstone (the opaque id alone) so that events still in flight recreate nothing."""
        self._lock_person(resident_id)
        self.session.execute(self._insert(ResidentTombstone).values(
            resident_id=resident_id).on_conflict_do_nothing())
        for model in (PointsEntry, ResidentTotal, DailyRuleCount, ResidentCounter,
                      ResidentBadge, ResidentProfile):
            self.session.execute(delete(model).where(model.resident_id == resident_id))
        own_appeals = select(ResidentAppeal.appeal_id).where(
            ResidentAppeal.author_id == resident_id).scalar_subquery()
        self.session.execute(delete(AppealStaffSeen).where(
            AppealStaffSeen.appeal_id.in_(own_appeals)))
        self.session.execute(delete(AppealStaffSeen).where(
            AppealStaffSeen.actor_id == resident_id))
        self.session.execute(delete(ResidentAppeal).where(
            ResidentAppeal.author_id == resident_id))
        self.session.execute(delete(AuditRecord).where(
            AuditRecord.subject_type == PROFILE_SUBJECT, AuditRecord.subject_id == resident_id))


@lru_cache(maxsize=1)
def _board_statement():
    # Building and cache-keying this statement costs about as much as running it on a warm
    # database: it is built once, with bound parameters.
    t, p = ResidentTotal, ResidentProfile
    best = (select(t.resident_id, t.points, t.reached_at)
            .where(t.period == bindparam("period"), t.district == bindparam("district"),
                   t.points > 0)
            .order_by(t.points.desc(), t.reached_at.asc(), t.resident_id.asc())
            .limit(bindparam("limit", type_=Integer))
            .offset(bindparam("offset", type_=Integer)).subquery("best"))
    everything = aliased(ResidentTotal, name="all_time")
    return (select(best.c.points, everything.points.label("all_time_points"), p.shown_as,
                   p.display_name, p.pseudonym)
            .select_from(best)
            .outerjoin(p, p.resident_id == best.c.resident_id)
            .outerjoin(everything, and_(everything.period == ALL_TIME,
                                        everything.district == CITY_WIDE,
                                        everything.resident_id == best.c.resident_id))
            .order_by(best.c.points.desc(), best.c.reached_at.asc(), best.c.resident_id.asc()))
