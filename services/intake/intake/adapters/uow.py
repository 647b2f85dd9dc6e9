"""Intake's unit of work: the appeal and category repositories plus outbox and inbox."""
from hromada_common.messaging.uow import SqlAlchemyUnitOfWork

from .repository import AccountStandingRepository, AppealRepository, CategoryCopyRepository


class IntakeUnitOfWork(SqlAlchemyUnitOfWork):
    def _open_repositories(self, session):
        self.appeals = AppealRepository(session)
        self.categories = CategoryCopyRepository(session)
        self.standing = AccountStandingRepository(session)
