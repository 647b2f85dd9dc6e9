"""SLA use cases: keep an appeal's durable timers in step with its assignment, and fire due
timers as events.

Both run inside a routing unit of work, so timers change in the same transaction as the
assignment that caused them, and a fired timer's event reaches the outbox in the same
transaction that marks it fired: the outbox relay then publishes it, exactly once in effect.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import event as sa_event

from hromada_common import events as ev

from ..adapters.sla_timers import SlaTimerRepository
from ..domain.sla import BREACH, ESCALATION, WARNING, SlaPolicy, clock_runs, sla_schedule

log = logging.getLogger(__name__)

ESCALATION_REASON = "deadline broken"
EVENT_TYPES = {WARNING: ev.SLA_WARNING, BREACH: ev.SLA_BREACHED, ESCALATION: ev.APPEAL_ESCALATED}

_policy = SlaPolicy()
_schedule_listeners: list[Callable[[datetime], None]] = []


def configure(policy: SlaPolicy) -> None:
    """Set this process's SLA policy (the timer runner does it from the service config)."""
    global _policy
    _policy = policy


def current_policy() -> SlaPolicy:
    return _policy


def add_schedule_listener(listener: Callable[[datetime], None]) -> None:
    """Call ``listener(earliest_fire_at)`` after a commit that scheduled timers, so a runner
    sleeping until a later timer wakes up for the nearer one."""
    _schedule_listeners.append(listener)


def remove_schedule_listener(listener: Callable[[datetime], None]) -> None:
    if listener in _schedule_listeners:
        _schedule_listeners.remove(listener)


def _notify_after_commit(session, earliest: datetime) -> None:
    if not _schedule_listeners:
        return

    def notify(_session):
        for listener in list(_schedule_listeners):
            try:
                listener(earliest)
            except Exception:  # noqa: BLE001 - a wake-up is an optimisation, never a failure
                log.exception("SLA schedule listener failed")

    sa_event.listen(session, "after_commit", notify, once=True)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def on_assignment_changed(uow, assignment, policy: SlaPolicy | None = None,
                          now: datetime | None = None) -> None:
    """(Re)schedule or cancel the appeal's SLA timers, in the caller's transaction.

    Call it inside an open unit of work whenever an assignment is created or its deadline,
    body or workflow state changes; the caller commits. Idempotent: timers that already match
    the assignment are left alone.

    * workflow state resolved/finished or waiting for the resident: pending timers cancelled;
    * otherwise one pending warning, breach and escalation for the current deadline, minus
      the kinds already fired for that same deadline (a new deadline re-arms all three).
    """
    policy = policy or _policy
    now = now or _now()
    repo = SlaTimerRepository(uow.session)
    appeal_id = assignment.appeal_id
    state = getattr(assignment, "state", None) or "assigned"
    pending = repo.pending_for(appeal_id)
    if not clock_runs(state):
        if pending:
            repo.cancel_pending(appeal_id)
        return

    # A reassignment or rework restarts the clock: the warning falls within the new period.
    clock_started_at = getattr(assignment, "clock_started_at", None) or assignment.assigned_at
    schedule = sla_schedule(clock_started_at, assignment.due_at, policy)
    wanted = schedule.fire_times()
    for kind in repo.fired_kinds(appeal_id, assignment.due_at):
        wanted.pop(kind, None)
    if WARNING in wanted and BREACH in wanted and schedule.breach_at <= now:
        del wanted[WARNING]  # a warning after the deadline has passed tells nobody anything

    current = {row.kind: (row.fire_at, row.due_at, row.body) for row in pending}
    if current == {kind: (at, assignment.due_at, assignment.body)
                   for kind, at in wanted.items()}:
        return
    if pending:
        repo.cancel_pending(appeal_id)
    repo.add_pending(appeal_id=appeal_id, body=assignment.body, due_at=assignment.due_at,
                     fire_times=wanted, generation=repo.next_generation(appeal_id), now=now)
    if wanted:
        _notify_after_commit(uow.session, min(wanted.values()))


def _event_data(kind: str, row, now: datetime) -> dict:
    if kind == ESCALATION:
        return {"appeal_id": row.appeal_id, "body": row.body, "due_at": row.due_at,
                "reason": ESCALATION_REASON, "at": now}
    return {"appeal_id": row.appeal_id, "body": row.body, "due_at": row.due_at,
            "fired_at": now}


def fire_due_timers(uow, batch_size: int = 1000, now: datetime | None = None) -> int:
    """Fire up to ``batch_size`` due timers in one transaction; return how many fired.

    Claims them (``FOR UPDATE SKIP LOCKED``, so concurrent runners split the work and never
    fire a timer twice), records one event per timer into the outbox, flags escalated
    assignments, and commits all of it together.
    """
    now = now or _now()
    with uow:
        repo = SlaTimerRepository(uow.session)
        fired = repo.claim_due(now, batch_size)
        if not fired:
            return 0
        by_kind: dict[str, list] = {}
        for row in fired:
            by_kind.setdefault(row.kind, []).append((_event_data(row.kind, row, now), row.appeal_id))
        for kind, items in by_kind.items():
            uow.record_events(EVENT_TYPES[kind], items, actor="routing")
        repo.mark_escalated(sorted({row.appeal_id for row in fired if row.kind == ESCALATION}))
        uow.commit()
    return len(fired)


def next_fire_at(uow) -> datetime | None:
    """When the earliest pending timer is due (None: nothing is pending)."""
    with uow:
        return SlaTimerRepository(uow.session).next_fire_at()
