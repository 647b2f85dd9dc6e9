"""The gamification nameko service (shell: its domain arrives with issue #6)."""
from nameko.rpc import rpc
from sqlalchemy import text

from hromada_common.messaging.nameko_ext import UnitOfWorkProvider
from hromada_common.messaging.uow import SqlAlchemyUnitOfWork

from .adapters.orm import Base, inbox, outbox


class GamificationService:
    name = "gamification"

    uow = UnitOfWorkProvider(SqlAlchemyUnitOfWork, outbox, inbox, metadata=Base.metadata)

    @rpc
    def health(self):
        """Checks the database; the broker answered if this call arrived."""
        with self.uow() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"database": "ok", "broker": "ok"}
