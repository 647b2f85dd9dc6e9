"""The account aggregate. Plain Python: no framework, no database.

An account is a person (resident or staff). It carries what other services need to decide
what the person may do (roles, body, status, verified, trust) and the personal data only
accounts holds (email, phone, display name). Every change is written down as an
:class:`AuditEntry`; changes other services care about are also recorded as domain events.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hromada_common.auth import ROLES

ACCOUNT_ROLES = tuple(r for r in ROLES if r != "integration")
"""Roles a person can hold. ``integration`` belongs to API keys only."""
BODY_ROLES = frozenset({"executor", "head"})
"""Roles that act for one executor body and so need its code."""
STATUSES = ("active", "blocked", "deleted")
TRUST_LEVELS = range(0, 4)
INITIAL_TRUST = 1
DELETED_NAME = "deleted account"

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE_PATTERN = re.compile(r"^\+[1-9]\d{7,14}$")
BODY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class AccountError(Exception):
    """A command the account's current state does not allow (maps to Conflict)."""


# ----------------------------------------------------------------------- personal data rules


def normalise_email(value) -> str:
    return value.strip().lower() if isinstance(value, str) else value


def email_problems(email) -> list[str]:
    if not isinstance(email, str) or not email:
        return ["required"]
    if len(email) > 254 or not EMAIL_PATTERN.match(email):
        return ["not a valid email address"]
    return []


def normalise_phone(value):
    if isinstance(value, str):
        value = re.sub(r"[\s().-]", "", value)
        return value or None
    return value


def phone_problems(phone) -> list[str]:
    if phone is None:
        return []
    if not isinstance(phone, str) or not PHONE_PATTERN.match(phone):
        return ["must be an international number such as +380441234567"]
    return []


def normalise_display_name(value):
    if isinstance(value, str):
        return " ".join(value.split())
    return value


def display_name_problems(name) -> list[str]:
    if not isinstance(name, str) or not name:
        return ["required"]
    if len(name) > 80:
        return ["must be at most 80 characters"]
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return ["must not contain control characters"]
    return []


def roles_problems(roles, body) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(roles, (list, tuple, set, frozenset)) or not roles:
        errors["roles"] = [f"must be a non-empty list of {list(ACCOUNT_ROLES)}"]
        return errors
    unknown = sorted(str(r) for r in roles if r not in ACCOUNT_ROLES)
    if unknown:
        errors["roles"] = [f"unknown role(s) {unknown}; allowed: {list(ACCOUNT_ROLES)}"
                           + ("; integrations use API keys" if "integration" in unknown else "")]
        return errors
    needs_body = BODY_ROLES & set(roles)
    if needs_body and not body:
        errors["body"] = [f"required for the role(s) {sorted(needs_body)}"]
    elif body is not None and not needs_body:
        errors["body"] = ["only executors and department heads belong to a body"]
    elif body is not None and (not isinstance(body, str) or not BODY_PATTERN.match(body)):
        errors["body"] = ["must be a body code such as kyivavtodor"]
    return errors


# ------------------------------------------------------------------------- records and events


@dataclass(frozen=True)
class AuditEntry:
    account_id: str
    action: str
    by: str
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class StatusChanged:
    account_id: str
    status: str
    reason: str | None
    by: str
    at: datetime


@dataclass(frozen=True)
class TrustChanged:
    account_id: str
    trust_level: int
    reason: str
    at: datetime


@dataclass(frozen=True)
class AccountDeleted:
    account_id: str
    at: datetime


@dataclass(frozen=True)
class TrustPolicy:
    """Three rejected appeals within 30 days drop an account to trust 0 (its appeals then get
    stricter rate limits and pre-moderation); 30 quiet days bring it back to 1."""

    rejections_to_lower: int = 3
    window: timedelta = timedelta(days=30)
    restore_after: timedelta | None = timedelta(days=30)


# --------------------------------------------------------------------------------- aggregate


