"""Feedback's use cases: one function per command or event, each one transaction.

The rule they all serve: only the author's confirmation makes an appeal ``closed`` (done).
``hromada.appeal.confirmed.v1`` is recorded in exactly one place, :func:`confirm`, which only
the appeal's author can pass; timers here remind and never decide.
"""
from __future__ import annotations

import base64
import json
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from hromada_common import events as ev
from hromada_common.auth import Identity, Unauthenticated
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound, load_or_invalid

from ..domain.model import (
    AppealView,
    Comment,
    NotPermitted,
    PortalFeedback,
    ReworkLimitReached,
    WrongState,
    comment_role,
    is_moderator,
    reminders_due,
    sees_comment_authors,
    staff_display,
)
from ..schemas import (
    AnswerIn,
    ArchiveIn,
    CommentIn,
    ConfirmIn,
    PortalFeedbackIn,
    PortalFeedbackListIn,
    ReworkIn,
    portal_feedback_view,
)

CONSUMER = "feedback"


@dataclass(frozen=True)
class FeedbackSettings:
    """The knobs from config.yml (see docs/feedback.md)."""

    rework_limit: int = 3
    archive_after: timedelta = timedelta(days=14)
    reminder_days: tuple[int, ...] = (3, 10)
    reminder_batch_size: int = 500

    @classmethod
    def from_config(cls, config: dict) -> "FeedbackSettings":
        days = config.get("REMINDER_DAYS")
        return cls(
            rework_limit=int(config.get("REWORK_LIMIT", 3)),
            archive_after=timedelta(days=float(config.get("ARCHIVE_AFTER_DAYS", 14))),
            reminder_days=tuple(sorted(int(d) for d in (days if days is not None else (3, 10)))),
            reminder_batch_size=int(config.get("REMINDER_BATCH_SIZE", 500)),
        )


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _signed_in(identity: Identity | None, action: str) -> Identity:
    if identity is None:
        raise Unauthenticated(f"sign in to {action}")
    return identity.require_active()


@contextmanager
def _refusals():
    """Translate the domain's refusals into the typed errors callers catch."""
    try:
        yield
    except NotPermitted as exc:
        raise Forbidden(str(exc))
    except WrongState as exc:
        raise Conflict(str(exc), extra=exc.extra)


def _locked_view(uow, appeal_id: str) -> AppealView:
    view = uow.appeals.get(str(appeal_id), for_update=True)
    if view is None:
        raise NotFound(f"no appeal {appeal_id} is known to feedback",
                       {"appeal_id": ["no such appeal"]})
    return view


# --- the projection --------------------------------------------------------------------------

def apply_state_change(uow, envelope: dict) -> None:
    """Fold one ``appeal.state_changed`` into ``appeal_view``: once per event (inbox), and a
    stale version (≤ the stored one) changes nothing but the rework tally."""
    envelope, data = ev.parse_event(envelope, ev.APPEAL_STATE_CHANGED)
    facts = {"version": data["appeal_version"], "state": data["state"],
             "author_id": data["author_id"], "body": data["body"],
             "category": data["category"], "due_at": data["due_at"], "at": data["at"]}
    with uow:
        if uow.already_processed(CONSUMER, envelope["id"]):
            return
        view = uow.appeals.get(data["appeal_id"], for_update=True)
        if view is None:
            view = AppealView.first_seen(appeal_id=data["appeal_id"], **facts)
        else:
            view.apply_state_change(**facts)
        uow.appeals.save(view)
        uow.mark_processed(CONSUMER, envelope["id"])
        uow.commit()


# --- the author's answer ---------------------------------------------------------------------

