"""Refresh tokens: opaque, single use, rotated, grouped in families.

Signing in starts a family. Each refresh uses up the presented token and issues its
successor in the same family. A token that is presented a second time can only mean that
two parties hold it (one of them stole it), so the whole family is revoked: both the thief
and the victim must sign in again, and the thief's stolen successor stops working.

Only the SHA-256 of a token is stored: the token has 256 bits of entropy, so a plain hash is
enough (no salt or slow hash needed), and a leaked table yields no usable tokens.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret() -> str:
    """32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


class RefreshRejected(Exception):
    """The refresh token cannot be used: unknown, expired, revoked, or reused (``reused``)."""

    def __init__(self, reason: str, reused: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.reused = reused


@dataclass
class RefreshToken:
    id: str
    family_id: str
    token_hash: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass
class TokenFamily:
    """One sign-in session: the chain of refresh tokens issued from one password check."""

    id: str
    account_id: str
    created_at: datetime
    revoked_at: datetime | None = None
    revoke_reason: str | None = None
    new_tokens: list[RefreshToken] = field(default_factory=list, repr=False)

    @classmethod
    def start(cls, *, id: str, account_id: str, now: datetime, ttl: timedelta,
              token_id: str) -> tuple["TokenFamily", str]:
        family = cls(id=id, account_id=account_id, created_at=now)
        return family, family._issue(token_id, now, ttl)

    def _issue(self, token_id: str, now: datetime, ttl: timedelta) -> str:
        secret = new_secret()
        self.new_tokens.append(RefreshToken(id=token_id, family_id=self.id,
                                            token_hash=hash_token(secret), issued_at=now,
                                            expires_at=now + ttl))
        return secret

    def rotate(self, presented: RefreshToken, *, now: datetime, ttl: timedelta,
               token_id: str) -> str:
        """Use up ``presented`` and return its successor's secret, or raise RefreshRejected.

        On reuse the family is revoked *and* the error raised: the caller must save the
        family before re-raising, or the revocation is lost.
        """
        if self.revoked_at is not None:
            raise RefreshRejected("the session was revoked; sign in again")
        if presented.used_at is not None:
            self.revoke(now, "refresh token reused")
            raise RefreshRejected("the refresh token was already used; for safety every "
                                  "session it belongs to was signed out", reused=True)
        if now >= presented.expires_at:
            raise RefreshRejected("the refresh token has expired; sign in again")
        presented.used_at = now
        return self._issue(token_id, now, ttl)

    def revoke(self, now: datetime, reason: str) -> bool:
        """Revoke the family; False if it already was (revocation is idempotent)."""
        if self.revoked_at is not None:
            return False
        self.revoked_at = now
        self.revoke_reason = reason
        return True
