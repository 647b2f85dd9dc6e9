"""Repositories: map accounts, codes, token families, throttles, API keys and mail to rows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from hromada_common.db import aware

from ..domain.api_keys import ApiKey
from ..domain.codes import CodePurpose, OneTimeCode
from ..domain.lookalikes import skeleton
from ..domain.model import DEFAULT_LANGUAGE, Account, AuditEntry
from ..domain.notifications import Notification
from ..domain.throttling import LoginThrottle
from ..domain.tokens import RefreshToken, TokenFamily
from .orm import (
    AccountRecord,
    ApiKeyRecord,
    AuditRecord,
    FollowerRecord,
    LoginThrottleRecord,
    MailOutboxRecord,
    NotificationRecord,
    OneTimeCodeRecord,
    RefreshTokenRecord,
    TokenFamilyRecord,
)


def _insert_ignoring_conflicts(session: Session, table, values: dict) -> bool:
    """INSERT … ON CONFLICT DO NOTHING in the dialect at hand (PostgreSQL, or the SQLite
    trial). True if the row was inserted, False if a conflicting one was already there."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return session.execute(insert(table).values(**values).on_conflict_do_nothing()).rowcount == 1


# ------------------------------------------------------------------------------- accounts


def _account(record: AccountRecord) -> Account:
    return Account(
        id=record.id, email=record.email, display_name=record.display_name,
        password_hash=record.password_hash, created_at=aware(record.created_at),
        updated_at=aware(record.updated_at), phone=record.phone,
        email_verified_at=aware(record.email_verified_at), roles=frozenset(record.roles or ()),
        body=record.body, status=record.status, trust_level=record.trust_level,
        rejections=[aware(datetime.fromisoformat(r)) for r in record.rejections or []],
        deleted_at=aware(record.deleted_at),
        email_notifications=record.email_notifications is not False,
        trust_lowered_at=aware(record.trust_lowered_at),
        gamification_level=record.gamification_level or 0,
        auth_version=record.auth_version or 0, auth_changed_at=aware(record.auth_changed_at),
        language=record.language or DEFAULT_LANGUAGE,
    )


def _fill(record: AccountRecord, account: Account) -> None:
    record.email = account.email
    record.email_skeleton = skeleton(account.email) if account.email else None
    record.phone = account.phone
    record.display_name = account.display_name
    record.password_hash = account.password_hash
    record.email_verified_at = account.email_verified_at
    record.roles = sorted(account.roles)
    record.body = account.body
    record.status = account.status
    record.trust_level = account.trust_level
    record.rejections = [r.isoformat() for r in account.rejections]
    record.updated_at = account.updated_at
    record.deleted_at = account.deleted_at
    record.email_notifications = account.email_notifications
    record.trust_lowered_at = account.trust_lowered_at
    record.gamification_level = account.gamification_level
    record.auth_version = account.auth_version
    record.auth_changed_at = account.auth_changed_at
    record.language = account.language


class AccountRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, account: Account) -> None:
        record = AccountRecord(id=account.id, created_at=account.created_at)
        _fill(record, account)
        self.session.add(record)
        self.session.flush()  # a taken email fails here, inside the caller's error handling
        self._write_audit(account)

    def get(self, account_id: str, for_update: bool = False) -> Account | None:
        query = select(AccountRecord).where(AccountRecord.id == str(account_id))
        if for_update:
            query = query.with_for_update()
        record = self.session.execute(query).scalar_one_or_none()
        return _account(record) if record else None

    def get_by_email(self, email: str, for_update: bool = False) -> Account | None:
        query = select(AccountRecord).where(AccountRecord.email == email)
        if for_update:
            query = query.with_for_update()
        record = self.session.execute(query).scalar_one_or_none()
        return _account(record) if record else None

    def get_by_skeleton(self, email: str) -> Account | None:
        """The account whose email looks like ``email`` (the same confusable skeleton)."""
        record = self.session.execute(select(AccountRecord).where(
            AccountRecord.email_skeleton == skeleton(email))).scalar_one_or_none()
        return _account(record) if record else None

    def auth_versions_changed_since(self, since: datetime) -> list[tuple[str, int, datetime]]:
        """``(account id, auth version, changed at)`` of accounts whose tokens were voided at
        or after ``since`` (the index on ``auth_changed_at`` keeps it to those few)."""
        return [(i, v, aware(at)) for i, v, at in self.session.execute(
            select(AccountRecord.id, AccountRecord.auth_version, AccountRecord.auth_changed_at)
            .where(AccountRecord.auth_changed_at >= since))]

    def get_many(self, account_ids: list[str]) -> list[Account]:
        if not account_ids:
            return []
        records = self.session.execute(
            select(AccountRecord).where(AccountRecord.id.in_(account_ids))).scalars()
        return [_account(r) for r in records]

    def staff_of_body(self, body: str) -> list[Account]:
        """Every account that acts for ``body`` (executors and its head), not deleted."""
        records = self.session.execute(
            select(AccountRecord).where(AccountRecord.body == body,
                                        AccountRecord.status != "deleted")
            .order_by(AccountRecord.id)).scalars()
        return [_account(r) for r in records]

    def active_with_role(self, role: str, body: str | None = None) -> list[Account]:
        """Every active (not blocked, not deleted) account holding ``role``; in ``body`` if
        given (the body index narrows it to a handful of rows), else in any body (admins)."""
        query = select(AccountRecord).where(AccountRecord.status == "active")
        if body is not None:
            query = query.where(AccountRecord.body == body)
        else:
            # ``roles`` is a JSON list of plain role names: its text holds '"admin"' exactly
            # when the list does. Unindexed, but only run for the rare body without a head.
            query = query.where(cast(AccountRecord.roles, Text).like(f'%"{role}"%'))
        records = self.session.execute(query.order_by(AccountRecord.id)).scalars()
        return [a for a in map(_account, records) if role in a.roles]

    def ids_with_trust(self, level: int, limit: int = 500) -> list[str]:
        return list(self.session.execute(
            select(AccountRecord.id).where(AccountRecord.trust_level == level,
                                           AccountRecord.status != "deleted")
            .order_by(AccountRecord.id).limit(limit)).scalars())

    def ids_below_earned_trust(self, earned_from_level, penalty_ended_before: datetime,
                               limit: int = 500) -> list[str]:
        """Active accounts whose gamification level earns more trust than they have, trust
        above 0 and no lowering since ``penalty_ended_before``: those a block or a penalty
        kept from the raise their level earns (the level index keeps this to a few rows)."""
        earns_more = [(AccountRecord.gamification_level >= level)
                      & (AccountRecord.trust_level < trust)
                      for level, trust in earned_from_level]
        if not earns_more:
            return []
        return list(self.session.execute(
            select(AccountRecord.id).where(
                or_(*earns_more), AccountRecord.status == "active",
                AccountRecord.trust_level > 0,
                or_(AccountRecord.trust_lowered_at.is_(None),
                    AccountRecord.trust_lowered_at <= penalty_ended_before))
            .order_by(AccountRecord.id).limit(limit)).scalars())

    def save(self, account: Account) -> None:
        record = self.session.get(AccountRecord, account.id)
        _fill(record, account)
        self._write_audit(account)

    def record_audit(self, entry: AuditEntry) -> None:
        self.session.add(AuditRecord(account_id=entry.account_id, action=entry.action,
                                     by=entry.by, reason=entry.reason, at=entry.at))

    def _write_audit(self, account: Account) -> None:
        for entry in account.audit:
            self.record_audit(entry)
        account.audit.clear()

    def audit_of(self, account_id: str) -> list[AuditEntry]:
        records = self.session.execute(
            select(AuditRecord).where(AuditRecord.account_id == account_id)
            .order_by(AuditRecord.id)).scalars()
        return [AuditEntry(r.account_id, r.action, r.by, aware(r.at), r.reason) for r in records]


# --------------------------------------------------------------------------------- codes


def _code(record: OneTimeCodeRecord) -> OneTimeCode:
    return OneTimeCode(id=record.id, account_id=record.account_id,
                       purpose=CodePurpose(record.purpose), code_hash=record.code_hash,
                       created_at=aware(record.created_at), expires_at=aware(record.expires_at),
                       attempts=record.attempts, used_at=aware(record.used_at))


