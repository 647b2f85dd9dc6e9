"""The password policy. Hashing itself is an adapter (argon2); the domain only needs
something with ``hash`` / ``verify`` / ``needs_rehash``."""
from __future__ import annotations

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
"""A short deny-list of the passwords people pick first; the length rule does the rest."""


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
    folded = password.strip().casefold()
    if email and folded in {email.casefold(), email.split("@")[0].casefold()}:
        problems.append("must not be your email address")
    if folded in COMMON_PASSWORDS or (folded and len(set(folded)) == 1):
        problems.append("is one of the most common passwords; choose another")
    return problems