def confirm(uow, appeal_id: str, payload: dict, identity: Identity | None,
            now: datetime | None = None) -> dict:
    """The author accepts the resolution with a rating: the only path to ``closed``.

    Raises Unauthenticated, Forbidden (not the author, or blocked), InvalidInput, NotFound,
    or Conflict (not resolved — ``extra["state"]`` names the state — or already answered).
    """
    identity = _signed_in(identity, "confirm a resolution")
    data = load_or_invalid(ConfirmIn(), payload)
    now = now or _now()
    with uow:
        view = _locked_view(uow, appeal_id)
        with _refusals():
            round_ = view.confirm(identity)
        if uow.ratings.for_round(view.appeal_id, round_) is not None:
            raise Conflict(f"round {round_} of this appeal is already rated",
                           extra={"state": view.state, "round": round_})
        uow.ratings.add(view.appeal_id, round_, data["rating"], data["comment"],
                        identity.account_id, now)
        uow.appeals.save(view)
        uow.audit.record("appeal", view.appeal_id, "confirmed", identity.actor, now,
                         round=round_, rating=data["rating"])
        uow.record_event(ev.APPEAL_CONFIRMED, {
            "appeal_id": view.appeal_id, "by": identity.account_id, "at": now,
            "rating": data["rating"], "comment": data["comment"], "round": round_,
        }, subject=view.appeal_id, actor=identity.actor)
        uow.record_event(ev.APPEAL_RATED, {
            "appeal_id": view.appeal_id, "body": view.body, "category": view.category,
            "rating": data["rating"], "comment": data["comment"], "round": round_,
            "by": identity.account_id, "at": now,
        }, subject=view.appeal_id, actor=identity.actor)
        uow.commit()
    return {"appeal_id": view.appeal_id, "round": round_, "rating": data["rating"],
            "outcome": "confirmed", "at": now.isoformat()}


def request_rework(uow, appeal_id: str, payload: dict, identity: Identity | None,
                   settings: FeedbackSettings, now: datetime | None = None) -> dict:
    """The author sends the resolved appeal back to the same body with a reason.

    The request that would exceed ``REWORK_LIMIT`` is not a rework: it records
    ``appeal.escalated`` (the department head now answers for the appeal), commits that, and
    raises Conflict with ``extra = {"state": "resolved", "escalated": True, ...}``.
    """
    identity = _signed_in(identity, "send an appeal back")
    data = load_or_invalid(ReworkIn(), payload)
    now = now or _now()
    with uow:
        view = _locked_view(uow, appeal_id)
        with _refusals():
            try:
                rework_count = view.request_rework(identity, settings.rework_limit)
            except ReworkLimitReached:
                _escalate_once(uow, view, data, identity, now)
                raise
        uow.reworks.add(appeal_id=view.appeal_id, round=view.round, outcome="rework",
                        reason=data["reason"], photo_ref=data["photo_ref"],
                        by=identity.account_id, at=now)
        uow.appeals.save(view)
        uow.audit.record("appeal", view.appeal_id, "rework_requested", identity.actor, now,
                         round=view.round, rework_count=rework_count)
        uow.record_event(ev.APPEAL_REWORK_REQUESTED, {
            "appeal_id": view.appeal_id, "by": identity.account_id, "at": now,
            "reason": data["reason"], "photo_ref": data["photo_ref"],
            "rework_count": rework_count,
        }, subject=view.appeal_id, actor=identity.actor)
        uow.commit()
    return {"appeal_id": view.appeal_id, "outcome": "rework", "rework_count": rework_count,
            "at": now.isoformat()}


def _escalate_once(uow, view: AppealView, data: dict, identity: Identity, now: datetime):
    """Escalate to the head once per round; asking again only repeats the answer."""
    if uow.reworks.for_round(view.appeal_id, view.round) is not None:
        return
    uow.reworks.add(appeal_id=view.appeal_id, round=view.round, outcome="escalated",
                    reason=data["reason"], photo_ref=data["photo_ref"],
                    by=identity.account_id, at=now)
    uow.audit.record("appeal", view.appeal_id, "rework_limit_escalated", identity.actor, now,
                     round=view.round, rework_count=view.rework_count)
    uow.record_event(ev.APPEAL_ESCALATED, {
        "appeal_id": view.appeal_id, "body": view.body or "",
        "due_at": view.due_at or view.resolved_at or view.changed_at,
        "reason": "rework limit reached", "at": now,
    }, subject=view.appeal_id, actor=identity.actor)
    uow.commit()


