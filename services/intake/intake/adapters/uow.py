"""Intake's unit of work: the appeal, supporter, category and audit repositories plus outbox
and inbox."""
from hromada_common.messaging.uow import SqlAlchemyUnitOfWork

from .repository import (
    AccountStandingRepository,
    AppealRepository,
    AttachmentRepository,
    AuditRepository,
    CategoryCopyRepository,
    SupporterRepository,
)


class IntakeUnitOfWork(SqlAlchemyUnitOfWork):
    def _open_repositories(self, session):
        self.appeals = AppealRepository(session)
        self.categories = CategoryCopyRepository(session)
        self.standing = AccountStandingRepository(session)
        self.supporters = SupporterRepository(session)
        self.attachments = AttachmentRepository(session)
        self.audit = AuditRepository(session)
