"""An appeal's assignment: the body that must act, its deadline, and the executor's workflow.

Routing keeps the workflow state of each assignment (``assigned`` → ``in_progress`` →
``resolved``, and ``rework`` when the resident sends it back), checked against the one
lifecycle in ``hromada_common.lifecycle``. Intake owns the appeal record; routing learns its
final states (rejected, duplicate, closed, archived) from intake's events and stops the clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hromada_common.lifecycle import AppealState, FINAL_STATES, IllegalTransition, check_transition

from .deadlines import Calendars, WorkingCalendar, deadline_for
from .rules import choose_body
from .taxonomy import COMPLEXITIES, Taxonomy

FALLBACK_HOURS = 8
"""A working day: the deadline of an appeal whose category routing does not know."""

WORKFLOW_STATES = (AppealState.ASSIGNED, AppealState.IN_PROGRESS, AppealState.RESOLVED,
                   AppealState.REWORK)


class DeadlineError(ValueError):
    """A deadline change that breaks a rule (not later than the current one, no reason)."""


@dataclass(frozen=True)
class Change:
    """One audited change of an assignment: what, by whom, when, before and after."""

    action: str
    by: str
    at: datetime
    reason: str | None
    before: dict
    after: dict


@dataclass
class Assignment:
    appeal_id: str
    appeal_version: int
    category: str
    body: str
    complexity: str
    due_at: datetime
    assigned_at: datetime
    rule: str
    district: str | None = None
    state: str = AppealState.ASSIGNED.value
    clock_started_at: datetime | None = None
    """When the current deadline started counting: the assignment, a reassignment that
    restarts the clock, or a rework request."""
    finished_at: datetime | None = None
    taken_by: str | None = None
    escalated: bool = False
    changes: list[Change] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self):
        if self.clock_started_at is None:
            self.clock_started_at = self.assigned_at

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def snapshot(self) -> dict:
        return {"body": self.body, "state": self.state, "complexity": self.complexity,
                "due_at": self.due_at.isoformat(), "rule": self.rule,
                "clock_started_at": self.clock_started_at.isoformat()}

    def _record(self, action: str, by: str, at: datetime, reason: str | None,
                before: dict) -> None:
        self.changes.append(Change(action, by, at, reason, before, self.snapshot()))

    def _move(self, target: AppealState) -> None:
        # Raises IllegalTransition, which names the current state.
        self.state = check_transition(self.state, target).value

    # --- the executor's workflow ----------------------------------------------------------

    def take(self, *, by: str, at: datetime) -> None:
        before = self.snapshot()
        self._move(AppealState.IN_PROGRESS)
        self.taken_by = by
        self._record("take", by, at, None, before)

    def resolve(self, *, by: str, at: datetime, comment: str) -> None:
        before = self.snapshot()
        self._move(AppealState.RESOLVED)
        self._record("resolve", by, at, comment, before)

    # --- dispatchers and heads -------------------------------------------------------------

    def set_complexity(self, complexity: str, *, taxonomy: Taxonomy, calendars: Calendars,
                       by: str, at: datetime) -> datetime:
        """Triage: a new complexity class, and the deadline recomputed from the moment the
        clock started. Returns the previous due time."""
        if complexity not in COMPLEXITIES:
            raise DeadlineError(f"unknown complexity {complexity}")
        self._require_open()
        before, previous = self.snapshot(), self.due_at
        self.complexity = complexity
        self.due_at = deadline_of(taxonomy, self.category, complexity,
                                  calendars.for_body(self.body), self.clock_started_at)
        self._record("complexity", by, at, None, before)
        return previous

    def extend(self, until: datetime, *, reason: str, by: str, at: datetime) -> datetime:
        """An explicit extension by the head of the body. Returns the previous due time."""
        if until.tzinfo is None:
            raise DeadlineError("the new deadline must carry its timezone")
        if not reason or not reason.strip():
            raise DeadlineError("an extension needs a reason")
        self._require_open()
        if until <= self.due_at:
            raise DeadlineError(f"the new deadline must be later than the current one "
                                f"({self.due_at.isoformat()})")
        before, previous = self.snapshot(), self.due_at
        self.due_at = until
        self._record("extension", by, at, reason, before)
        return previous

    def reassign(self, body: str, *, reason: str, restart_clock: bool, taxonomy: Taxonomy,
                 calendars: Calendars, by: str, at: datetime) -> datetime:
        """Hand the appeal to another body; its state goes back to ``assigned``. The clock
        restarts from ``at`` only if the city's rule says so. Returns the previous due time."""
        before, previous = self.snapshot(), self.due_at
        self._move(AppealState.ASSIGNED)
        self.body = body
        self.assigned_at = at
        self.rule = f"reassigned: {reason}"[:200]
        self.taken_by = None
        if restart_clock:
            self.clock_started_at = at
            self.due_at = deadline_of(taxonomy, self.category, self.complexity,
                                      calendars.for_body(body), at)
        self._record("reassign", by, at, reason, before)
        return previous

    # --- facts from intake -----------------------------------------------------------------

    def send_back_for_rework(self, *, taxonomy: Taxonomy, calendars: Calendars, by: str,
                             at: datetime, reason: str | None) -> datetime:
        """The resident sent the work back: the category's deadline again, from now."""
        before, previous = self.snapshot(), self.due_at
        self.state = AppealState.REWORK.value
        self.clock_started_at = at
        self.due_at = deadline_of(taxonomy, self.category, self.complexity,
                                  calendars.for_body(self.body), at)
        self._record("rework", by, at, reason, before)
        return previous

    def finish(self, final_state: str, *, by: str, at: datetime, reason: str | None) -> None:
        """Intake closed the appeal for good (rejected, duplicate, closed, archived). A fact
        from the owner of the record: applied, not checked."""
        before = self.snapshot()
        self.state = AppealState(final_state).value
        self.finished_at = at
        self._record("finish", by, at, reason, before)

    def _require_open(self) -> None:
        if self.finished or self.state == AppealState.RESOLVED.value:
            # Same shape as an illegal transition: the caller learns the current state.
            raise IllegalTransition(self.state, AppealState.ASSIGNED)


