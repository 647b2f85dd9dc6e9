"""Repository of the ratings part of gamification: the appeal projection and the counters."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..domain.periods import ALL_TIME
from ..domain.ratings import ALL_DOMAINS, COUNTER_NAMES, WHOLE_BODY, Counters
from .ratings_orm import RatedAppealRecord, RatingCountersRecord


class RatingsRepository:
    def __init__(self, session: Session):
        self.session = session

    # --- the appeal projection ---------------------------------------------------------------

    def appeal(self, appeal_id: str, create_at: datetime | None = None
               ) -> RatedAppealRecord | None:
        """The appeal's projection, locked for this transaction (events about one appeal may
        be consumed concurrently from different queues). With ``create_at`` a missing one is
        created first (racing creators cannot collide: the insert skips an existing row)."""
        query = (select(RatedAppealRecord).where(RatedAppealRecord.appeal_id == appeal_id)
                 .with_for_update())
        found = self.session.execute(query).scalar_one_or_none()
        if found is not None or create_at is None:
            return found
        table = RatedAppealRecord.__table__
        values = {"appeal_id": appeal_id, "round": 1, "resolved_round": 0, "rated_round": 0,
                  "updated_at": create_at}
        self.session.execute(_insert(self.session, table).values(**values)
                             .on_conflict_do_nothing())
        return self.session.execute(query).scalar_one()

    # --- counters ------------------------------------------------------------------------------

    def add(self, keys: list[tuple[str, str, str, str]], increments: dict[str, int]) -> None:
        """Add ``increments`` to the counters of every ``(period, domain, executor, body)``
        key, creating rows as needed: one upsert statement. Keys go in primary-key order so
        concurrent transactions lock shared rows in the same order (no deadlock)."""
        if not keys or not any(increments.values()):
            return
        unknown = set(increments) - set(COUNTER_NAMES)
        if unknown:
            raise ValueError(f"unknown counters {sorted(unknown)}")
        rows = [{"period": p, "domain": d, "executor": e, "body": b,
                 **{name: increments.get(name, 0) for name in COUNTER_NAMES}}
                for p, d, e, b in sorted(set(keys))]
        self.session.execute(self._upsert(), rows)

    def _upsert(self):
        """One statement for every increment (adding 0 costs nothing), so SQLAlchemy compiles
        it once and sends each call's rows as one multi-row insert."""
        table = RatingCountersRecord.__table__
        statement = _insert(self.session, table)
        return statement.on_conflict_do_update(
            index_elements=["period", "domain", "executor", "body"],
            set_={name: table.c[name] + statement.excluded[name] for name in COUNTER_NAMES},
        )

    def bodies(self, periods: list[str], domain: str | None = None
               ) -> dict[tuple[str, str], dict[str, Counters]]:
        """``(period, domain) → {body: Counters}`` for the bodies as a whole (all domains when
        ``domain`` is None)."""
        t = RatingCountersRecord
        query = select(t).where(t.period.in_(periods), t.executor == WHOLE_BODY)
        if domain is not None:
            query = query.where(t.domain == domain)
        result: dict[tuple[str, str], dict[str, Counters]] = {}
        for row in self.session.execute(query).scalars():
            result.setdefault((row.period, row.domain), {})[row.body] = _counters(row)
        return result

    def executors(self, period: str, domain: str, body: str | None = None
                  ) -> dict[tuple[str, str], Counters]:
        """``(body, executor) → Counters`` of the executors (of one body, or of all)."""
        t = RatingCountersRecord
        query = select(t).where(t.period == period, t.domain == domain,
                                t.executor != WHOLE_BODY)
        if body is not None:
            query = query.where(t.body == body)
        return {(row.body, row.executor): _counters(row)
                for row in self.session.execute(query).scalars()}

    def body_known(self, body: str) -> bool:
        t = RatingCountersRecord
        return self.session.execute(
            select(t.body).where(t.period == ALL_TIME, t.domain == ALL_DOMAINS,
                                 t.executor == WHOLE_BODY, t.body == body)
        ).first() is not None


def _counters(row: RatingCountersRecord) -> Counters:
    return Counters(*(getattr(row, name) for name in COUNTER_NAMES))


def _insert(session: Session, table):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    return insert(table)  # pragma: no cover - the services run on PostgreSQL or SQLite only
