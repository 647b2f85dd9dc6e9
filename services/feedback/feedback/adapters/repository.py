"""Feedback's repositories: map the domain objects to rows and back."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hromada_common.audit import AuditRepository as SharedAuditRepository
from hromada_common.db import aware
from hromada_common.lifecycle import AppealState

from ..domain.model import AppealView, Comment, PortalFeedback
from .orm import (
    AppealViewRecord,
    AuditRecord,
    CommentRecord,
    PortalFeedbackRecord,
    RatingRecord,
    ReminderSentRecord,
    ReworkRequestRecord,
)


_VIEW_FIELDS = ("appeal_id", "author_id", "body", "category", "state", "version", "resolved_at",
                "due_at", "rework_count", "answered_round", "changed_at")


def _view(record: AppealViewRecord) -> AppealView:
    values = {name: getattr(record, name) for name in _VIEW_FIELDS}
    for name in ("resolved_at", "due_at", "changed_at"):
        values[name] = aware(values[name])
    return AppealView(**values)


class AppealViewRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, appeal_id: str, for_update: bool = False) -> AppealView | None:
        query = select(AppealViewRecord).where(AppealViewRecord.appeal_id == appeal_id)
        if for_update:
            query = query.with_for_update()
        record = self.session.execute(query).scalar_one_or_none()
        return _view(record) if record else None

    def save(self, view: AppealView) -> None:
        record = self.session.get(AppealViewRecord, view.appeal_id)
        if record is None:
            self.session.add(AppealViewRecord(**{n: getattr(view, n) for n in _VIEW_FIELDS}))
            return
        for name in _VIEW_FIELDS[1:]:
            setattr(record, name, getattr(view, name))

    def awaiting_reminders(self, now: datetime, first_after: timedelta, limit: int,
                           reminders_total: int,
                           after: tuple[datetime, str] | None = None) -> list[AppealView]:
        """Resolved, unanswered appeals old enough for a first reminder and not yet sent the
        last one, oldest first from ``after``; locked for this transaction, skipping rows
        another instance holds (``SKIP LOCKED``) instead of waiting for them."""
        view = AppealViewRecord
        last_sent = select(ReminderSentRecord.appeal_id).where(
            ReminderSentRecord.appeal_id == view.appeal_id,
            ReminderSentRecord.round == view.rework_count + 1,
            ReminderSentRecord.reminder_number == reminders_total).exists()
        query = (select(view)
                 .where(view.state == AppealState.RESOLVED.value,
                        view.author_id.is_not(None),
                        view.resolved_at <= now - first_after,
                        or_(view.answered_round.is_(None),
                            view.answered_round != view.rework_count + 1),
                        ~last_sent))
        if after is not None:
            resolved_at, appeal_id = after
            query = query.where(or_(view.resolved_at > resolved_at,
                                    and_(view.resolved_at == resolved_at,
                                         view.appeal_id > appeal_id)))
        query = (query.order_by(view.resolved_at, view.appeal_id).limit(limit)
                 .with_for_update(of=view, skip_locked=True))
        return [_view(r) for r in self.session.execute(query).scalars()]


class ReminderRepository:
    def __init__(self, session: Session):
        self.session = session

    def sent_numbers(self, appeal_id: str, round_: int) -> set[int]:
        return set(self.session.execute(
            select(ReminderSentRecord.reminder_number).where(
                ReminderSentRecord.appeal_id == appeal_id, ReminderSentRecord.round == round_)
        ).scalars())

    def claim(self, appeal_id: str, round_: int, number: int, at: datetime) -> bool:
        """Record the reminder; False if it was already recorded (by anyone, committed or
        not: the unique key decides, so two instances can never both send it)."""
        dialect = self.session.get_bind().dialect.name
        values = {"appeal_id": appeal_id, "round": round_, "reminder_number": number,
                  "sent_at": at}
        table = ReminderSentRecord.__table__
        if dialect == "postgresql":
            statement = postgresql.insert(table).values(**values).on_conflict_do_nothing()
        elif dialect == "sqlite":
            statement = sqlite.insert(table).values(**values).on_conflict_do_nothing()
        else:  # pragma: no cover - the services run on PostgreSQL or SQLite only
            statement = insert(table).values(**values)
        return self.session.execute(statement).rowcount == 1


class RatingRepository:
    def __init__(self, session: Session):
        self.session = session

    def for_round(self, appeal_id: str, round_: int) -> RatingRecord | None:
        return self.session.execute(select(RatingRecord).where(
            RatingRecord.appeal_id == appeal_id, RatingRecord.round == round_)
        ).scalar_one_or_none()

    def add(self, appeal_id: str, round_: int, rating: int, comment: str | None, by: str,
            at: datetime) -> None:
        self.session.add(RatingRecord(appeal_id=appeal_id, round=round_, rating=rating,
                                      comment=comment, by=by, at=at))

    def list(self, appeal_id: str) -> list[dict]:
        rows = self.session.execute(select(RatingRecord).where(
            RatingRecord.appeal_id == appeal_id).order_by(RatingRecord.round)).scalars()
        return [{"round": r.round, "rating": r.rating, "at": aware(r.at)} for r in rows]


class ReworkRepository:
    def __init__(self, session: Session):
        self.session = session

    def for_round(self, appeal_id: str, round_: int) -> ReworkRequestRecord | None:
        return self.session.execute(select(ReworkRequestRecord).where(
            ReworkRequestRecord.appeal_id == appeal_id, ReworkRequestRecord.round == round_)
        ).scalar_one_or_none()

    def add(self, **values) -> None:
        self.session.add(ReworkRequestRecord(**values))


class CommentRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, comment: Comment) -> None:
        self.session.add(CommentRecord(
            id=comment.id, appeal_id=comment.appeal_id, author_id=comment.author_id,
            author_role=comment.author_role, author_display=comment.author_display,
            text=comment.text, at=comment.at))

    def list(self, appeal_id: str, limit: int = 500) -> list[Comment]:
        rows = self.session.execute(
            select(CommentRecord).where(CommentRecord.appeal_id == appeal_id)
            .order_by(CommentRecord.at, CommentRecord.id).limit(limit)).scalars()
        return [Comment(id=r.id, appeal_id=r.appeal_id, author_id=r.author_id,
                        author_role=r.author_role, author_display=r.author_display,
                        text=r.text, at=aware(r.at)) for r in rows]


_FEEDBACK_FIELDS = ("id", "author_id", "category", "text", "state", "answer", "answered_by",
                    "answered_at", "closed_by", "closed_at", "useful", "created_at")


def _feedback(record: PortalFeedbackRecord) -> PortalFeedback:
    values = {name: getattr(record, name) for name in _FEEDBACK_FIELDS}
    for name in ("answered_at", "closed_at", "created_at"):
        values[name] = aware(values[name])
    return PortalFeedback(**values)


class PortalFeedbackRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, item: PortalFeedback) -> None:
        self.session.add(PortalFeedbackRecord(**{n: getattr(item, n) for n in _FEEDBACK_FIELDS}))

    def get(self, feedback_id: str, for_update: bool = False) -> PortalFeedback | None:
        query = select(PortalFeedbackRecord).where(PortalFeedbackRecord.id == feedback_id)
        if for_update:
            query = query.with_for_update()
        record = self.session.execute(query).scalar_one_or_none()
        return _feedback(record) if record else None

    def save(self, item: PortalFeedback) -> None:
        record = self.session.get(PortalFeedbackRecord, item.id)
        for name in _FEEDBACK_FIELDS[1:]:
            setattr(record, name, getattr(item, name))

    def list(self, *, author_id: str | None, state: str | None, category: str | None,
             before: tuple[datetime, str] | None, limit: int) -> list[PortalFeedback]:
        """Newest first, keyset-paginated on (created_at, id)."""
        query = select(PortalFeedbackRecord)
        if author_id:
            query = query.where(PortalFeedbackRecord.author_id == author_id)
        if state:
            query = query.where(PortalFeedbackRecord.state == state)
        if category:
            query = query.where(PortalFeedbackRecord.category == category)
        if before:
            created_at, item_id = before
            query = query.where(or_(PortalFeedbackRecord.created_at < created_at,
                                    and_(PortalFeedbackRecord.created_at == created_at,
                                         PortalFeedbackRecord.id < item_id)))
        query = query.order_by(PortalFeedbackRecord.created_at.desc(),
                               PortalFeedbackRecord.id.desc()).limit(limit)
        return [_feedback(r) for r in self.session.execute(query).scalars()]


class AuditRepository(SharedAuditRepository):
    def __init__(self, session: Session):
        super().__init__(session, AuditRecord)
