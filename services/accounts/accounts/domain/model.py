"""The account aggregate. Plain Python: no framework, no database.

An account is a person (resident or staff). It carries what other services need to decide
what the person may do (roles, body, status, verified, trust) and the personal data only
accounts holds (email, phone, display name). Every change is written down as an
:class:`AuditEntry`; changes other services care about are also recorded as domain events.
"""
from __future__ import annotations

import ipaddress
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
LANGUAGES = ("uk", "en")
"""The languages the portal and the mails speak; the first is the default."""
DEFAULT_LANGUAGE = LANGUAGES[0]


class AccountError(Exception):
    """A command the account's current state does not allow (maps to Conflict)."""


# ----------------------------------------------------------------------- personal data rules


def normalise_email(value) -> str:
    return value.strip().lower() if isinstance(value, str) else value


def email_problems(email) -> list[str]:
    if not isinstance(email, str) or not email:
        return ["required"]
    if "@" in email and _is_ip_literal(email.rpartition("@")[2]):
        # user@[192.0.2.1] is valid RFC 5321 but names a machine, not a mail domain: no
        # provider hands such addresses out, and they dodge every domain-based block.
        return ["must name a mail domain, not an IP address"]
    if len(email) > 254 or not EMAIL_PATTERN.match(email):
        return ["not a valid email address"]
    return []


