"""Feedback's domain: the resident's answer to a resolution, and feedback about the portal.

Plain Python: no nameko, SQLAlchemy or marshmallow. Callers are duck-typed (anything with
``account_id``, ``roles`` and ``body``, such as ``hromada_common.auth.Identity``), so the
rules below can be tested in microseconds.

The one rule this module exists for: **nothing but the author's confirmation closes an
appeal as done.** Staff may archive an unanswered appeal after a wait; a timer only reminds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hromada_common.lifecycle import AppealState

MODERATORS = frozenset({"dispatcher", "admin"})
BODY_STAFF = frozenset({"executor", "head"})


class FeedbackRefused(Exception):
    """Base of the domain's refusals; the service layer maps each to a typed RPC error."""


class NotPermitted(FeedbackRefused):
    """The caller may not do this (maps to Forbidden)."""


class WrongState(FeedbackRefused):
    """The appeal or item is not in a state that allows this (maps to Conflict)."""

    def __init__(self, message: str, state: str, **extra):
        super().__init__(message)
        self.state = state
        self.extra = {"state": state, **extra}


class TooEarly(WrongState):
    """Staff tried to archive before the author had the full waiting time to answer."""


class ReworkLimitReached(WrongState):
    """One rework too many: the appeal goes to the head of the body instead."""


# --- who may do what -----------------------------------------------------------------------

def is_moderator(caller) -> bool:
    return bool(set(caller.roles) & MODERATORS)


def is_staff_of(caller, body: str | None) -> bool:
    """Executors and heads of the body the appeal is assigned to."""
    return body is not None and caller.body == body and bool(set(caller.roles) & BODY_STAFF)


def is_head_of(caller, body: str | None) -> bool:
    return body is not None and caller.body == body and "head" in caller.roles


# --- the appeal as feedback sees it ----------------------------------------------------------

@dataclass
class AppealView:
    """Feedback's projection of an appeal, built from ``appeal.state_changed`` events.

    ``answered_round`` is the resolution round the author (or staff, by archiving) has already
    answered: it closes the window between our answer and intake's resulting state change, so
    an author cannot confirm *and* send back the same resolution.
    """

    appeal_id: str
    author_id: str | None
    body: str | None
    category: str
    state: str
    version: int
    changed_at: datetime
    resolved_at: datetime | None = None
    due_at: datetime | None = None
    rework_count: int = 0
    answered_round: int | None = None

    @property
    def round(self) -> int:
        """The resolution round: 1 for the first resolution, +1 after each rework."""
        return self.rework_count + 1

    @property
    def awaiting_answer(self) -> bool:
        return self.state == AppealState.RESOLVED and self.answered_round != self.round

    def apply_state_change(self, *, version: int, state: str, author_id: str | None,
                           body: str | None, category: str, due_at: datetime | None,
                           at: datetime) -> bool:
        """Apply a newer state; return False (and change nothing) for a stale one.

        A ``rework`` state counts towards ``rework_count`` even when it arrives after a newer
        event: the count is a sum of facts, not a current value. Each event is applied once
        (the inbox drops redeliveries), so nothing is counted twice.
        """
        if state == AppealState.REWORK:
            self.rework_count += 1
        if version <= self.version:
            return False
        self.version, self.state, self.changed_at = version, state, at
        self.author_id, self.category = author_id, category
        self.body = body if body is not None else self.body
        self.due_at = due_at if due_at is not None else self.due_at
        if state == AppealState.RESOLVED:
            self.resolved_at = at
        return True

    @classmethod
    def first_seen(cls, *, appeal_id: str, version: int, state: str, author_id: str | None,
                   body: str | None, category: str, due_at: datetime | None,
                   at: datetime) -> "AppealView":
        view = cls(appeal_id=appeal_id, author_id=author_id, body=body, category=category,
                   state=state, version=version, changed_at=at, due_at=due_at,
                   resolved_at=at if state == AppealState.RESOLVED else None,
                   rework_count=1 if state == AppealState.REWORK else 0)
        return view

    # --- the author's answer ----------------------------------------------------------------

    def _require_author(self, caller, action: str) -> None:
        if self.author_id is None or caller.account_id != self.author_id:
            raise NotPermitted(f"only the author of the appeal can {action} it")

    def _require_awaiting_answer(self, action: str) -> None:
        if self.state != AppealState.RESOLVED:
            raise WrongState(f"only a resolved appeal can be {action}; this one is "
                             f"'{self.state}'", self.state)
        if self.answered_round == self.round:
            raise WrongState(f"this resolution (round {self.round}) has already been answered",
                             self.state, round=self.round)

    def confirm(self, caller) -> int:
        """The author accepts the resolution: returns the round being confirmed."""
        self._require_author(caller, "confirm")
        self._require_awaiting_answer("confirmed")
        self.answered_round = self.round
        return self.round

    def request_rework(self, caller, limit: int) -> int:
        """The author sends the work back; returns the new rework count.

        Raises :class:`ReworkLimitReached` when this request would exceed ``limit``: the
        appeal then stays resolved and is escalated to the head of the body.
        """
        self._require_author(caller, "send back")
        self._require_awaiting_answer("sent back for rework")
        wanted = self.rework_count + 1
        if wanted > limit:
            raise ReworkLimitReached(
                f"this appeal was already sent back {self.rework_count} time(s), the limit is "
                f"{limit}: it has been escalated to the head of {self.body or 'the body'}, who "
                "now answers for it", self.state, rework_count=self.rework_count, limit=limit,
                escalated=True)
        self.answered_round = self.round
        return wanted

    def archive(self, caller, now: datetime, wait: timedelta) -> None:
        """Staff archive a resolution its author never answered (never counts as done)."""
        if not (is_moderator(caller) or is_head_of(caller, self.body)):
            raise NotPermitted("only dispatchers, administrators or the head of the appeal's "
                               "body can archive it")
        self._require_awaiting_answer("archived")
        remaining = archive_wait_remaining(self.resolved_at or self.changed_at, now, wait)
        if remaining > timedelta(0):
            raise TooEarly(
                f"the author still has {describe(remaining)} to answer before the appeal can "
                "be archived", self.state, remaining_seconds=int(remaining.total_seconds()),
                archivable_at=((self.resolved_at or self.changed_at) + wait).isoformat())
        self.answered_round = self.round


