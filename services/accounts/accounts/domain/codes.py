"""One-time codes sent by mail: six digits, valid 15 minutes, five guesses.

Only a salted SHA-256 of the code is stored. A six-digit code has little entropy, so the
short life and the attempt limit are what protect it; the hash keeps a leaked table (or a
log of it) from handing out live codes directly.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=15)
MAX_ATTEMPTS = 5
RESEND_INTERVAL = timedelta(seconds=60)
"""A new code for the same purpose is not mailed more often than this (mail bombing)."""


class CodePurpose(str, Enum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


class CodeRejected(Exception):
    """The code cannot be used; ``reason`` is one of wrong, expired, exhausted, used."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    MESSAGES = {
        "wrong": "the code is wrong",
        "expired": "the code has expired; ask for a new one",
        "exhausted": "too many wrong attempts; ask for a new code",
        "used": "the code was already used; ask for a new one",
        "missing": "no code was sent for this address, or it has expired; ask for a new one",
    }

    @property
    def message(self) -> str:
        return self.MESSAGES[self.reason]


def _digest(code_id: str, code: str) -> str:
    return hashlib.sha256(f"{code_id}:{code}".encode()).hexdigest()


def generate_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


@dataclass
class OneTimeCode:
    id: str
    account_id: str
    purpose: CodePurpose
    code_hash: str
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    used_at: datetime | None = None

    @classmethod
    def issue(cls, *, id: str, account_id: str, purpose: CodePurpose, now: datetime,
              code: str | None = None) -> tuple["OneTimeCode", str]:
        """A new code and its plain text (to mail once, never to store)."""
        code = code or generate_code()
        return cls(id=id, account_id=account_id, purpose=purpose, code_hash=_digest(id, code),
                   created_at=now, expires_at=now + CODE_TTL), code

    def may_resend(self, now: datetime) -> bool:
        return self.used_at is not None or now - self.created_at >= RESEND_INTERVAL

    def redeem(self, code, now: datetime) -> None:
        """Use the code, or raise CodeRejected. A wrong guess counts even though it raises,
        so the caller must save the code before re-raising."""
        if self.used_at is not None:
            raise CodeRejected("used")
        if now >= self.expires_at:
            raise CodeRejected("expired")
        if self.attempts >= MAX_ATTEMPTS:
            raise CodeRejected("exhausted")
        self.attempts += 1
        given = str(code).strip() if isinstance(code, (str, int)) else ""
        if not hmac.compare_digest(_digest(self.id, given), self.code_hash):
            raise CodeRejected("exhausted" if self.attempts >= MAX_ATTEMPTS else "wrong")
        self.used_at = now
