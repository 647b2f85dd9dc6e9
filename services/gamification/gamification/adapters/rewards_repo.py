"""Repository of the rewards part of gamification: nomination runs, nominations, rewards and
the gift catalogue."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .rewards_orm import Gift, Nomination, NominationRun, Reward


class RewardsRepository:
    def __init__(self, session: Session):
        self.session = session

    # --- nomination runs ---------------------------------------------------------------------

    def run(self, period: str) -> NominationRun | None:
        return self.session.get(NominationRun, period)

    def claim_run(self, period: str, kind: str, by: str, at: datetime) -> NominationRun | None:
        """Insert the period's run row (in a savepoint), or None if the period already has one.
        A concurrent transaction inserting the same period makes this wait until it ends; if it
        committed, this one gets None."""
        run = NominationRun(period=period, kind=kind, ran_at=at, by=by, nominations=0)
        try:
            with self.session.begin_nested():
                self.session.add(run)
                self.session.flush()
        except IntegrityError:
            return None
        return run

    # --- nominations -------------------------------------------------------------------------

    def add_nominations(self, nominations: list[Nomination]) -> None:
        self.session.add_all(nominations)
        self.session.flush()

    def nomination(self, nomination_id: str, for_update: bool = False) -> Nomination | None:
        query = select(Nomination).where(Nomination.id == str(nomination_id))
        if for_update:
            query = query.with_for_update()
        return self.session.execute(query).scalar_one_or_none()

    def nominations(self, *, period: str | None = None, status: str | None = None,
                    district: str | None = None, resident_id: str | None = None,
                    limit: int = 50, offset: int = 0) -> tuple[list[Nomination], int]:
        """A page of nominations, newest period first, then by board and place; and the total
        that match."""
        conditions = []
        if period is not None:
            conditions.append(Nomination.period == period)
        if status is not None:
            conditions.append(Nomination.status == status)
        if district is not None:
            conditions.append(Nomination.district == district)
        if resident_id is not None:
            conditions.append(Nomination.resident_id == resident_id)
        total = self.session.execute(
            select(func.count()).select_from(Nomination).where(*conditions)).scalar_one()
        rows = self.session.execute(
            select(Nomination).where(*conditions)
            .order_by(Nomination.created_at.desc(), Nomination.period.desc(),
                      Nomination.district.asc().nulls_first(), Nomination.rank.asc(),
                      Nomination.id.asc())
            .limit(limit).offset(offset)).scalars().all()
        return list(rows), total

    def pending_of(self, resident_id: str) -> list[Nomination]:
        return list(self.session.execute(
            select(Nomination).where(Nomination.resident_id == resident_id,
                                     Nomination.status == "pending")
            .order_by(Nomination.id).with_for_update()).scalars())

    # --- rewards -----------------------------------------------------------------------------

    def add_reward(self, reward: Reward) -> None:
        self.session.add(reward)
        self.session.flush()

    def reward(self, reward_id: str, for_update: bool = False) -> Reward | None:
        query = select(Reward).where(Reward.id == str(reward_id))
        if for_update:
            query = query.with_for_update()
        return self.session.execute(query).scalar_one_or_none()

    def rewards_for_nominations(self, nomination_ids: list[str]) -> dict[str, str]:
        """nomination id → reward id."""
        if not nomination_ids:
            return {}
        return dict(self.session.execute(
            select(Reward.nomination_id, Reward.id)
            .where(Reward.nomination_id.in_(nomination_ids))).all())

    def rewards_of(self, resident_id: str) -> list[tuple[Reward, Gift | None]]:
        rows = self.session.execute(
            select(Reward, Gift).outerjoin(Gift, Gift.id == Reward.gift_id)
            .where(Reward.resident_id == resident_id)
            .order_by(Reward.granted_at.desc(), Reward.id)).all()
        return [(reward, gift) for reward, gift in rows]

    def forget_names_of(self, resident_id: str) -> int:
        """Drop the printed name from the resident's certificates (their account is gone)."""
        rewards = self.session.execute(
            select(Reward).where(Reward.resident_id == resident_id,
                                 Reward.certificate.is_not(None))
            .with_for_update()).scalars().all()
        for reward in rewards:
            reward.certificate = {**reward.certificate, "resident_name": None}
        return len(rewards)

    # --- the gift catalogue ------------------------------------------------------------------

    def add_gift(self, gift: Gift) -> None:
        self.session.add(gift)
        self.session.flush()

    def gift(self, gift_id: str, for_update: bool = False) -> Gift | None:
        query = select(Gift).where(Gift.id == str(gift_id))
        if for_update:
            query = query.with_for_update()
        return self.session.execute(query).scalar_one_or_none()

    def gifts(self, *, active: bool | None = None, limit: int = 50,
              offset: int = 0) -> tuple[list[Gift], int]:
        conditions = [] if active is None else [Gift.active.is_(active)]
        total = self.session.execute(
            select(func.count()).select_from(Gift).where(*conditions)).scalar_one()
        rows = self.session.execute(
            select(Gift).where(*conditions).order_by(Gift.name_uk, Gift.id)
            .limit(limit).offset(offset)).scalars().all()
        return list(rows), total
