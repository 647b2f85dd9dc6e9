"""Sign-in throttling per email address (known or not, so it tells nothing about which exist).

After ``lock_after`` consecutive failures the address is locked for ``base``; every further
failure after a lock doubles it, up to ``maximum``. A successful sign-in resets everything.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    lock_after: int = 5
    base: timedelta = timedelta(minutes=1)
    maximum: timedelta = timedelta(hours=1)
    forget_after: timedelta = timedelta(days=1)
    """Failures older than this (with no lock in force) are forgotten."""

    def lock_for(self, failures: int) -> timedelta | None:
        """How long the ``failures``-th consecutive failure locks the address (None: not at all)."""
        if failures < self.lock_after:
            return None
        doublings = failures - self.lock_after
        if doublings >= 32:  # beyond any sane maximum; avoids huge integers
            return self.maximum
        return min(self.base * (2 ** doublings), self.maximum)


def throttle_key(email: str) -> str:
    """Throttles exist for addresses nobody registered too; storing only a hash keeps
    whatever strangers typed into the sign-in form out of the database."""
    return hashlib.sha256(email.encode()).hexdigest()


class Locked(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"locked for {retry_after}s")
        self.retry_after = retry_after


@dataclass
class LoginThrottle:
    """Failures for one address; ``key`` is a SHA-256 of it (see :func:`throttle_key`)."""

    key: str
    failures: int = 0
    locked_until: datetime | None = None
    last_failure_at: datetime | None = None

    def check(self, now: datetime) -> None:
        """Raise Locked while a lock is in force."""
        if self.locked_until is not None and now < self.locked_until:
            raise Locked(max(1, math.ceil((self.locked_until - now).total_seconds())))

    def record_failure(self, now: datetime, policy: ThrottlePolicy) -> timedelta | None:
        """Count a failure; returns the lock it started, if any."""
        if (self.last_failure_at is not None and now - self.last_failure_at > policy.forget_after
                and (self.locked_until is None or self.locked_until <= now)):
            self.failures = 0
        self.failures += 1
        self.last_failure_at = now
        lock = policy.lock_for(self.failures)
        if lock is not None:
            self.locked_until = now + lock
        return lock

    def record_success(self) -> None:
        self.failures = 0
        self.locked_until = None
        self.last_failure_at = None

    @property
    def is_clear(self) -> bool:
        return self.failures == 0 and self.locked_until is None