class CodeRepository:
    def __init__(self, session: Session):
        self.session = session

    def current(self, account_id: str, purpose: CodePurpose,
                for_update: bool = False) -> OneTimeCode | None:
        """The newest code for the purpose (issuing a code replaces any older one)."""
        query = (select(OneTimeCodeRecord)
                 .where(OneTimeCodeRecord.account_id == account_id,
                        OneTimeCodeRecord.purpose == CodePurpose(purpose).value)
                 .order_by(OneTimeCodeRecord.created_at.desc()).limit(1))
        if for_update:
            query = query.with_for_update()
        record = self.session.execute(query).scalar_one_or_none()
        return _code(record) if record else None

    def replace(self, code: OneTimeCode) -> None:
        self.session.execute(delete(OneTimeCodeRecord).where(
            OneTimeCodeRecord.account_id == code.account_id,
            OneTimeCodeRecord.purpose == code.purpose.value))
        self.session.add(OneTimeCodeRecord(
            id=code.id, account_id=code.account_id, purpose=code.purpose.value,
            code_hash=code.code_hash, created_at=code.created_at, expires_at=code.expires_at,
            attempts=code.attempts, used_at=code.used_at))

    def save(self, code: OneTimeCode) -> None:
        self.session.execute(update(OneTimeCodeRecord).where(OneTimeCodeRecord.id == code.id)
                             .values(attempts=code.attempts, used_at=code.used_at))

    def of_account(self, account_id: str) -> list[OneTimeCode]:
        return [_code(r) for r in self.session.execute(
            select(OneTimeCodeRecord).where(OneTimeCodeRecord.account_id == account_id)).scalars()]

    def delete_of_account(self, account_id: str) -> None:
        self.session.execute(delete(OneTimeCodeRecord).where(
            OneTimeCodeRecord.account_id == account_id))

    def purge_expired(self, before: datetime) -> int:
        return self.session.execute(delete(OneTimeCodeRecord).where(
            OneTimeCodeRecord.expires_at < before)).rowcount


# ------------------------------------------------------------------------ refresh tokens


def _family(record: TokenFamilyRecord) -> TokenFamily:
    return TokenFamily(id=record.id, account_id=record.account_id,
                       created_at=aware(record.created_at), revoked_at=aware(record.revoked_at),
                       revoke_reason=record.revoke_reason)


def _refresh_token(record: RefreshTokenRecord) -> RefreshToken:
    return RefreshToken(id=record.id, family_id=record.family_id, token_hash=record.token_hash,
                        issued_at=aware(record.issued_at), expires_at=aware(record.expires_at),
                        used_at=aware(record.used_at))


class TokenRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, family: TokenFamily) -> None:
        self.session.add(TokenFamilyRecord(id=family.id, account_id=family.account_id,
                                           created_at=family.created_at))
        self.session.flush()
        self._write_new_tokens(family)

    def find(self, token_hash: str) -> tuple[TokenFamily, RefreshToken] | None:
        """The token and its family, both locked: concurrent refreshes of one family queue up."""
        token = self.session.execute(select(RefreshTokenRecord).where(
            RefreshTokenRecord.token_hash == token_hash)).scalar_one_or_none()
        if token is None:
            return None
        family = self.session.execute(select(TokenFamilyRecord).where(
            TokenFamilyRecord.id == token.family_id).with_for_update()).scalar_one()
        # Re-read the token under the family lock: a racing refresh may just have used it.
        self.session.refresh(token)
        return _family(family), _refresh_token(token)

    def save(self, family: TokenFamily, presented: RefreshToken | None = None) -> None:
        self.session.execute(update(TokenFamilyRecord).where(TokenFamilyRecord.id == family.id)
                             .values(revoked_at=family.revoked_at,
                                     revoke_reason=family.revoke_reason))
        if presented is not None:
            self.session.execute(update(RefreshTokenRecord)
                                 .where(RefreshTokenRecord.id == presented.id)
                                 .values(used_at=presented.used_at))
        self._write_new_tokens(family)

    def _write_new_tokens(self, family: TokenFamily) -> None:
        for token in family.new_tokens:
            self.session.add(RefreshTokenRecord(
                id=token.id, family_id=token.family_id, token_hash=token.token_hash,
                issued_at=token.issued_at, expires_at=token.expires_at, used_at=token.used_at))
        family.new_tokens.clear()

    def revoke_all(self, account_id: str, now: datetime, reason: str) -> int:
        return self.session.execute(
            update(TokenFamilyRecord)
            .where(TokenFamilyRecord.account_id == account_id,
                   TokenFamilyRecord.revoked_at.is_(None))
            .values(revoked_at=now, revoke_reason=reason)).rowcount

    def revoked_since(self, since: datetime) -> list[tuple[str, datetime]]:
        """``(session id, revoked at)`` of the sessions revoked at or after ``since``."""
        return [(i, aware(at)) for i, at in self.session.execute(
            select(TokenFamilyRecord.id, TokenFamilyRecord.revoked_at)
            .where(TokenFamilyRecord.revoked_at >= since))]

    def sessions_of(self, account_id: str) -> list[dict]:
        """Each sign-in session: when it started, until when it lasts, whether revoked."""
        rows = self.session.execute(
            select(TokenFamilyRecord, func.max(RefreshTokenRecord.expires_at))
            .outerjoin(RefreshTokenRecord, RefreshTokenRecord.family_id == TokenFamilyRecord.id)
            .where(TokenFamilyRecord.account_id == account_id)
            .group_by(TokenFamilyRecord.id).order_by(TokenFamilyRecord.created_at)).all()
        return [{"started_at": aware(f.created_at), "expires_at": aware(expires),
                 "revoked_at": aware(f.revoked_at), "revoke_reason": f.revoke_reason}
                for f, expires in rows]

    def purge_expired(self, before: datetime) -> int:
        removed = self.session.execute(delete(RefreshTokenRecord).where(
            RefreshTokenRecord.expires_at < before)).rowcount
        self.session.execute(delete(TokenFamilyRecord).where(
            ~select(RefreshTokenRecord.id)
            .where(RefreshTokenRecord.family_id == TokenFamilyRecord.id).exists()))
        return removed


