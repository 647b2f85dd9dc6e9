"""SLA timers of an assignment: when to warn, when the deadline is broken, when to escalate.

Plain Python. The service layer turns a :class:`SlaSchedule` into durable timer rows; the
timer runner turns due rows into events. Nothing here knows about the database.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

WARNING = "warning"
BREACH = "breach"
ESCALATION = "escalation"
KINDS = (WARNING, BREACH, ESCALATION)

PENDING = "pending"
FIRED = "fired"
CANCELLED = "cancelled"

# Event ids of fired timers are derived from the timer, not drawn at random: a runner that
# crashes after the broker confirmed a batch but before its commit leaves the rows pending,
# the next runner publishes them again with the *same* ids, and consumers' inboxes drop the
# copies (at-least-once delivery, exactly-once effect). Never change this namespace.
TIMER_EVENT_NAMESPACE = uuid.UUID("6f1c0a52-3b8e-5d47-9a2e-5e1a7c0d9b41")

# Workflow states in which the body's clock does not run: the work is done or refused
# (resolved, closed, rejected, duplicate, archived), or it waits for the resident.
CLOCK_STOPPED_STATES = frozenset({
    "resolved", "closed", "rejected", "duplicate", "archived",
    "awaiting_resident", "paused",
})


@dataclass(frozen=True)
class SlaPolicy:
    """The city's SLA settings: warn at ``warning_share`` of the allotted time; escalate to
    the head of the body ``escalation_delay`` after the deadline is broken."""

    warning_share: float = 0.75
    escalation_delay: timedelta = timedelta(0)

    def __post_init__(self):
        if not 0.0 < self.warning_share < 1.0:
            raise ValueError(f"warning_share must be in (0, 1), got {self.warning_share}")
        if self.escalation_delay < timedelta(0):
            raise ValueError("escalation_delay must not be negative")


@dataclass(frozen=True)
class SlaSchedule:
    """When each SLA fact of one assignment falls due."""

    due_at: datetime
    warning_at: datetime
    breach_at: datetime
    escalation_at: datetime

    def fire_times(self) -> dict[str, datetime]:
        return {WARNING: self.warning_at, BREACH: self.breach_at, ESCALATION: self.escalation_at}


def warning_time(assigned_at: datetime, due_at: datetime, share: float) -> datetime:
    """``assigned_at + share × (due_at − assigned_at)``: e.g. 75 % of the allotted time."""
    allotted = due_at - assigned_at
    if allotted <= timedelta(0):
        return due_at  # already due: the warning would be in the past anyway, warn at once
    return assigned_at + allotted * share


def sla_schedule(assigned_at: datetime, due_at: datetime, policy: SlaPolicy) -> SlaSchedule:
    """The warning, breach (= the deadline) and escalation (= breach + grace) times."""
    return SlaSchedule(
        due_at=due_at,
        warning_at=warning_time(assigned_at, due_at, policy.warning_share),
        breach_at=due_at,
        escalation_at=due_at + policy.escalation_delay,
    )


def timer_event_id(appeal_id: str, kind: str, timer_id: int) -> str:
    """The event id of one timer's fact: the same every time that timer is published.

    The row id alone would repeat across databases (a restored or rebuilt one); with the
    appeal's id and the kind it names one timer of one appeal, everywhere."""
    return str(uuid.uuid5(TIMER_EVENT_NAMESPACE, f"{appeal_id}/{kind}/{timer_id}"))


def clock_runs(workflow_state: str | None) -> bool:
    """Does the SLA clock run in this workflow state? (No state means freshly assigned.)"""
    state = str(getattr(workflow_state, "value", workflow_state) or "assigned")
    return state not in CLOCK_STOPPED_STATES