@dataclass
class Account:
    id: str
    email: str | None
    display_name: str | None
    password_hash: str | None
    created_at: datetime
    updated_at: datetime
    phone: str | None = None
    email_verified_at: datetime | None = None
    roles: frozenset[str] = frozenset({"resident"})
    body: str | None = None
    status: str = "active"
    trust_level: int = INITIAL_TRUST
    rejections: list[datetime] = field(default_factory=list)
    deleted_at: datetime | None = None
    email_notifications: bool = True
    events: list = field(default_factory=list, repr=False, compare=False)
    audit: list[AuditEntry] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def register(cls, *, id: str, email: str, display_name: str, password_hash: str,
                 now: datetime, phone: str | None = None, roles=("resident",),
                 body: str | None = None, by: str | None = None) -> "Account":
        """A new account. Inputs must already be normalised and checked."""
        account = cls(id=id, email=email, display_name=display_name, phone=phone,
                      password_hash=password_hash, created_at=now, updated_at=now,
                      roles=frozenset(roles), body=body)
        account._audit("registered", by or id, now)
        return account

    # ----------------------------------------------------------------------------- queries

    @property
    def verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.status == "deleted"

    @property
    def mailable(self) -> bool:
        """Whether notifications may be copied to the email: a verified address, not deleted,
        and the person did not turn them off."""
        return (not self.is_deleted and self.verified and bool(self.email)
                and self.email_notifications)

    @property
    def public_name(self) -> str:
        return DELETED_NAME if self.is_deleted else self.display_name

    def rejections_within(self, window: timedelta, until: datetime) -> list[datetime]:
        return [r for r in self.rejections if until - window < r <= until]

    # ---------------------------------------------------------------------------- commands

    def _audit(self, action: str, by: str, at: datetime, reason: str | None = None) -> None:
        self.audit.append(AuditEntry(self.id, action, by, at, reason))
        self.updated_at = at

    def _require_not_deleted(self) -> None:
        if self.is_deleted:
            raise AccountError("the account was deleted")

    def verify_email(self, now: datetime) -> bool:
        """Mark the email verified; False if it already was."""
        self._require_not_deleted()
        if self.verified:
            return False
        self.email_verified_at = now
        self._audit("email_verified", self.id, now)
        return True

    def change_password(self, password_hash: str, now: datetime, by: str,
                        reason: str = "password reset") -> None:
        self._require_not_deleted()
        self.password_hash = password_hash
        self._audit("password_changed", by, now, reason)

    def rehash_password(self, password_hash: str) -> None:
        """Same password, stronger hash parameters: not a change anyone needs to audit."""
        self.password_hash = password_hash

    def set_email_notifications(self, enabled: bool, now: datetime) -> bool:
        """Turn email copies of notifications on or off (in-app ones always stay); False if
        unchanged."""
        self._require_not_deleted()
        if self.email_notifications == bool(enabled):
            return False
        self.email_notifications = bool(enabled)
        self._audit("email_notifications_" + ("on" if enabled else "off"), self.id, now)
        return True

    def set_roles(self, roles, body: str | None, *, by: str, now: datetime) -> bool:
        """Replace roles and body (checked by :func:`roles_problems`); False if unchanged."""
        self._require_not_deleted()
        roles = frozenset(roles)
        if roles == self.roles and body == self.body:
            return False
        before = f"{sorted(self.roles)} body={self.body}"
        self.roles, self.body = roles, body
        self._audit("roles_set", by, now, f"{before} -> {sorted(roles)} body={body}")
        return True

    def block(self, *, reason: str, by: str, now: datetime) -> bool:
        return self._set_status("blocked", reason=reason, by=by, now=now)

    def unblock(self, *, reason: str, by: str, now: datetime) -> bool:
        return self._set_status("active", reason=reason, by=by, now=now)

    def _set_status(self, status: str, *, reason: str, by: str, now: datetime) -> bool:
        self._require_not_deleted()
        if self.status == status:
            return False
        self.status = status
        self._audit("blocked" if status == "blocked" else "unblocked", by, now, reason)
        self.events.append(StatusChanged(self.id, status, reason, by, now))
        return True

    def record_rejection(self, *, at: datetime, appeal_id: str, policy: TrustPolicy,
                         by: str = "system") -> bool:
        """Count a rejected appeal; returns True if that lowered the trust level."""
        if self.is_deleted:
            return False
        history = sorted([*self.rejections, at])
        newest = history[-1]
        # Only the window matters; older rejections are dropped as they can no longer count.
        self.rejections = [r for r in history if r > newest - policy.window]
        self._audit("appeal_rejected", by, at, f"appeal {appeal_id}")
        recent = self.rejections_within(policy.window, at)
        if self.trust_level > 0 and len(recent) >= policy.rejections_to_lower:
            days = policy.window.days
            self._set_trust(0, f"{len(recent)} appeals rejected within {days} days", by, at)
            return True
        return False

    def restore_trust(self, now: datetime, policy: TrustPolicy) -> bool:
        """Lift trust 0 back to 1 once ``policy.restore_after`` passed without rejections."""
        if self.is_deleted or self.trust_level != 0 or policy.restore_after is None:
            return False
        if self.rejections and now - max(self.rejections) < policy.restore_after:
            return False
        days = policy.restore_after.days
        self._set_trust(INITIAL_TRUST, f"no rejected appeals for {days} days", "system", now)
        return True

    def _set_trust(self, level: int, reason: str, by: str, at: datetime) -> None:
        self.trust_level = level
        self._audit("trust_changed", by, at, f"{level}: {reason}")
        self.events.append(TrustChanged(self.id, level, reason, at))

    def delete(self, now: datetime) -> None:
        """Erase the person and keep the empty record, so ids other services hold still
        resolve (to "deleted account") and the audit trail stays whole."""
        self._require_not_deleted()
        self.email = self.phone = self.display_name = self.password_hash = None
        self.email_verified_at = None
        self.roles = frozenset()
        self.body = None
        self.rejections = []
        self.status = "deleted"
        self.deleted_at = now
        self._audit("deleted", self.id, now, "deleted by its owner")
        self.events.append(AccountDeleted(self.id, now))
