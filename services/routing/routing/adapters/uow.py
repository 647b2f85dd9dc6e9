"""Routing's unit of work."""
from hromada_common.messaging.uow import SqlAlchemyUnitOfWork

from .repository import AssignmentRepository, TaxonomyRepository


class RoutingUnitOfWork(SqlAlchemyUnitOfWork):
    def _open_repositories(self, session):
        self.taxonomy = TaxonomyRepository(session)
        self.assignments = AssignmentRepository(session)
