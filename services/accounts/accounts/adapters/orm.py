"""Accounts' tables (SQLAlchemy 2 typed declarative). Migrations in ../migrations match these.

Personal data lives only in ``accounts`` (email, phone, display name) and, until delivered and
purged, in ``mail_outbox``; ``notifications`` hold appeal ids and texts about them, never
anyone's personal data. Everything secret is stored hashed: passwords (argon2), codes,
refresh tokens and API keys (SHA-256), and sign-in throttles are keyed by a hash of the email.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hromada_common.db import NAMING_CONVENTION, define_messaging_tables


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


BIGINT = BigInteger().with_variant(Integer, "sqlite")


class AccountRecord(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # NULL once the account is deleted; several NULLs do not collide in a unique index.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    # the UTS #39 confusable skeleton of the email (domain.lookalikes): look-alikes collide
    email_skeleton: Mapped[str | None] = mapped_column(String(1024), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    display_name: Mapped[str | None] = mapped_column(String(80))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    roles: Mapped[list] = mapped_column(JSON)
    body: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    trust_level: Mapped[int] = mapped_column(Integer, index=True)
    rejections: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True,
                                                      server_default=true())
    # when rejected appeals last lowered the trust (a points raise waits out the window after it)
    trust_lowered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the highest gamification level heard of (hromada.resident.level_reached.v1); 0 = none
    gamification_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0",
                                                    index=True)
    # raised by every change that voids issued access tokens (hromada_common.revocation)
    auth_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    auth_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # the language the person reads (domain.model.LANGUAGES): mails are written in it
    language: Mapped[str] = mapped_column(String(8), default="uk", server_default="uk")


class AuditRecord(Base):
    """Every state change of an account (or API key: ``account_id`` = ``apikey:<id>``).

    No foreign key: the trail must outlive anything it describes.
    """

    __tablename__ = "account_audit"
    __table_args__ = (Index("ix_account_audit_account_id_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    by: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OneTimeCodeRecord(Base):
    __tablename__ = "one_time_codes"
    __table_args__ = (Index("ix_one_time_codes_account_purpose", "account_id", "purpose"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TokenFamilyRecord(Base):
    __tablename__ = "refresh_token_families"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    revoke_reason: Mapped[str | None] = mapped_column(String(120))


class RefreshTokenRecord(Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    family_id: Mapped[str] = mapped_column(
        ForeignKey("refresh_token_families.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginThrottleRecord(Base):
    """Failed sign-ins for one address from one source: ``key`` hashes both, ``address_key``
    the address alone (to add up every source's failures and clear them all on a reset)."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    address_key: Mapped[str | None] = mapped_column(String(64), index=True)
    failures: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class ApiKeyRecord(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    scopes: Mapped[list] = mapped_column(JSON)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MailOutboxRecord(Base):
    """Mail written in the transaction that made it necessary, delivered by a timer."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        Index("ix_mail_outbox_pending", "next_attempt_at",
              postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
              sqlite_where=text("sent_at IS NULL AND failed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class NotificationRecord(Base):
    """An in-app notification. At most one per account, source event and kind: a redelivered
    event finds its row already there and neither notifies nor mails again."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("account_id", "source_event_id", "kind",
                         name="uq_notifications_account_event_kind"),
        Index("ix_notifications_account_created", "account_id", "created_at", "id"),
        Index("ix_notifications_unread", "account_id",
              postgresql_where=text("read_at IS NULL"), sqlite_where=text("read_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    appeal_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source_event_id: Mapped[str] = mapped_column(String(64))


class FollowerRecord(Base):
    """Who follows which appeal (its supporters, from intake's support events), so that they
    are told of its every change. A withdrawal keeps the row with ``following`` false: an older
    event arriving late is recognised by ``changed_at`` and changes nothing."""

    __tablename__ = "appeal_followers"
    __table_args__ = (Index("ix_appeal_followers_account_id", "account_id"),)

    appeal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    following: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


outbox, inbox = define_messaging_tables(Base.metadata)
