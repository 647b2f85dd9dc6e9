"""Feedback's unit of work: its repositories plus the outbox and inbox, one transaction."""
from hromada_common.messaging.uow import SqlAlchemyUnitOfWork

from .repository import (
    AppealViewRepository,
    AuditRepository,
    CommentRepository,
    PortalFeedbackRepository,
    RatingRepository,
    ReminderRepository,
    ReworkRepository,
)


class FeedbackUnitOfWork(SqlAlchemyUnitOfWork):
    def _open_repositories(self, session):
        self.appeals = AppealViewRepository(session)
        self.ratings = RatingRepository(session)
        self.reworks = ReworkRepository(session)
        self.reminders = ReminderRepository(session)
        self.comments = CommentRepository(session)
        self.portal_feedback = PortalFeedbackRepository(session)
        self.audit = AuditRepository(session)
