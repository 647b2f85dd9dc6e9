"""Repository of the residents part of gamification."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .residents_orm import CITY_WIDE, ResidentTotal


class ResidentsRepository:
    def __init__(self, session: Session):
        self.session = session

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