# ----------------------------------------------------------------------------- throttles


class ThrottleRepository:
    def __init__(self, session: Session):
        self.session = session

    def lock(self, key: str, address: str = "") -> LoginThrottle:
        """The throttle for ``key``, its row created if missing and locked until commit, so
        parallel guesses at one address from one source are counted one after another."""
        _insert_ignoring_conflicts(self.session, LoginThrottleRecord.__table__,
                                   {"key": key, "address_key": address or None, "failures": 0})
        record = self.session.execute(select(LoginThrottleRecord).where(
            LoginThrottleRecord.key == key).with_for_update()).scalar_one()
        return LoginThrottle(key=record.key, address=record.address_key or address,
                             failures=record.failures, locked_until=aware(record.locked_until),
                             last_failure_at=aware(record.last_failure_at))

    def save(self, throttle: LoginThrottle) -> None:
        if throttle.is_clear:
            self.session.execute(delete(LoginThrottleRecord).where(
                LoginThrottleRecord.key == throttle.key))
            return
        self.session.execute(update(LoginThrottleRecord)
                             .where(LoginThrottleRecord.key == throttle.key)
                             .values(failures=throttle.failures,
                                     address_key=throttle.address or None,
                                     locked_until=throttle.locked_until,
                                     last_failure_at=throttle.last_failure_at))

    def failures_of_address(self, address: str, since: datetime) -> tuple[int, int]:
        """``(failures, sources)``: the failed sign-ins recorded for the address from every
        source whose last failure is at or after ``since``, and how many sources those are."""
        failures, sources = self.session.execute(
            select(func.coalesce(func.sum(LoginThrottleRecord.failures), 0), func.count())
            .where(LoginThrottleRecord.address_key == address,
                   LoginThrottleRecord.last_failure_at >= since)).one()
        return int(failures), int(sources)

    def clear_address(self, address: str) -> int:
        """Forget the address's failures from every source (its owner proved who they are)."""
        return self.session.execute(delete(LoginThrottleRecord).where(
            LoginThrottleRecord.address_key == address)).rowcount

    def purge_idle(self, before: datetime) -> int:
        return self.session.execute(delete(LoginThrottleRecord).where(
            (LoginThrottleRecord.last_failure_at.is_(None)
             | (LoginThrottleRecord.last_failure_at < before)),
            (LoginThrottleRecord.locked_until.is_(None)
             | (LoginThrottleRecord.locked_until < before)))).rowcount


# ------------------------------------------------------------------------------ API keys


def _api_key(record: ApiKeyRecord) -> ApiKey:
    return ApiKey(id=record.id, name=record.name, scopes=tuple(record.scopes or ()),
                  key_hash=record.key_hash, created_by=record.created_by,
                  created_at=aware(record.created_at), revoked_at=aware(record.revoked_at),
                  last_used_at=aware(record.last_used_at))


class ApiKeyRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, key: ApiKey) -> None:
        self.session.add(ApiKeyRecord(id=key.id, name=key.name, scopes=list(key.scopes),
                                      key_hash=key.key_hash, created_by=key.created_by,
                                      created_at=key.created_at))

    def get(self, key_id: str, for_update: bool = False) -> ApiKey | None:
        query = select(ApiKeyRecord).where(ApiKeyRecord.id == str(key_id))
        if for_update:
            query = query.with_for_update()
        record = self.session.execute(query).scalar_one_or_none()
        return _api_key(record) if record else None

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        record = self.session.execute(select(ApiKeyRecord).where(
            ApiKeyRecord.key_hash == key_hash)).scalar_one_or_none()
        return _api_key(record) if record else None

    def all(self) -> list[ApiKey]:
        return [_api_key(r) for r in self.session.execute(
            select(ApiKeyRecord).order_by(ApiKeyRecord.created_at)).scalars()]

    def created_by(self, account_id: str) -> list[ApiKey]:
        return [_api_key(r) for r in self.session.execute(
            select(ApiKeyRecord).where(ApiKeyRecord.created_by == account_id)
            .order_by(ApiKeyRecord.created_at)).scalars()]

    def save(self, key: ApiKey) -> None:
        self.session.execute(update(ApiKeyRecord).where(ApiKeyRecord.id == key.id)
                             .values(revoked_at=key.revoked_at, last_used_at=key.last_used_at))

    def touch(self, key_id: str, now: datetime) -> None:
        self.session.execute(update(ApiKeyRecord).where(ApiKeyRecord.id == key_id)
                             .values(last_used_at=now))


# ---------------------------------------------------------------------------------- mail


class MailOutbox:
    """Mail to send, written in the same transaction as whatever made it necessary."""

    def __init__(self, session: Session):
        self.session = session

    def enqueue(self, to: str, subject: str, body: str, now: datetime) -> None:
        self.session.add(MailOutboxRecord(to_address=to, subject=subject, body=body,
                                          created_at=now, next_attempt_at=now, attempts=0))

    def claim(self, now: datetime, limit: int = 50) -> list[MailOutboxRecord]:
        """Due mail, locked until commit; rows another instance holds are skipped."""
        return list(self.session.execute(
            select(MailOutboxRecord)
            .where(MailOutboxRecord.sent_at.is_(None), MailOutboxRecord.failed_at.is_(None),
                   MailOutboxRecord.next_attempt_at <= now)
            .order_by(MailOutboxRecord.next_attempt_at, MailOutboxRecord.id)
            .limit(limit).with_for_update(skip_locked=True)).scalars())

    def queued_since(self, address: str, subject: str, since: datetime) -> bool:
        """Whether mail with ``subject`` was queued to ``address`` at or after ``since``
        (however its delivery went): a mail nobody asked for is sent at most that often."""
        return self.session.execute(select(MailOutboxRecord.id).where(
            MailOutboxRecord.to_address == address, MailOutboxRecord.subject == subject,
            MailOutboxRecord.created_at >= since).limit(1)).first() is not None

    def of_address(self, address: str) -> list[MailOutboxRecord]:
        return list(self.session.execute(select(MailOutboxRecord).where(
            MailOutboxRecord.to_address == address).order_by(MailOutboxRecord.id)).scalars())

    def delete_to(self, address: str) -> int:
        return self.session.execute(delete(MailOutboxRecord).where(
            MailOutboxRecord.to_address == address)).rowcount

    def purge_finished(self, before: datetime) -> int:
        return self.session.execute(delete(MailOutboxRecord).where(
            ((MailOutboxRecord.sent_at.is_not(None)) & (MailOutboxRecord.sent_at < before))
            | ((MailOutboxRecord.failed_at.is_not(None)) & (MailOutboxRecord.failed_at < before))
        )).rowcount



# -------------------------------------------------------------------------- notifications


def _notification(record: NotificationRecord) -> Notification:
    return Notification(id=record.id, account_id=record.account_id, kind=record.kind,
                        appeal_id=record.appeal_id, title=record.title, text=record.text,
                        created_at=aware(record.created_at), read_at=aware(record.read_at),
                        source_event_id=record.source_event_id)


class NotificationRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_once(self, notification: Notification) -> bool:
        """Store it unless the account already has this kind from this event (a redelivery);
        True if it was new."""
        return _insert_ignoring_conflicts(self.session, NotificationRecord.__table__, {
            "id": notification.id, "account_id": notification.account_id,
            "kind": str(notification.kind), "appeal_id": notification.appeal_id,
            "title": notification.title, "text": notification.text,
            "created_at": notification.created_at, "read_at": notification.read_at,
            "source_event_id": notification.source_event_id})

    def page(self, account_id: str, limit: int, unread_only: bool = False,
             after: tuple[datetime, str] | None = None) -> list[Notification]:
        """The account's notifications, newest first, from after ``(created_at, id)``."""
        query = select(NotificationRecord).where(NotificationRecord.account_id == account_id)
        if unread_only:
            query = query.where(NotificationRecord.read_at.is_(None))
        if after is not None:
            created_at, notification_id = after
            query = query.where(
                (NotificationRecord.created_at < created_at)
                | ((NotificationRecord.created_at == created_at)
                   & (NotificationRecord.id < notification_id)))
        query = query.order_by(NotificationRecord.created_at.desc(),
                               NotificationRecord.id.desc()).limit(limit)
        return [_notification(r) for r in self.session.execute(query).scalars()]

    def unread_count(self, account_id: str) -> int:
        return self.session.execute(
            select(func.count()).select_from(NotificationRecord)
            .where(NotificationRecord.account_id == account_id,
                   NotificationRecord.read_at.is_(None))).scalar_one()

    def mark_read(self, account_id: str, ids: list[str] | None, now: datetime) -> int:
        """Mark the account's unread notifications read (all of them when ``ids`` is None);
        ids of other accounts' notifications match nothing. Returns how many changed."""
        query = update(NotificationRecord).where(NotificationRecord.account_id == account_id,
                                                 NotificationRecord.read_at.is_(None))
        if ids is not None:
            query = query.where(NotificationRecord.id.in_(ids))
        return self.session.execute(query.values(read_at=now)).rowcount

    def of_account(self, account_id: str) -> list[Notification]:
        return [_notification(r) for r in self.session.execute(
            select(NotificationRecord).where(NotificationRecord.account_id == account_id)
            .order_by(NotificationRecord.created_at, NotificationRecord.id)).scalars()]

    def delete_of_account(self, account_id: str) -> int:
        return self.session.execute(delete(NotificationRecord).where(
            NotificationRecord.account_id == account_id)).rowcount


class FollowerRepository:
    """The appeals each account follows (as a supporter), fed by intake's support events."""

    def __init__(self, session: Session):
        self.session = session

    def set(self, appeal_id: str, account_id: str, following: bool, at: datetime) -> bool:
        """Follow or stop following as of ``at``; an event older than what is stored changes
        nothing. True if it changed something."""
        record = self.session.get(FollowerRecord, (appeal_id, account_id), with_for_update=True)
        if record is None:
            if not _insert_ignoring_conflicts(self.session, FollowerRecord.__table__, {
                    "appeal_id": appeal_id, "account_id": account_id, "following": following,
                    "changed_at": at}):
                # A concurrent event inserted it first: apply this one on top, by time.
                return self.set(appeal_id, account_id, following, at)
            return True
        if aware(record.changed_at) > at:
            return False
        record.following, record.changed_at = following, at
        return True

    def followers_of(self, appeal_id: str) -> list[str]:
        return list(self.session.execute(
            select(FollowerRecord.account_id).where(FollowerRecord.appeal_id == appeal_id,
                                                    FollowerRecord.following.is_(True))
            .order_by(FollowerRecord.account_id)).scalars())

    def followed_by(self, account_id: str) -> list[tuple[str, datetime]]:
        """``(appeal_id, since)`` of every appeal the account follows (its data export)."""
        return [(r.appeal_id, aware(r.changed_at)) for r in self.session.execute(
            select(FollowerRecord).where(FollowerRecord.account_id == account_id,
                                         FollowerRecord.following.is_(True))
            .order_by(FollowerRecord.changed_at)).scalars()]

    def delete_of_account(self, account_id: str) -> int:
        return self.session.execute(delete(FollowerRecord).where(
            FollowerRecord.account_id == account_id)).rowcount
