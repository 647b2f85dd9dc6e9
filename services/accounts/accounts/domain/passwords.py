"""The password policy (NIST SP 800-63B section 3.1.1.2): a minimum length, no composition
rules, and a blocklist of passwords known to be common. Hashing itself is an adapter (argon2);
the domain only needs something with ``hash`` / ``verify`` / ``needs_rehash``."""
from __future__ import annotations

from functools import lru_cache
from typing import Protocol

MIN_LENGTH = 10
MAX_LENGTH = 256
"""Long enough for any passphrase; short enough that hashing one cannot be used as a DoS."""

COMMON_PASSWORDS = frozenset({
    "1234567890", "0123456789", "12345678910", "123456789a", "1q2w3e4r5t", "1qaz2wsx3edc",
    "qwertyuiop", "qwerty1234", "qwerty12345", "1234qwerty", "asdfghjkl1", "zxcvbnm123",
    "password12", "password123", "password1234", "passw0rd123", "p@ssw0rd12", "iloveyou12",
    "abc1234567", "abcdefghij", "aaaaaaaaaa", "1111111111", "0000000000", "letmein123",
    "welcome123", "admin12345", "administrator", "football12", "monkey1234", "dragon1234",
    "sunshine12", "princess12", "superman12", "baseball12", "trustno1234",
    # Cyrillic keyboard walks and favourites
    "йцукенгшщз", "йцукен1234", "пароль1234", "пароль12345", "парольпароль", "qwertyйцукен",
    "hromada123", "hromada1234", "kyiv123456", "kyiv2024!!", "ukraine123", "ukraine1234",
    "slavaukraini", "slavaukraini1",
})
"""Our own additions to the blocklist: keyboard walks and favourites of Ukrainian users that the
general list below lacks."""


@lru_cache(maxsize=1)
def blocklist() -> frozenset[str]:
    """Common passwords, case-folded: the 30,000 most common in leaked password corpora as the
    ``zxcvbn`` package ships them (Dropbox's list, kept with the package), plus
    :data:`COMMON_PASSWORDS`. Only those at least :data:`MIN_LENGTH` long could pass the
    length rule, so only they are kept."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    words = {w.casefold() for w in FREQUENCY_LISTS["passwords"]} | COMMON_PASSWORDS
    return frozenset(w for w in words if len(w) >= MIN_LENGTH)


def is_common(password: str) -> bool:
    """Whether ``password`` (ignoring case and surrounding spaces) is on the blocklist or is
    one character repeated."""
    folded = password.strip().casefold()
    return folded in blocklist() or (bool(folded) and len(set(folded)) == 1)


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


def password_problems(password, email: str | None = None) -> list[str]:
    """Why ``password`` is not acceptable for the account ``email`` (empty list: acceptable)."""
    if not isinstance(password, str):
        return ["must be a string"]
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"must be at most {MAX_LENGTH} characters")
    if not password.strip():
        problems.append("must not be only spaces")
        return problems
    folded = password.strip().casefold()
    if email and folded in {email.casefold(), email.split("@")[0].casefold()}:
        problems.append("must not be your email address")
    if is_common(password):
        problems.append("is one of the most common passwords; choose another")
    return problems
