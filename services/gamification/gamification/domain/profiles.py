"""Public profiles of residents: the only name a leaderboard ever shows.

A resident is shown by a generated pseudonym (``Мешканець-7KQ2MX``) until they choose to be
shown by their name or by a pseudonym of their own. No id, email or anything else leaves.
"""
from __future__ import annotations

import secrets

PSEUDONYM_PREFIX = "Мешканець-"
# No 0/O, 1/I/L: a pseudonym read aloud or copied by hand stays unambiguous.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_SUFFIX_LENGTH = 6  # 31**6 ≈ 900 million: collisions stay rare at millions of residents
SHOWN_AS = ("pseudonym", "name")
PSEUDONYM_MIN, PSEUDONYM_MAX = 3, 40


class PseudonymTaken(Exception):
    """Another resident has this pseudonym (in any letter case)."""


def generated_pseudonym(choice=secrets.choice) -> str:
    return PSEUDONYM_PREFIX + "".join(choice(_ALPHABET) for _ in range(_SUFFIX_LENGTH))


def pseudonym_problem(value: str) -> str | None:
    """Why ``value`` cannot be a pseudonym, or None. An ``@`` is refused so that no email
    address is ever published as one."""
    value = value.strip()
    if not PSEUDONYM_MIN <= len(value) <= PSEUDONYM_MAX:
        return f"a pseudonym has {PSEUDONYM_MIN} to {PSEUDONYM_MAX} characters"
    if "@" in value:
        return "a pseudonym may not contain @"
    if any(not ch.isprintable() for ch in value):
        return "a pseudonym may not contain control characters"
    return None


def public_name(shown_as: str | None, display_name: str | None, pseudonym: str | None) -> str:
    """The name a leaderboard shows: the display name if the resident chose it (and one is
    known), else the pseudonym."""
    if shown_as == "name" and display_name:
        return display_name
    return pseudonym or PSEUDONYM_PREFIX + "?"
