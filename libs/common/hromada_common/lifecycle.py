"""The appeal lifecycle, defined once for every service.

Plain Python on purpose: intake applies transitions, routing and feedback decide them, the
gateway explains them, and all of them import the same table.
"""
from __future__ import annotations

from enum import StrEnum


class AppealState(StrEnum):
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REWORK = "rework"
    CLOSED = "closed"
    ARCHIVED = "archived"


S = AppealState

ALLOWED_TRANSITIONS: dict[AppealState, frozenset[AppealState]] = {
    S.SUBMITTED: frozenset({S.REJECTED, S.DUPLICATE, S.ASSIGNED}),
    S.ASSIGNED: frozenset({S.IN_PROGRESS, S.ASSIGNED, S.REJECTED}),
    S.IN_PROGRESS: frozenset({S.RESOLVED, S.ASSIGNED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REWORK, S.ARCHIVED}),
    S.REWORK: frozenset({S.IN_PROGRESS, S.RESOLVED, S.ASSIGNED}),
    S.REJECTED: frozenset(),
    S.DUPLICATE: frozenset(),
    S.CLOSED: frozenset(),
    S.ARCHIVED: frozenset(),
}
"""Which state may follow which. ``assigned → assigned`` is a reassignment to another body."""

FINAL_STATES = frozenset(state for state, nxt in ALLOWED_TRANSITIONS.items() if not nxt)

DONE_STATES = frozenset({S.CLOSED})
"""Only a resident's confirmation counts as done; ``archived`` never does."""

OPEN_STATES = frozenset({S.SUBMITTED, S.ASSIGNED, S.IN_PROGRESS, S.REWORK})
"""The problem is still waiting for, or getting, work: a resident about to report the same
problem nearby is offered these to support instead, and only these take supporters.
``resolved`` is not open (the work is reported done; only the author answers it), nor is any
final state. Intake's partial index ``ix_appeals_open_nearby`` is built on exactly this set:
changing it needs a migration that rebuilds that index."""


class IllegalTransition(ValueError):
    """Raised when a change would move an appeal along an edge the lifecycle does not have."""

    def __init__(self, current: AppealState | str, target: AppealState | str):
        self.current = AppealState(current)
        self.target = AppealState(target)
        super().__init__(
            f"an appeal in state '{self.current}' cannot move to '{self.target}'"
        )


def can_transition(current: AppealState | str, target: AppealState | str) -> bool:
    return AppealState(target) in ALLOWED_TRANSITIONS[AppealState(current)]


def check_transition(current: AppealState | str, target: AppealState | str) -> AppealState:
    """Return the target state, or raise :class:`IllegalTransition`."""
    if not can_transition(current, target):
        raise IllegalTransition(current, target)
    return AppealState(target)
