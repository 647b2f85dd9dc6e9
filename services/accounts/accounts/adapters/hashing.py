"""Password hashing with argon2id.

Hashing is deliberately slow and CPU-bound. Under eventlet one slow call would freeze every
greenthread of the process, so the work is handed to eventlet's pool of real OS threads
(argon2-cffi releases the GIL while it hashes).
"""
from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


def _off_the_hub(function, *args):
    try:
        from eventlet import patcher, tpool
    except ImportError:  # pragma: no cover
        return function(*args)
    if patcher.is_monkey_patched("thread"):
        return tpool.execute(function, *args)
    return function(*args)


class Argon2Hasher:
    """Implements :class:`accounts.domain.passwords.PasswordHasher`."""

    def __init__(self, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4):
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost,
                                      parallelism=parallelism)
        # Verified against when the email is unknown, so that answer takes as long as a real one.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return _off_the_hub(self._hasher.hash, password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        if not isinstance(password, str):
            password = ""
        try:
            return _off_the_hub(self._hasher.verify, password_hash or self._dummy_hash, password) \
                and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def burn(self, password) -> None:
        """Spend the time a verification takes, for an account that does not exist."""
        self.verify(None, password if isinstance(password, str) else "")

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