def _is_ip_literal(domain: str) -> bool:
    host = domain.strip()
    if host.startswith("[") or host.endswith("]"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host.rsplit(".", 1)[-1].isdigit()  # 1.2.3.4 in any spelling: no TLD is numeric
    return True


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


def normalise_language(value):
    """``"EN"``, ``"en-GB"`` → ``"en"``; None stays None (the default then applies)."""
    if isinstance(value, str):
        return value.strip().lower().replace("_", "-").split("-")[0] or None
    return value


def language_problems(language) -> list[str]:
    if language is None or language in LANGUAGES:
        return []
    return [f"must be one of {list(LANGUAGES)}"]


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
class RolesChanged:
    account_id: str
    roles: frozenset[str]
    body: str | None
    previous_roles: frozenset[str]
    previous_body: str | None
    by: str
    at: datetime


@dataclass(frozen=True)
class AccessRevoked:
    """Tokens signed before ``at`` for the account (a new ``auth_version``) or for one
    session (``session_id``) no longer hold."""

    account_id: str
    session_id: str | None
    auth_version: int | None
    reason: str
    at: datetime


@dataclass(frozen=True)
class AccountDeleted:
    account_id: str
    at: datetime


TRUST_FROM_LEVEL = ((3, 2), (5, 3))
"""Trust earned by constructive participation, as ``(gamification level, trust)`` pairs: level
3 or more earns trust 2, level 5 earns 3 (config ``TRUST_FROM_LEVEL``)."""


def trust_from_level(mapping) -> tuple[tuple[int, int], ...]:
    """Check a ``{level: trust}`` mapping (from the config) and return it as sorted pairs.
    Raises ValueError naming what is wrong: a config mistake must stop the service at start,
    not raise somebody's trust by surprise."""
    if mapping is None:
        return ()
    if not isinstance(mapping, dict):
        raise ValueError("TRUST_FROM_LEVEL must map gamification levels to trust levels")
    pairs = []
    for level, trust in mapping.items():
        try:
            level, trust = int(level), int(trust)
        except (TypeError, ValueError):
            raise ValueError(f"TRUST_FROM_LEVEL: {level!r}: {trust!r} is not two integers")
        if level < 1:
            raise ValueError(f"TRUST_FROM_LEVEL: level {level} must be 1 or more")
        if not INITIAL_TRUST < trust <= max(TRUST_LEVELS):
            raise ValueError(f"TRUST_FROM_LEVEL: level {level} earns trust {trust}; points can "
                             f"only earn {INITIAL_TRUST + 1}..{max(TRUST_LEVELS)}")
        pairs.append((level, trust))
    pairs.sort()
    if any(a[1] >= b[1] for a, b in zip(pairs, pairs[1:])):
        raise ValueError("TRUST_FROM_LEVEL: a higher level must earn a higher trust")
    return tuple(pairs)


@dataclass(frozen=True)
class TrustPolicy:
    """Three rejected appeals within 30 days drop an account to trust 0 (its appeals then get
    stricter rate limits and pre-moderation); 30 quiet days bring it back to 1.

    Points earn trust back the other way: a resident's gamification level earns the trust
    ``earned_from_level`` lists for it (never lowering it), except while a moderation
    penalty holds (see :meth:`Account.under_moderation_penalty`)."""

    rejections_to_lower: int = 3
    window: timedelta = timedelta(days=30)
    restore_after: timedelta | None = timedelta(days=30)
    earned_from_level: tuple[tuple[int, int], ...] = TRUST_FROM_LEVEL

    def earned_trust(self, level: int) -> int | None:
        """The trust earned at gamification ``level``: that of the highest listed level at or
        below it (a resident may jump from 2 to 4 at once); None below the first."""
        earned = None
        for from_level, trust in self.earned_from_level:
            if level >= from_level:
                earned = trust
        return earned


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
    trust_lowered_at: datetime | None = None
    """When moderation (rejected appeals) last lowered the trust: the start of the penalty."""
    gamification_level: int = 0
    """The highest gamification level heard of (0: none yet)."""
    auth_version: int = 0
    """Raised whenever what an access token says about the account stops being true (roles,
    body, status) or every session is signed out; tokens carry the version they were signed
    at, and verifiers refuse older ones (hromada_common.revocation)."""
    auth_changed_at: datetime | None = None
    language: str = DEFAULT_LANGUAGE
    """The language the person reads: their mails are written in it, and the portal speaks it
    when the browser has not chosen one (``LANGUAGES``)."""
    events: list = field(default_factory=list, repr=False, compare=False)
    audit: list[AuditEntry] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def register(cls, *, id: str, email: str, display_name: str, password_hash: str,
                 now: datetime, phone: str | None = None, roles=("resident",),
                 body: str | None = None, by: str | None = None,
                 language: str | None = None) -> "Account":
        """A new account. Inputs must already be normalised and checked."""
        account = cls(id=id, email=email, display_name=display_name, phone=phone,
                      password_hash=password_hash, created_at=now, updated_at=now,
                      roles=frozenset(roles), body=body, language=language or DEFAULT_LANGUAGE)
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

    def under_moderation_penalty(self, now: datetime, policy: TrustPolicy) -> bool:
        """Whether moderation's verdict still holds, so points must not wash it out: trust is
        0 (only the quiet-period rule, :meth:`restore_trust`, lifts that), or it was lowered
        less than the lowering rule's window (``policy.window``, 30 days) ago."""
        if self.trust_level == 0:
            return True
        return (self.trust_lowered_at is not None
                and now - self.trust_lowered_at < policy.window)

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

    def set_language(self, language: str, now: datetime) -> bool:
        """Change the language the person reads (checked by :func:`language_problems`);
        False if unchanged."""
        self._require_not_deleted()
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        if self.language == language:
            return False
        before, self.language = self.language, language
        self._audit("language_set", self.id, now, f"{before} -> {language}")
        return True

    def revoke_access(self, now: datetime, reason: str) -> None:
        """Every access token signed so far stops working (a new auth version)."""
        self.auth_version += 1
        self.auth_changed_at = now
        self.events.append(AccessRevoked(self.id, None, self.auth_version, reason, now))

    def set_roles(self, roles, body: str | None, *, by: str, now: datetime) -> bool:
        """Replace roles and body (checked by :func:`roles_problems`); False if unchanged."""
        self._require_not_deleted()
        roles = frozenset(roles)
        if roles == self.roles and body == self.body:
            return False
        before = f"{sorted(self.roles)} body={self.body}"
        self.events.append(RolesChanged(self.id, roles, body, self.roles, self.body, by, now))
        self.roles, self.body = roles, body
        self._audit("roles_set", by, now, f"{before} -> {sorted(roles)} body={body}")
        self.revoke_access(now, "roles changed")
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
        self.revoke_access(now, "blocked" if status == "blocked" else "unblocked")
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
            self.trust_lowered_at = max(filter(None, (self.trust_lowered_at, at)))
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

    def reach_level(self, level: int, *, now: datetime, policy: TrustPolicy,
                    by: str = "gamification") -> bool:
        """A resident reached gamification ``level``: remember the highest one heard of, and
        raise the trust it earns (:meth:`apply_earned_trust`). True if trust rose."""
        if self.is_deleted:
            return False
        if level > self.gamification_level:
            self.gamification_level = level
            self._audit("level_reached", by, now, f"level {level}")
        return self.apply_earned_trust(now, policy, by)

    def apply_earned_trust(self, now: datetime, policy: TrustPolicy, by: str = "system") -> bool:
        """Raise trust to what the highest level reached earns. Never lowers it, and never
        raises a blocked or deleted account or one under a moderation penalty (the hourly job
        applies it once the block or the penalty is over). True if trust rose."""
        if self.status != "active":
            return False
        earned = policy.earned_trust(self.gamification_level)
        if earned is None or earned <= self.trust_level:
            return False
        if self.under_moderation_penalty(now, policy):
            return False
        self._set_trust(earned, f"level {self.gamification_level} reached", by, now)
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
        self.revoke_access(now, "deleted")