def archive(uow, appeal_id: str, payload: dict, identity: Identity | None,
            settings: FeedbackSettings, now: datetime | None = None) -> dict:
    """Staff archive a resolved appeal its author left unanswered for ``ARCHIVE_AFTER_DAYS``.
    Archived never counts as done. Raises Forbidden, NotFound or Conflict (wrong state, or
    too early: ``extra["remaining_seconds"]``)."""
    identity = _signed_in(identity, "archive an appeal")
    if not identity.is_staff:
        raise Forbidden("only staff can archive an appeal")
    data = load_or_invalid(ArchiveIn(), payload)
    now = now or _now()
    with uow:
        view = _locked_view(uow, appeal_id)
        with _refusals():
            view.archive(identity, now, settings.archive_after)
        uow.appeals.save(view)
        uow.audit.record("appeal", view.appeal_id, "archived", identity.actor, now,
                         round=view.round, reason=data["reason"])
        uow.record_event(ev.APPEAL_ARCHIVED, {
            "appeal_id": view.appeal_id, "by": identity.account_id, "at": now,
            "reason": data["reason"],
        }, subject=view.appeal_id, actor=identity.actor)
        uow.commit()
    return {"appeal_id": view.appeal_id, "outcome": "archived", "at": now.isoformat()}


# --- reminders -------------------------------------------------------------------------------

def send_confirmation_reminders(uow, settings: FeedbackSettings,
                                now: datetime | None = None) -> int:
    """Record ``confirmation_reminder_due`` once per (appeal, round, reminder number) whose
    time has come. Safe with many instances: candidate rows are claimed with ``SKIP LOCKED``
    and each reminder's unique key decides who sends it. Never changes an appeal's state."""
    if not settings.reminder_days:
        return 0
    now = now or _now()
    first_after = timedelta(days=settings.reminder_days[0])
    sent, after = 0, None
    while True:
        with uow:
            views = uow.appeals.awaiting_reminders(now, first_after, settings.reminder_batch_size,
                                                   len(settings.reminder_days), after)
            items = []
            for view in views:
                for number in reminders_due(view.resolved_at, now, list(settings.reminder_days)):
                    if uow.reminders.claim(view.appeal_id, view.round, number, now):
                        items.append(({"appeal_id": view.appeal_id, "author_id": view.author_id,
                                       "resolved_at": view.resolved_at,
                                       "reminder_number": number, "at": now}, view.appeal_id))
            if items:
                uow.record_events(ev.CONFIRMATION_REMINDER_DUE, items, actor="feedback")
            uow.commit()
        sent += len(items)
        if len(views) < settings.reminder_batch_size:
            return sent
        after = (views[-1].resolved_at, views[-1].appeal_id)


# --- discussion ------------------------------------------------------------------------------

def add_comment(uow, appeal_id: str, payload: dict, identity: Identity | None,
                now: datetime | None = None) -> dict:
    """The author, the body's staff, dispatchers and admins discuss the appeal."""
    identity = _signed_in(identity, "comment")
    data = load_or_invalid(CommentIn(), payload)
    now = now or _now()
    with uow:
        view = _locked_view(uow, appeal_id)
        with _refusals():
            role = comment_role(view, identity)
        comment = Comment(id=str(uuid.uuid4()), appeal_id=view.appeal_id,
                          author_id=identity.account_id, author_role=role,
                          author_display="author of the appeal" if role == "resident"
                          else staff_display(identity),
                          text=data["text"], at=now)
        uow.comments.add(comment)
        uow.record_event(ev.APPEAL_COMMENTED, {
            "appeal_id": view.appeal_id, "comment_id": comment.id,
            "author_id": identity.account_id, "author_role": role,
            "appeal_author_id": view.author_id, "body": view.body, "at": now,
        }, subject=view.appeal_id, actor=identity.actor)
        uow.commit()
    return comment.visible_to(sees_authors=True)


def list_comments(uow, appeal_id: str, identity: Identity | None) -> dict:
    """The discussion, oldest first. Everyone reads the text; only the author, the body's
    staff, dispatchers and admins see who wrote each comment."""
    with uow:
        view = uow.appeals.get(str(appeal_id))
        if view is None:
            raise NotFound(f"no appeal {appeal_id} is known to feedback",
                           {"appeal_id": ["no such appeal"]})
        comments = uow.comments.list(view.appeal_id)
    sees = sees_comment_authors(view, identity)
    return {"items": [c.visible_to(sees) for c in comments]}


# --- numbers for the appeal page -------------------------------------------------------------