def is_final(state: str) -> bool:
    return AppealState(state) in FINAL_STATES


def deadline_of(taxonomy: Taxonomy, category_code: str, complexity: str,
                calendar: WorkingCalendar, start: datetime) -> datetime:
    """The deadline of a category's appeal; an unknown category gets a working day."""
    category = taxonomy.categories.get(category_code)
    if category is None or not category.is_leaf or not category.deadline_hours:
        return calendar.add_working_hours(start, FALLBACK_HOURS)
    return deadline_for(category, complexity, calendar, start)


def assign_appeal(*, appeal_id: str, appeal_version: int, category_code: str,
                  taxonomy: Taxonomy, calendar: WorkingCalendar | Calendars, now: datetime,
                  fallback_body: str, district: str | None = None, rules=()) -> Assignment:
    """Route by the most specific rule for the category and district, else the category's
    default body; an appeal nothing covers goes to the fallback body (the dispatch centre),
    never nowhere. The deadline counts in the chosen body's calendar."""
    calendars = calendar if isinstance(calendar, Calendars) else Calendars(default=calendar)
    category = taxonomy.categories.get(category_code)
    if category is None or not category.is_leaf:
        # Intake checks categories at submission, so this means the taxonomy changed in
        # between. A person must look at it: the dispatch centre, with a standard day.
        return Assignment(appeal_id, appeal_version, category_code, fallback_body, "standard",
                          calendars.for_body(fallback_body).add_working_hours(now, FALLBACK_HOURS),
                          now, "fallback: category not in the taxonomy", district)
    body, why = choose_body(rules, category.code, district, default_body=category.body,
                            known_bodies=taxonomy.bodies, fallback_body=fallback_body)
    complexity = category.default_complexity or "standard"
    return Assignment(
        appeal_id, appeal_version, category.code, body, complexity,
        deadline_for(category, complexity, calendars.for_body(body), now), now, why, district,
    )
