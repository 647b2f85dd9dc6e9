"""Accounts' unit of work: its repositories (notifications among them) plus the event outbox,
the inbox and the mail outbox."""
from hromada_common.messaging.uow import SqlAlchemyUnitOfWork

from .repository import (
    AccountRepository,
    ApiKeyRepository,
    CodeRepository,
    FollowerRepository,
    MailOutbox,
    NotificationRepository,
    ThrottleRepository,
    TokenRepository,
)


class AccountsUnitOfWork(SqlAlchemyUnitOfWork):
    def _open_repositories(self, session):
        self.accounts = AccountRepository(session)
        self.codes = CodeRepository(session)
        self.tokens = TokenRepository(session)
        self.throttles = ThrottleRepository(session)
        self.api_keys = ApiKeyRepository(session)
        self.mail = MailOutbox(session)
        self.notifications = NotificationRepository(session)
        self.followers = FollowerRepository(session)
