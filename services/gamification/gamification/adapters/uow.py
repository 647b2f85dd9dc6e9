"""Gamification's unit of work: its repositories plus the outbox and inbox, one transaction."""
from hromada_common.messaging.uow import SqlAlchemyUnitOfWork

from .ratings_repo import RatingsRepository
from .repository import AuditRepository
from .residents_repo import ResidentsRepository
from .rewards_repo import RewardsRepository


class GamificationUnitOfWork(SqlAlchemyUnitOfWork):
    def _open_repositories(self, session):
        self.residents = ResidentsRepository(session)
        self.ratings = RatingsRepository(session)
        self.rewards = RewardsRepository(session)
        self.audit = AuditRepository(session)