def feedback_summary(uow, appeal_id: str) -> dict:
    """Public numbers only: how often the appeal was sent back, and its rating."""
    with uow:
        view = uow.appeals.get(str(appeal_id))
        ratings = uow.ratings.list(str(appeal_id))
    return {"appeal_id": str(appeal_id), "rework_count": view.rework_count if view else 0,
            "rating": ratings[-1]["rating"] if ratings else None,
            "ratings": [{"round": r["round"], "rating": r["rating"]} for r in ratings]}


# --- feedback about the portal ---------------------------------------------------------------

def submit_portal_feedback(uow, payload: dict, identity: Identity | None,
                           now: datetime | None = None) -> dict:
    identity = _signed_in(identity, "send feedback about the portal")
    data = load_or_invalid(PortalFeedbackIn(), payload)
    now = now or _now()
    item = PortalFeedback(id=str(uuid.uuid4()), author_id=identity.account_id,
                          category=data["category"], text=data["text"], created_at=now)
    with uow:
        uow.portal_feedback.add(item)
        uow.audit.record("portal_feedback", item.id, "submitted", identity.actor, now)
        uow.commit()
    return portal_feedback_view(item)


def _encode_cursor(item: PortalFeedback) -> str:
    raw = json.dumps([item.created_at.isoformat(), item.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created_at, item_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(created_at), str(item_id)
    except (ValueError, TypeError):
        raise InvalidInput("malformed cursor", {"cursor": ["not a cursor this API issued"]})


def list_portal_feedback(uow, params: dict, identity: Identity | None) -> dict:
    """Dispatchers and admins see everyone's feedback; anyone else only their own."""
    if identity is None:
        raise Unauthenticated("sign in to read portal feedback")
    data = load_or_invalid(PortalFeedbackListIn(), params or {})
    author = None if is_moderator(identity) and not data["mine"] else identity.account_id
    before = _decode_cursor(data["cursor"]) if data["cursor"] else None
    with uow:
        items = uow.portal_feedback.list(author_id=author, state=data["state"],
                                         category=data["category"], before=before,
                                         limit=data["limit"] + 1)
    next_cursor = None
    if len(items) > data["limit"]:
        items = items[:data["limit"]]
        next_cursor = _encode_cursor(items[-1])
    return {"items": [portal_feedback_view(i) for i in items], "next_cursor": next_cursor}


def _locked_feedback(uow, feedback_id: str, identity: Identity) -> PortalFeedback:
    item = uow.portal_feedback.get(str(feedback_id), for_update=True)
    if item is None or not item.readable_by(identity):
        # Someone else's feedback is as good as absent: its existence is not public.
        raise NotFound(f"no portal feedback {feedback_id}", {"feedback_id": ["no such item"]})
    return item


def answer_portal_feedback(uow, feedback_id: str, payload: dict, identity: Identity | None,
                           now: datetime | None = None) -> dict:
    """Staff answer portal feedback, marking it ``useful`` (default false) if it is: the
    answered event carries the mark, and gamification gives the author points for it."""
    identity = _signed_in(identity, "answer portal feedback")
    if not is_moderator(identity):
        raise Forbidden("only dispatchers and administrators answer portal feedback")
    data = load_or_invalid(AnswerIn(), payload)
    now = now or _now()
    with uow:
        item = _locked_feedback(uow, feedback_id, identity)
        with _refusals():
            item.answer_by(identity, data["answer"], now, useful=data["useful"])
        uow.portal_feedback.save(item)
        uow.audit.record("portal_feedback", item.id, "answered", identity.actor, now,
                         useful=item.useful)
        uow.record_event(ev.PORTAL_FEEDBACK_ANSWERED, {
            "feedback_id": item.id, "author_id": item.author_id, "at": now,
            "useful": item.useful,
        }, subject=item.id, actor=identity.actor)
        uow.commit()
    return portal_feedback_view(item)


def close_portal_feedback(uow, feedback_id: str, identity: Identity | None,
                          now: datetime | None = None) -> dict:
    identity = _signed_in(identity, "close portal feedback")
    now = now or _now()
    with uow:
        item = _locked_feedback(uow, feedback_id, identity)
        with _refusals():
            item.close_by(identity, now)
        uow.portal_feedback.save(item)
        uow.audit.record("portal_feedback", item.id, "closed", identity.actor, now)
        uow.commit()
    return portal_feedback_view(item)


def health(uow) -> dict:
    with uow:
        uow.session.execute(text("SELECT 1"))
    return {"database": "ok"}