def archive_wait_remaining(resolved_at: datetime, now: datetime, wait: timedelta) -> timedelta:
    return max(resolved_at + wait - now, timedelta(0))


def describe(span: timedelta) -> str:
    days, rest = divmod(int(span.total_seconds()), 86400)
    hours = -(-rest // 3600)  # round up: "0 hours" would read as "now"
    if hours == 24:
        days, hours = days + 1, 0
    parts = ([f"{days} day(s)"] if days else []) + ([f"{hours} hour(s)"] if hours else [])
    return " ".join(parts) or "less than an hour"


def reminders_due(resolved_at: datetime, now: datetime, reminder_days: list[int]) -> list[int]:
    """Reminder numbers (1-based) whose waiting time since resolution has passed."""
    return [number for number, days in enumerate(sorted(reminder_days), start=1)
            if now >= resolved_at + timedelta(days=days)]


# --- discussion ------------------------------------------------------------------------------

def comment_role(view: AppealView, caller) -> str:
    """``resident`` for the author, ``staff`` for the body's staff and moderators; others may
    not comment (:class:`NotPermitted`)."""
    if view.author_id is not None and caller.account_id == view.author_id:
        return "resident"
    if is_moderator(caller) or is_staff_of(caller, view.body):
        return "staff"
    raise NotPermitted("only the author, the staff of the responsible body, dispatchers and "
                       "administrators can comment on this appeal")


def staff_display(caller) -> str:
    """How a staff comment is signed: by role and body, never by the person's name."""
    role = next((r for r in ("head", "executor", "dispatcher", "admin") if r in caller.roles),
                "staff")
    return f"{role} · {caller.body}" if caller.body and role in BODY_STAFF else role


def sees_comment_authors(view: AppealView, caller) -> bool:
    """The author, the body's staff, dispatchers and admins see who wrote each comment."""
    if caller is None:
        return False
    return (view.author_id is not None and caller.account_id == view.author_id) \
        or is_moderator(caller) or is_staff_of(caller, view.body)


@dataclass
class Comment:
    id: str
    appeal_id: str
    author_id: str
    author_role: str
    author_display: str
    text: str
    at: datetime

    def visible_to(self, sees_authors: bool) -> dict:
        """The public sees every comment's text and whether staff or the resident wrote it,
        staff comments signed by role and body, and no resident's id or name."""
        item = {"id": self.id, "text": self.text, "at": self.at.isoformat(),
                "author_role": self.author_role}
        if sees_authors:
            item |= {"author_id": self.author_id, "display": self.author_display}
        elif self.author_role == "staff":
            item["display"] = self.author_display
        return item


# --- feedback about the portal ---------------------------------------------------------------

PORTAL_CATEGORIES = ("usability", "bug", "idea", "complaint")
NEW, ANSWERED, CLOSED = "new", "answered", "closed"


@dataclass
class PortalFeedback:
    """A suggestion or complaint about the portal: ``new`` → ``answered`` → ``closed``."""

    id: str
    author_id: str
    category: str
    text: str
    created_at: datetime
    state: str = NEW
    answer: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None
    closed_by: str | None = None
    closed_at: datetime | None = None
    useful: bool = False
    """Staff found the suggestion useful when answering (it earns the author points)."""
    changes: list[tuple[str, str, datetime]] = field(default_factory=list, repr=False)

    def answer_by(self, caller, answer: str, now: datetime, useful: bool = False) -> None:
        if not is_moderator(caller):
            raise NotPermitted("only dispatchers and administrators answer portal feedback")
        if self.state != NEW:
            raise WrongState(f"portal feedback in state '{self.state}' cannot be answered",
                             self.state)
        self.state, self.answer, self.answered_by, self.answered_at = ANSWERED, answer, \
            caller.account_id, now
        self.useful = bool(useful)
        self.changes.append((ANSWERED, caller.account_id, now))

    def close_by(self, caller, now: datetime) -> None:
        if caller.account_id != self.author_id and not is_moderator(caller):
            raise NotPermitted("only the author or staff can close portal feedback")
        if self.state != ANSWERED:
            raise WrongState(f"portal feedback in state '{self.state}' cannot be closed; it "
                             "must be answered first", self.state)
        self.state, self.closed_by, self.closed_at = CLOSED, caller.account_id, now
        self.changes.append((CLOSED, caller.account_id, now))

    def readable_by(self, caller) -> bool:
        return caller is not None and (caller.account_id == self.author_id
                                       or is_moderator(caller))
