"""Sign-in throttling per email address *and* source (known or not, so it tells nothing
about which addresses exist).

After ``lock_after`` consecutive failures from one source (a client IP; an IPv6 client by its
/64) the address is locked *for that source* for ``base``; every further failure after a lock
doubles it, up to ``maximum``. A successful sign-in from that source resets it. The owner
signing in from anywhere else is never locked out by someone guessing elsewhere; guessing
spread over many sources is caught by :meth:`ThrottlePolicy.alerts_at` instead (an alert,
not a lock, so it cannot be turned against the owner).
"""
from __future__ import annotations

import hashlib
import ipaddress
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
    alert_after: int = 20
    """Failed sign-ins for one address, from every source together within ``alert_window``,
    that count as sustained guessing (0 turns the alert off)."""
    alert_window: timedelta = timedelta(hours=1)

    def alerts_at(self, before: int, after: int) -> bool:
        """Whether the address's failures in the window going from ``before`` to ``after``
        crossed a multiple of ``alert_after`` (20, 40, 60 …): one alert per step, not one
        per failure."""
        if self.alert_after <= 0:
            return False
        return after // self.alert_after > before // self.alert_after

    def lock_for(self, failures: int) -> timedelta | None:
        """How long the ``failures``-th consecutive failure locks the address (None: not at all)."""
        if failures < self.lock_after:
            return None
        doublings = failures - self.lock_after
        if doublings >= 32:  # beyond any sane maximum; avoids huge integers
            return self.maximum
        return min(self.base * (2 ** doublings), self.maximum)


def address_key(email: str) -> str:
    """Throttles exist for addresses nobody registered too; storing only a hash keeps
    whatever strangers typed into the sign-in form out of the database."""
    return hashlib.sha256(email.encode()).hexdigest()


def source_of(client_ip: str | None) -> str:
    """Where a sign-in comes from: the client IP the gateway saw, an IPv6 address by its
    /64 (one subscriber usually holds a whole /64), ``unknown`` when nobody said."""
    if not isinstance(client_ip, str) or not client_ip.strip():
        return "unknown"
    text = client_ip.strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text.lower()[:100]
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def throttle_key(email: str, source: str = "unknown") -> str:
    """The throttle of one address from one source (a hash: neither is stored)."""
    return hashlib.sha256(f"{email}\n{source}".encode()).hexdigest()


class Locked(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"locked for {retry_after}s")
        self.retry_after = retry_after


@dataclass
class LoginThrottle:
    """Failures for one address from one source; ``key`` is a SHA-256 of both (see
    :func:`throttle_key`), ``address`` one of the address alone (:func:`address_key`), so
    the failures from every source can be added up and a password reset can clear them all."""

    key: str
    address: str = ""
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
