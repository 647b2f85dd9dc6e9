"""API keys for integrations (department back offices, bots, mobile backends).

A key is shown once, when it is created; only its SHA-256 is stored (it has 256 bits of
entropy, so a plain hash suffices). A key is exchanged for a short-lived access token whose
subject is ``apikey:<id>``, with the ``integration`` role and the key's scopes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .tokens import hash_token, new_secret

SCOPES = ("appeals:read", "appeals:write", "events:read")
KEY_PREFIX = "hk_"
INTEGRATION_TRUST = 2
NAME_PATTERN = re.compile(r"^[\w .,:()/@+-]{1,80}$", re.UNICODE)


def principal_of(key_id: str) -> str:
    return f"apikey:{key_id}"


def api_key_problems(name, scopes) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(name, str) or not NAME_PATTERN.match(name.strip()):
        errors["name"] = ["must be 1 to 80 letters, digits, spaces or .,:()/@+-_"]
    if not isinstance(scopes, (list, tuple)) or not scopes:
        errors["scopes"] = [f"must be a non-empty list of {list(SCOPES)}"]
    elif any(s not in SCOPES for s in scopes):
        errors["scopes"] = [f"unknown scope; allowed: {list(SCOPES)}"]
    return errors


@dataclass
class ApiKey:
    id: str
    name: str
    scopes: tuple[str, ...]
    key_hash: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @classmethod
    def create(cls, *, id: str, name: str, scopes, created_by: str,
               now: datetime) -> tuple["ApiKey", str]:
        key = KEY_PREFIX + new_secret()
        return cls(id=id, name=name.strip(), scopes=tuple(sorted(set(scopes))),
                   key_hash=hash_token(key), created_by=created_by, created_at=now), key

    @property
    def principal(self) -> str:
        return principal_of(self.id)

    def revoke(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        self.revoked_at = now
        return True
