"""The ``sla_timers`` table: scheduling an appeal's timers, and claiming the due ones.

Every statement is set-based (one round trip for a whole batch), because a city's morning can
bring tens of thousands of deadlines due in the same minute.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import any_, func, insert, select, update
from sqlalchemy.orm import Session

from ..domain.sla import CANCELLED, FIRED, PENDING
from .orm import AssignmentRecord, SlaTimerRecord

timers = SlaTimerRecord.__table__


class SlaTimerRepository:
    """Core statements on ``sla_timers`` inside the caller's session (its transaction)."""

    def __init__(self, session: Session):
        self.session = session

    # -- scheduling, from the service layer -------------------------------------------------

    def pending_for(self, appeal_id: str) -> list:
        """The appeal's pending timers, locked: a concurrent reschedule of the same appeal
        waits here instead of colliding on the one-pending-per-kind index."""
        return self.session.execute(
            select(timers.c.kind, timers.c.fire_at, timers.c.due_at, timers.c.body)
            .where(timers.c.appeal_id == appeal_id, timers.c.state == PENDING)
            .with_for_update()
        ).all()

    def fired_kinds(self, appeal_id: str, due_at: datetime) -> set[str]:
        """Kinds already fired for this very deadline (they must not fire again)."""
        return set(self.session.execute(
            select(timers.c.kind).where(
                timers.c.appeal_id == appeal_id, timers.c.state == FIRED,
                timers.c.due_at == due_at,
            )
        ).scalars())

    def next_generation(self, appeal_id: str) -> int:
        latest = self.session.execute(
            select(func.max(timers.c.generation)).where(timers.c.appeal_id == appeal_id)
        ).scalar()
        return (latest or 0) + 1

    def cancel_pending(self, appeal_id: str) -> int:
        """Cancel the appeal's pending timers. A timer the runner is firing right now is
        locked; this waits for it and then, in READ COMMITTED, skips it as no longer pending."""
        result = self.session.execute(
            update(timers)
            .where(timers.c.appeal_id == appeal_id, timers.c.state == PENDING)
            .values(state=CANCELLED)
        )
        return result.rowcount or 0

    def add_pending(self, *, appeal_id: str, body: str, due_at: datetime,
                    fire_times: dict[str, datetime], generation: int, now: datetime) -> None:
        if not fire_times:
            return
        self.session.execute(insert(timers), [
            {"appeal_id": appeal_id, "body": body, "kind": kind, "fire_at": fire_at,
             "due_at": due_at, "state": PENDING, "generation": generation, "created_at": now}
            for kind, fire_at in fire_times.items()
        ])

    # -- firing, from the timer runner ------------------------------------------------------

    def claim_due(self, now: datetime, limit: int) -> list:
        """Mark up to ``limit`` due pending timers fired, oldest first; return them.

        One statement: ``UPDATE … WHERE id = ANY(ARRAY(SELECT … FOR UPDATE SKIP LOCKED))
        RETURNING``.
        Rows another runner holds are skipped, not waited for, so several runners share a
        burst; the caller's commit (after the broker confirmed the events) makes the claim
        final, and a failure or crash before it leaves the rows pending for the next runner.
        """
        due = (
            select(timers.c.id)
            .where(timers.c.state == PENDING, timers.c.fire_at <= now)
            # id breaks ties: with no grace, a breach and its escalation are due at once,
            # and the breach was scheduled first.
            .order_by(timers.c.fire_at, timers.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = self.session.execute(
            update(timers)
            # "= ANY(ARRAY(subquery))", not "IN (subquery)": PostgreSQL then fetches the
            # claimed rows by primary key; with IN it hash-joined them against a sequential
            # scan of the whole table (every batch reading a million rows).
            .where(timers.c.id == any_(func.array(due.scalar_subquery())))
            .values(state=FIRED, fired_at=now)
            .returning(timers.c.id, timers.c.appeal_id, timers.c.body, timers.c.kind,
                       timers.c.fire_at, timers.c.due_at)
            .execution_options(synchronize_session=False)
        ).all()
        # RETURNING follows the update's scan, not the subquery's ORDER BY: put them back in
        # due order, so events leave in it (a breach before the escalation that follows it).
        return sorted(claimed, key=lambda row: (row.fire_at, row.id))

    def next_fire_at(self) -> datetime | None:
        """The earliest pending fire time (an index-only look at the partial index)."""
        return self.session.execute(
            select(func.min(timers.c.fire_at)).where(timers.c.state == PENDING)
        ).scalar()

    def mark_escalated(self, appeal_ids: list[str]) -> None:
        if appeal_ids:
            self.session.execute(
                update(AssignmentRecord.__table__)
                .where(AssignmentRecord.__table__.c.appeal_id.in_(appeal_ids))
                .values(escalated=True)
                .execution_options(synchronize_session=False)
            )
